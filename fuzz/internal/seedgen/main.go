// Command seedgen writes the generated seed corpora of crosscheck's fuzz
// targets: inputs derived from the case table (cases/data), the known
// bypass origins of published CORS advisories, and the policy files of the
// conformance matrix (internal/targets/policies).
//
// Usage, from the fuzz directory (`go generate ./fuzz` does this):
//
//	go run ./internal/seedgen [-dir .]
//
// It owns the files named table-*, bypass-* and policy-* under
// testdata/fuzz/<FuzzName>/ and loaders/testdata/fuzz/<FuzzName>/, rewriting
// and deleting them as needed; other files there (minimized failures the
// fuzzers found) are left alone. Its test fails when the files on disk are
// stale.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("seedgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "the fuzz directory of the crosscheck repository")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c, err := derive(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "seedgen: %v\n", err)
		return 2
	}
	if err := write(*dir, c); err != nil {
		fmt.Fprintf(stderr, "seedgen: %v\n", err)
		return 2
	}
	return 0
}

// bypassOrigin is an origin (or origin-like string) that broke a real
// origin check, or that URL parsers disagree on.
type bypassOrigin struct {
	name   string // file name: bypass-<name>
	origin string
	source string // the advisory, issue or rule it comes from
}

// bypassOrigins are the known hostile origins: every fuzz target that takes
// an origin or a URL starts from them, and so does the differential fuzzer
// of real middlewares (which reads the FuzzOrigin corpus).
var bypassOrigins = []bypassOrigin{
	{"empty-label", "https://.example.com", "rs/cors, go-chi/cors, gin-contrib/cors, echo v4, fiber v2 match *.example.com (docs/conformance.md)"},
	{"empty-inner-label", "https://a..example.com", "an empty label inside the subdomain part"},
	{"suffix", "https://evilexample.com", "origin.endsWith(\"example.com\") (docs/findings.md, origin-suffix-bypass)"},
	{"suffix-sub", "https://evilapp.example.com", "endsWith(\"app.example.com\")"},
	{"prefix", "https://app.example.com.evil.net", "startsWith / unanchored regexp (origin-prefix-bypass)"},
	{"underscore", "https://app.example.com_.evil.net", "special characters in hosts (whatwg/url#159)"},
	{"backtick", "https://app.example.com`.evil.net", "special characters in hosts (whatwg/url#159)"},
	{"brace", "https://app.example.com}.evil.net", "special characters in hosts (whatwg/url#159)"},
	{"insecure", "http://app.example.com", "scheme not compared (insecure-origin-allowed)"},
	{"apex", "https://example.com", "pattern *.example.com must not match the apex"},
	{"radix", "https://barfoo.com", "jub0bs/cors GHSA-vhxv-fg4m-p2w8 (foo.com and bar.com allowed)"},
	{"wildcard-end", "https://example.community", "gin-contrib/cors CVE-2019-25211 (https://example.com/* allowed example.community)"},
	{"path-suffix", "https://adversary.com/mckinsey.com", "enable-cors.org#74 (unescaped dot, unanchored regexp)"},
	{"null", "null", "sandboxed iframes and data: URLs; AllowOriginsFunc may allow it (fiber)"},
	{"upper", "https://APP.EXAMPLE.COM", "browsers never send upper case; rs/cors folds case"},
	{"backslash-at", `http://example.com\@evil.com`, "WHATWG host example.com, RFC 3986 host evil.com (OWASP CheatSheetSeries#2401)"},
	{"ipv4-hex", "http://0x7f.1", "WHATWG IPv4 forms: 127.0.0.1"},
	{"ipv4-decimal", "http://2130706433", "WHATWG IPv4 forms: 127.0.0.1"},
	{"ipv4-dotted", "http://127.0.0.1:8080", "an IP address origin"},
	{"ipv6", "https://[::1]:8443", "an IPv6 origin"},
	{"ipv6-mapped", "https://[::ffff:127.0.0.1]", "WHATWG serializes it as [::ffff:7f00:1]"},
	{"ipv6-zone", "http://[fe80::1%25eth0]", "RFC 6874 zone, no WHATWG equivalent"},
	{"default-port", "https://app.example.com:443", "a serialized origin omits the default port"},
	{"zero-port", "https://app.example.com:0443", "leading zeros in the port"},
	{"big-port", "https://app.example.com:65536", "port out of range"},
	{"empty-port", "https://app.example.com:", "an empty port"},
	{"empty-userinfo", "https://@app.example.com", "an empty userinfo: not a credential, not an origin either"},
	{"userinfo", "https://user:pass@app.example.com", "userinfo is never part of an origin"},
	{"trailing-slash", "https://app.example.com/", "Spring trims it; browsers never send it"},
	{"query", "https://app.example.com?x", "never part of an origin"},
	{"fragment", "https://app.example.com#.example.com", "a fragment that looks like a suffix"},
	{"punycode", "https://xn--mnchen-3ya.de", "an IDN in its ASCII form"},
	{"unicode", "https://münchen.de", "an IDN as written: browsers send the xn-- form"},
	{"trailing-dot", "https://app.example.com.", "a fully qualified host"},
	{"percent", "https://app.example.com%2eevil.net", "a percent-encoded dot in the host"},
	{"pattern", "https://*.example.com", "a pattern, not an origin"},
	{"no-slashes", "https:app.example.com", "WHATWG accepts a special URL without //"},
	{"tab", "https://app.example.com\t", "trailing whitespace"},
	{"file", "file:///etc/passwd", "an opaque origin"},
	{"ws", "wss://app.example.com", "a special scheme other than http(s)"},
}

// hostileLists are list values that broke list parsers (rs/cors#170,
// go-chi/cors#36: thousands of commas; kept short here, the fuzzer grows
// them and BenchmarkLists measures 1 MiB) or that test quoting and
// whitespace.
var hostileLists = []string{
	strings.Repeat(",", 128), strings.Repeat(", ", 64), `"a,b", c`, `a, "b\"c,d"`,
	"\"unclosed, x", " \t a \t,\t b \t", ",,,x,,,",
}

// hostilePolicies are policy files at the edges of the format: zero and
// negative numbers, nulls, empty lists, duplicate keys, wrong types, an
// unknown field, trailing data, patterns and "*" with credentials.
var hostilePolicies = []string{
	`{"allowOrigins": ["https://a.example"], "maxAge": 0}`,
	`{"allowOrigins": ["https://a.example"], "maxAge": 7, "allowCredentials": true}`,
	`{"allowOrigins": ["https://a.example"], "maxAge": -1}`,
	`{"allowOrigins": ["https://a.example"], "maxAge": 1e3}`,
	`{"allowOrigins": ["https://*.a.example:8443", "null"], "allowMethods": [], "allowHeaders": null}`,
	`{"allowOrigins": ["*"], "allowCredentials": true}`,
	`{"allowOrigins": ["https://a.example"], "allowOrigins": ["https://b.example"]}`,
	`{"allowOrigins": "https://a.example", "allowMethods": [1], "exposeHeaders": {}}`,
	`{"allowOrigins": ["https://a.example"], "AllowOrigins": ["https://b.example"]}`,
	`{"allowOrigins": ["https://a.example"]} {}`,
	`[]`,
	`null`,
}

// file is one seed file: the values of one call of a fuzz function.
type file struct {
	name   string
	values []any
}

// corpora maps a directory (relative to the fuzz directory) to its
// generated seed files.
type corpora map[string][]file

// generatedPrefixes are the file-name prefixes seedgen owns.
var generatedPrefixes = []string{"table-", "bypass-", "policy-"}

// Generated reports whether a seed file name is one seedgen owns.
func generated(name string) bool {
	for _, p := range generatedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// derive derives every fuzz target's seeds. fuzzDir is the repository's
// fuzz directory (the policy files are read from ../internal/targets).
func derive(fuzzDir string) (corpora, error) {
	table, err := cases.Embedded()
	if err != nil {
		return nil, fmt.Errorf("loading the case table: %w", err)
	}
	c := corpora{}
	seen := map[string]bool{}
	// add adds a file named prefix + a hash of values, once per directory.
	add := func(target, prefix string, values ...any) {
		dir := targetDir(target)
		name := prefix + contentName(values)
		if seen[dir+"/"+name] {
			return
		}
		seen[dir+"/"+name] = true
		c[dir] = append(c[dir], file{name, values})
	}
	origins := []string{"FuzzOrigin", "FuzzOriginNetURL"}
	for _, b := range bypassOrigins {
		for _, target := range origins {
			c[targetDir(target)] = append(c[targetDir(target)], file{"bypass-" + b.name, []any{b.origin}})
		}
		if b.origin != "null" {
			d := targetDir("FuzzPolicyPattern")
			c[d] = append(c[d], file{"bypass-" + b.name, []any{"https://*.example.com", b.origin}})
		}
	}
	for _, v := range hostileLists {
		add("FuzzHeaderList", "bypass-", v)
	}
	for _, tc := range table.Cases {
		ex := tc.Exchange()
		for _, target := range origins {
			add(target, "table-", ex.Request.Origin)
			add(target, "table-", ex.Request.URL)
		}
		responses := []spec.Response{ex.Response}
		if ex.Preflight != nil {
			responses = append(responses, *ex.Preflight)
		}
		for _, rd := range ex.Redirects {
			for _, target := range origins {
				add(target, "table-", rd.Location)
			}
			responses = append(responses, spec.Response{Status: rd.Status, Headers: rd.Headers})
		}
		creds := credentialsByte(ex.Request.Credentials)
		mask := uint64(len(tc.ID))
		for _, r := range responses {
			for _, h := range r.Headers {
				switch strings.ToLower(h.Name) {
				case "access-control-allow-origin":
					for _, target := range origins {
						add(target, "table-", h.Value)
					}
				case "access-control-allow-methods", "access-control-allow-headers", "access-control-expose-headers":
					add("FuzzHeaderList", "table-", h.Value)
				}
			}
			if hs, ok := encodeHeaders(r.Headers); ok {
				add("FuzzCORSCheck", "table-", ex.Request.Origin, hs, creds, "X-Unrelated", mask)
			}
		}
		if hs, ok := encodeHeaders(ex.Request.Headers); ok && len(ex.Request.Headers) > 0 {
			add("FuzzSafelist", "table-", hs)
		}
		if s, ok := judgeSeed(ex, mask); ok {
			add("FuzzJudge", "table-", s...)
		}
	}
	policies, err := filepath.Glob(filepath.Join(fuzzDir, "..", "internal", "targets", "policies", "*.json"))
	if err != nil || len(policies) == 0 {
		return nil, fmt.Errorf("no policy files under %s: %v", filepath.Join(fuzzDir, "..", "internal", "targets", "policies"), err)
	}
	for _, p := range policies {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		add("FuzzParsePolicy", "policy-", b)
	}
	for _, b := range hostilePolicies {
		add("FuzzParsePolicy", "bypass-", []byte(b))
	}
	for _, pat := range []string{"https://*.example.com", "http://*.example.com:8080", "https://*.a.b.example", "https://*.xn--mnchen-3ya.de"} {
		for _, o := range []string{"https://app.example.com", "https://a.b.example.com", "http://app.example.com:8080", "https://x.a.b.example", "https://xn--mnchen-3ya.de"} {
			add("FuzzPolicyPattern", "table-", pat, o)
		}
	}
	return c, nil
}

// targetDir is where a fuzz target's corpus lives, relative to the fuzz
// directory: the loader targets are in package loaders (they import
// runner, whose size would slow the spec targets down).
func targetDir(target string) string {
	if target == "FuzzParsePolicy" || target == "FuzzPolicyPattern" {
		return filepath.Join("loaders", "testdata", "fuzz", target)
	}
	return filepath.Join("testdata", "fuzz", target)
}

// judgeSeed encodes an exchange as the arguments of FuzzJudge; ok is false
// when a header cannot be encoded or the exchange has redirects (FuzzJudge
// judges exchanges without them).
func judgeSeed(ex spec.Exchange, mask uint64) ([]any, bool) {
	if len(ex.Redirects) > 0 {
		return nil, false
	}
	req, ok1 := encodeHeaders(ex.Request.Headers)
	resp, ok2 := encodeHeaders(ex.Response.Headers)
	pfStatus, pf, ok3 := 0, "", true
	if ex.Preflight != nil {
		pfStatus = ex.Preflight.Status
		pf, ok3 = encodeHeaders(ex.Preflight.Headers)
	}
	if !ok1 || !ok2 || !ok3 {
		return nil, false
	}
	return []any{ex.Request.Origin, ex.Request.URL, ex.Request.Method, req, credentialsByte(ex.Request.Credentials), ex.Request.HasBody,
		pfStatus, pf, ex.Response.Status, resp, "X-Unrelated", mask}, true
}

// encodeHeaders writes headers in the encoding the fuzz targets decode: one
// "name:value" line per header, joined by "\n". ok is false when a name
// holds ":" or "\n" or a value holds "\n".
func encodeHeaders(hs []spec.Header) (s string, ok bool) {
	lines := make([]string, 0, len(hs))
	for _, h := range hs {
		if strings.ContainsAny(h.Name, ":\n") || strings.Contains(h.Value, "\n") {
			return "", false
		}
		lines = append(lines, h.Name+":"+h.Value)
	}
	return strings.Join(lines, "\n"), true
}

// credentialsByte encodes a credentials mode as the fuzz targets decode it:
// 0 omit, 1 same-origin (also for ""), 2 include.
func credentialsByte(c spec.Credentials) byte {
	switch c {
	case spec.CredentialsOmit:
		return 0
	case spec.CredentialsInclude:
		return 2
	}
	return 1
}

// contentName names a file after a hash of its contents, as go test does.
func contentName(values []any) string {
	sum := sha256.Sum256(marshal(values))
	return hex.EncodeToString(sum[:])[:16]
}

// Marshal writes values in go test's corpus file format ("go test fuzz
// v1").
func marshal(values []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", v)
		case int, uint64, bool:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("seedgen: unsupported type %T", v))
		}
	}
	return b.Bytes()
}

// onDisk reads the generated files of every directory of c (and of no
// other), as file path (relative to fuzzDir) to contents.
func onDisk(fuzzDir string, c corpora) (map[string]string, error) {
	got := map[string]string{}
	for dir := range c {
		entries, err := os.ReadDir(filepath.Join(fuzzDir, dir))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, e := range entries {
			if !generated(e.Name()) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(fuzzDir, dir, e.Name()))
			if err != nil {
				return nil, err
			}
			got[filepath.Join(dir, e.Name())] = string(b)
		}
	}
	return got, nil
}

// contents is what onDisk should read once c is written.
func contents(c corpora) map[string]string {
	want := map[string]string{}
	for dir, files := range c {
		for _, f := range files {
			want[filepath.Join(dir, f.name)] = string(marshal(f.values))
		}
	}
	return want
}

// write brings the generated files under fuzzDir in line with c.
func write(fuzzDir string, c corpora) error {
	got, err := onDisk(fuzzDir, c)
	if err != nil {
		return err
	}
	want := contents(c)
	for path := range got {
		if _, ok := want[path]; !ok {
			if err := os.Remove(filepath.Join(fuzzDir, path)); err != nil {
				return err
			}
		}
	}
	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if got[p] == want[p] {
			continue
		}
		full := filepath.Join(fuzzDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(want[p]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
