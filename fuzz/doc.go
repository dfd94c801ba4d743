// Package fuzz holds crosscheck's native Go fuzz targets: properties of the
// spec model (origins, header lists, safelists, the CORS check and the
// preflight check through spec.Judge) and of the policy loader, each of
// which can fail. The package has no API; everything is in its tests.
//
// `go test ./fuzz/...` runs every target over its seed corpus in
// testdata/fuzz/<FuzzName>/: inputs derived from the case table
// (cases/data), known bypass origins from published CORS advisories and the
// policy files, written by internal/seedgen (`go generate ./fuzz`; its test
// fails when they are stale), plus the minimized inputs of bugs the fuzzers
// found (any other file name). `scripts/fuzz.sh` fuzzes every target for a
// short budget each, with cases.FuzzParse and the differential fuzzers of
// real middlewares in internal/targets/go/cmd/target.
//
// Package fuzz imports only spec (and the standard library's net/url and
// net/netip): the loader targets, which need runner, are in fuzz/loaders.
//
// The targets and their properties:
//
//   - FuzzOrigin: spec.ParseOrigin / URLOrigin: parse, serialize and parse
//     again is stable; a serialized origin has no path, query, fragment,
//     userinfo or default port.
//   - FuzzOriginNetURL: spec.URLOrigin agrees with net/url on the origin of
//     every special-scheme URL, except where the WHATWG URL Standard and
//     RFC 3986 legitimately differ (the list urlDifferences).
//   - FuzzHeaderList: spec.GetDecodeSplit and ExtractHeaderListValues are
//     total, idempotent when re-joined with ", ", blind to optional
//     whitespace around commas and to how elements are spread over lines.
//   - FuzzSafelist: spec.IsSafelistedRequestHeader and
//     UnsafeRequestHeaderNames keep the 128-byte and 1024-byte limits and
//     the unsafe bytes for every value.
//   - FuzzCORSCheck and FuzzJudge: a credentialed request is never allowed
//     with `*`; unrelated response headers never change the verdict; the
//     verdict never depends on header-name case; an exact-origin server
//     (Access-Control-Allow-Origin names another origin) is never allowed.
//
// In fuzz/loaders: FuzzParsePolicy (runner.ParsePolicy gives a valid policy
// or a *PolicyError for any bytes, and a valid policy round-trips through
// JSON) and FuzzPolicyPattern (a subdomain pattern allows exactly the
// origins of one or more non-empty labels under its domain).
//
//go:generate go run ./internal/seedgen
package fuzz
