package spec

import (
	"slices"
	"strings"
)

// AllowOriginKind classifies an Access-Control-Allow-Origin header.
type AllowOriginKind int

// The kinds of Access-Control-Allow-Origin header.
const (
	AllowOriginAbsent   AllowOriginKind = iota // no header line
	AllowOriginWildcard                        // exactly `*`
	AllowOriginNull                            // exactly `null`
	AllowOriginOrigin                          // a single absolute URL (possibly not a serialized origin)
	AllowOriginMultiple                        // several lines, or a value with a comma, space or tab inside
	AllowOriginInvalid                         // a single item that is none of the above
)

// ClassifyAllowOrigin classifies the Access-Control-Allow-Origin lines of a
// response and returns the value as the CORS check sees it (the first
// line's value, stripped of surrounding spaces and tabs).
func ClassifyAllowOrigin(h []Header) (AllowOriginKind, string) {
	n, v := HeaderLines(h, hACAO)
	switch {
	case n == 0:
		return AllowOriginAbsent, ""
	case n > 1 || strings.IndexByte(v, ',') >= 0 || strings.IndexByte(v, ' ') >= 0 || strings.IndexByte(v, '\t') >= 0:
		return AllowOriginMultiple, v
	case v == "*":
		return AllowOriginWildcard, v
	case v == "null":
		return AllowOriginNull, v
	case IsAbsoluteURL(v):
		return AllowOriginOrigin, v
	}
	return AllowOriginInvalid, v
}

// CORSCheck performs the CORS check of a response's headers for a request
// whose serialized origin is origin ("null" for an opaque or tainted origin)
// and whose credentials mode is creds. It returns ReasonNone when the check
// passes, else the reason and the offending value.
func CORSCheck(origin string, creds Credentials, h []Header) (Reason, string) {
	n, v := HeaderLines(h, hACAO)
	kind := AllowOriginOrigin
	if n != 1 || v != origin {
		// Only a value that is not the origin needs classifying.
		kind, v = ClassifyAllowOrigin(h)
	}
	include := creds == CredentialsInclude
	switch kind {
	case AllowOriginAbsent:
		return ACAOMissing, ""
	case AllowOriginWildcard:
		if include {
			return ACAOWildcardWithCredentials, v
		}
		return ReasonNone, ""
	case AllowOriginMultiple:
		// Several lines join with ", ", which no serialized origin (nor
		// "null") contains, so the byte comparison fails whatever the
		// values; a single line equal to the origin never gets here.
		return ACAOMultiple, v
	}
	if v != origin {
		if kind == AllowOriginInvalid {
			return ACAOInvalid, v
		}
		return ACAOMismatch, v
	}
	if !include {
		return ReasonNone, ""
	}
	if n, c := HeaderLines(h, hACAC); n != 1 || c != "true" {
		return ACACNotTrue, c
	}
	return ReasonNone, ""
}

// isRedirectStatus reports whether s is a redirect status (301, 302, 303,
// 307, 308).
func isRedirectStatus(s int) bool {
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308
}

// IsOKStatus reports whether s is an ok status (200 to 299).
func IsOKStatus(s int) bool { return 200 <= s && s <= 299 }

// PreflightRequest is what a preflight is checked for: the actual request's
// serialized origin, normalized method, header list (forbidden headers
// dropped, values normalized), credentials mode and use-CORS-preflight flag.
type PreflightRequest struct {
	Origin         string
	Method         string
	Headers        []Header
	Credentials    Credentials
	ForcePreflight bool
}

// CheckPreflight checks a preflight response for the actual request r, in
// the order Chrome reports failures (the spec does not order the checks
// that share "network error"): a followed redirect, the CORS check, the ok
// status, Access-Control-Allow-Methods and -Headers parsing, the method, the
// Authorization header, and the other CORS-unsafe request headers. It
// returns ReasonNone when the actual request may be sent.
func CheckPreflight(r PreflightRequest, p Response) (Reason, string) {
	return checkPreflight(r, unsafeHeaders(r.Headers), p)
}

// checkPreflight is CheckPreflight with the request's CORS-unsafe headers
// already known.
func checkPreflight(r PreflightRequest, unsafe unsafeSet, p Response) (Reason, string) {
	if isRedirectStatus(p.Status) {
		if n, loc := HeaderLines(p.Headers, hLocation); n > 0 {
			return PreflightRedirect, loc
		}
	}
	if reason, d := CORSCheck(r.Origin, r.Credentials, p.Headers); reason != ReasonNone {
		return reason, d
	}
	if !IsOKStatus(p.Status) {
		return PreflightStatus, ""
	}
	methods, bad := checkTokenList(p.Headers, hACAM)
	if methods == ListFailure {
		return ACAMInvalid, bad
	}
	if st, bad := checkTokenList(p.Headers, hACAH); st == ListFailure {
		return ACAHInvalid, bad
	}
	include := r.Credentials == CredentialsInclude
	acam, acah := findList(p.Headers, hACAM), findList(p.Headers, hACAH)
	methodOK := IsSafelistedMethod(r.Method) ||
		methods == ListAbsent && r.ForcePreflight ||
		acam.has(r.Method, false) ||
		!include && acam.has("*", false)
	if !methodOK {
		return MethodNotAllowed, r.Method
	}
	for i := range r.Headers {
		if IsNonWildcardRequestHeaderName(r.Headers[i].Name) && !acah.has(r.Headers[i].Name, true) {
			return HeaderNotAllowed, r.Headers[i].Name
		}
	}
	wildcard := !include && acah.has("*", false)
	// Report the first failing name in the sorted-lowercase order the spec
	// walks the CORS-unsafe request-header names in.
	failed := ""
	for i := range r.Headers {
		name := r.Headers[i].Name
		if !unsafe.has(i) {
			continue
		}
		if wildcard || acah.has(name, true) {
			continue
		}
		if failed == "" || compareFold(name, failed) < 0 {
			failed = name
		}
	}
	if failed != "" {
		return HeaderNotAllowed, failed
	}
	return ReasonNone, ""
}

// ExposedHeaderNames returns the sorted, lowercased, de-duplicated names of
// the response headers that script can read. cors is whether the response
// tainting is "cors" (a cross-origin request): then only the CORS-safelisted
// response-header names and those Access-Control-Expose-Headers lists are
// readable (`*` lists every name unless credentials are included);
// otherwise every name is. Set-Cookie and Set-Cookie2 are never readable.
// A list that fails to parse exposes nothing extra.
func ExposedHeaderNames(h []Header, cors bool, creds Credentials) []string {
	all := !cors
	var listed bool
	var aceh list
	if cors {
		st, _ := checkTokenList(h, hACEH)
		listed = st == ListValid
		aceh = findList(h, hACEH)
		all = listed && creds != CredentialsInclude && aceh.has("*", false)
	}
	readable := func(name string) bool {
		switch {
		case IsForbiddenResponseHeaderName(name):
			return false
		case all, IsSafelistedResponseHeaderName(name):
			return true
		}
		return listed && aceh.has(name, true)
	}
	// Decide each header once (a bitmask for the usual short lists), then
	// lowercase every readable name into one buffer and slice it: two
	// allocations however many names there are.
	var small uint64
	var large []bool
	if len(h) > 64 {
		large = make([]bool, len(h))
	}
	isReadable := func(i int) bool {
		if large != nil {
			return large[i]
		}
		return small&(1<<i) != 0
	}
	size, count := 0, 0
	for i := range h {
		if readable(h[i].Name) {
			if large != nil {
				large[i] = true
			} else {
				small |= 1 << i
			}
			size += len(h[i].Name)
			count++
		}
	}
	names := make([]string, 0, count)
	if count == 0 {
		return names
	}
	var b strings.Builder
	b.Grow(size)
	for i := range h {
		if isReadable(i) {
			for j := 0; j < len(h[i].Name); j++ {
				b.WriteByte(lower(h[i].Name[j]))
			}
		}
	}
	buf := b.String()
	for i := range h {
		if isReadable(i) {
			n := len(h[i].Name)
			names = append(names, buf[:n])
			buf = buf[n:]
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
