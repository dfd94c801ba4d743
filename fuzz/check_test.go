package fuzz

import (
	"slices"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Header names the invariants read, in this test's own spelling.
const (
	acao = "Access-Control-Allow-Origin"
	acac = "Access-Control-Allow-Credentials"
	acam = "Access-Control-Allow-Methods"
	acah = "Access-Control-Allow-Headers"
	aceh = "Access-Control-Expose-Headers"
)

// FuzzCORSCheck checks spec.CORSCheck on any origin, response headers and
// credentials mode:
//
//   - it passes only with exactly one Access-Control-Allow-Origin line whose
//     value (spaces and tabs stripped) is the origin byte for byte, or `*`
//     when credentials are not included; with credentials also exactly one
//     Access-Control-Allow-Credentials line `true`. So a credentialed
//     request is never allowed with `*`, and an exact-origin server naming
//     another origin is never allowed;
//   - a header line unrelated to CORS, inserted anywhere, and any casing of
//     the header names leave the reason unchanged.
func FuzzCORSCheck(f *testing.F) {
	f.Fuzz(func(t *testing.T, origin, headers string, creds uint8, extra string, mask uint64) {
		hs := parseHeaders(headers)
		mode := credentialsMode(creds)
		reason, _ := spec.CORSCheck(origin, mode, hs)
		if reason == spec.ReasonNone {
			if why := corsCheckMustFail(origin, mode, hs); why != "" {
				t.Errorf("CORSCheck(%q, %s, %q) passes, but %s", origin, mode, hs, why)
			}
		}
		if isUnrelatedHeaderName(extra) {
			more := insertHeader(hs, spec.Header{Name: extra, Value: origin}, mask)
			if r, _ := spec.CORSCheck(origin, mode, more); r != reason {
				t.Errorf("CORSCheck(%q, %s, %q) = %q, but with the unrelated header %s added = %q", origin, mode, hs, reason, extra, r)
			}
		}
		bit := 0
		flipped := flipCase(hs, mask, &bit)
		if r, _ := spec.CORSCheck(origin, mode, flipped); r != reason {
			t.Errorf("CORSCheck(%q, %s, %q) = %q, but with names recased %q = %q", origin, mode, hs, reason, flipped, r)
		}
	})
}

// corsCheckMustFail returns why the CORS check must fail for a request from
// origin with credentials mode creds and response headers hs, or "" when it
// may pass.
func corsCheckMustFail(origin string, creds spec.Credentials, hs []spec.Header) string {
	allow := lines(hs, acao)
	switch {
	case len(allow) != 1:
		return "there is not exactly one Access-Control-Allow-Origin line"
	case creds == spec.CredentialsInclude && allow[0] == "*":
		return "credentials are included and Access-Control-Allow-Origin is *"
	case allow[0] != "*" && allow[0] != origin:
		return "Access-Control-Allow-Origin names another origin"
	case creds == spec.CredentialsInclude:
		if c := lines(hs, acac); len(c) != 1 || c[0] != "true" {
			return "credentials are included without exactly one Access-Control-Allow-Credentials: true"
		}
	}
	return ""
}

// FuzzJudge checks spec.Judge on any exchange without redirects:
//
//   - cross-origin and allowed with credentials included means the response
//     (and the preflight, when one was sent) passed the CORS check with the
//     request's own origin and `Access-Control-Allow-Credentials: true`,
//     never `*`; a preflighted method that is not CORS-safelisted is then
//     listed literally in Access-Control-Allow-Methods, and every
//     CORS-unsafe request-header name literally in
//     Access-Control-Allow-Headers (`*` covers neither);
//   - an unrelated response header, inserted anywhere in the preflight and
//     the response, never changes the verdict (script may then read it:
//     that is the only change allowed);
//   - the verdict never depends on the case of header names (request,
//     preflight or response), nor on how the elements of the
//     Access-Control-Allow-Methods, -Allow-Headers and -Expose-Headers lists
//     are spread over header lines;
//   - an exact-origin server, answering the preflight and the response with
//     `Access-Control-Allow-Origin` naming some other origin (and
//     `-Allow-Credentials: true`), is never allowed for a cross-origin
//     request.
func FuzzJudge(f *testing.F) {
	f.Fuzz(func(t *testing.T, origin, url, method, reqHeaders string, creds uint8, body bool,
		pfStatus int, pfHeaders string, status int, respHeaders string, extra string, mask uint64) {
		ex := spec.Exchange{
			Request: spec.Request{Origin: origin, URL: url, Method: method, Headers: parseHeaders(reqHeaders),
				Credentials: credentialsMode(creds), HasBody: body},
			Response: spec.Response{Status: status, Headers: parseHeaders(respHeaders)},
		}
		if pfStatus != 0 {
			ex.Preflight = &spec.Response{Status: pfStatus, Headers: parseHeaders(pfHeaders)}
		}
		v := spec.Judge(ex)
		if v.Outcome != spec.Allowed && v.Outcome != spec.Blocked {
			t.Fatalf("Judge(%+v) outcome %q", ex, v.Outcome)
		}
		if v.Outcome == spec.Blocked && !v.Reason.Known() {
			t.Fatalf("Judge(%+v) blocked with unknown reason %q", ex, v.Reason)
		}
		cross := crossOrigin(origin, url)
		if cross && v.Outcome == spec.Allowed && ex.Request.Credentials == spec.CredentialsInclude {
			checkCredentialedAllowed(t, ex, v)
		}

		if isUnrelatedHeaderName(extra) {
			more := ex
			h := spec.Header{Name: extra, Value: "*"}
			more.Response.Headers = insertHeader(ex.Response.Headers, h, mask)
			if ex.Preflight != nil {
				more.Preflight = &spec.Response{Status: pfStatus, Headers: insertHeader(ex.Preflight.Headers, h, mask>>8)}
			}
			w := spec.Judge(more)
			if !sameDecision(v, w) || !sameExposedBut(v.Exposed, w.Exposed, strings.ToLower(extra)) {
				t.Errorf("Judge(%+v) = %+v\nbut with the unrelated header %s added = %+v", ex, v, extra, w)
			}
		}

		spread := ex
		spread.Response.Headers = spreadLists(ex.Response.Headers)
		if ex.Preflight != nil {
			spread.Preflight = &spec.Response{Status: pfStatus, Headers: spreadLists(ex.Preflight.Headers)}
		}
		if w := spec.Judge(spread); !sameDecision(v, w) || !slices.Equal(v.Exposed, w.Exposed) || v.Detail != w.Detail {
			t.Errorf("Judge(%+v) = %+v\nbut with every list header spread over one line per element = %+v", ex, v, w)
		}

		bit := 0
		recased := ex
		recased.Request.Headers = flipCase(ex.Request.Headers, mask, &bit)
		recased.Response.Headers = flipCase(ex.Response.Headers, mask, &bit)
		if ex.Preflight != nil {
			recased.Preflight = &spec.Response{Status: pfStatus, Headers: flipCase(ex.Preflight.Headers, mask, &bit)}
		}
		if w := spec.Judge(recased); !sameDecision(v, w) || !slices.Equal(v.Exposed, w.Exposed) || !asciiEqualFold(v.Detail, w.Detail) {
			t.Errorf("Judge(%+v) = %+v\nbut with header names recased = %+v", ex, v, w)
		}

		if cross {
			for _, other := range otherOrigins(origin) {
				fixed := ex
				fixed.Response.Headers = withAllowOrigin(ex.Response.Headers, other)
				pf := spec.Response{Status: 200}
				if ex.Preflight != nil {
					pf = *ex.Preflight
				}
				pf.Headers = withAllowOrigin(pf.Headers, other)
				fixed.Preflight = &pf
				if w := spec.Judge(fixed); w.Outcome == spec.Allowed {
					t.Errorf("Judge allows a request from %q to an exact-origin server answering Access-Control-Allow-Origin: %q\nexchange: %+v", origin, other, fixed)
				}
			}
		}
	})
}

// crossOrigin reports whether a request from origin to url is cross-origin
// (so the CORS protocol applies): true unless origin is a serialized tuple
// origin that url has, or url is not an http(s) URL (a data: URL is
// answered by the browser without CORS; any other is refused before a
// request is made).
func crossOrigin(origin, url string) bool {
	if scheme, _, ok := strings.Cut(url, ":"); ok && !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
		return false
	}
	o, err := spec.ParseOrigin(origin)
	if err != nil || o.Opaque {
		return true
	}
	u, ok := spec.URLOrigin(url)
	return !ok || !u.SameOrigin(o)
}

// checkCredentialedAllowed checks a cross-origin credentialed exchange the
// model allowed.
func checkCredentialedAllowed(t *testing.T, ex spec.Exchange, v spec.Verdict) {
	t.Helper()
	if why := corsCheckMustFail(ex.Request.Origin, spec.CredentialsInclude, ex.Response.Headers); why != "" {
		t.Errorf("Judge allows a credentialed response although %s\nexchange: %+v", why, ex)
	}
	if !v.Preflight {
		return
	}
	pf := spec.Response{Status: 200}
	if ex.Preflight != nil {
		pf = *ex.Preflight
	}
	if why := corsCheckMustFail(ex.Request.Origin, spec.CredentialsInclude, pf.Headers); why != "" {
		t.Errorf("Judge allows a credentialed exchange whose preflight fails: %s\nexchange: %+v", why, ex)
	}
	_, trace := spec.Explain(ex)
	for _, sent := range trace.Sent {
		if !sent.Preflight {
			continue
		}
		if m := sent.ACRM; !spec.IsSafelistedMethod(m) && !slices.Contains(listElements(pf.Headers, acam), m) {
			t.Errorf("Judge allows a credentialed %s whose preflight lists %q in Access-Control-Allow-Methods\nexchange: %+v", m, listElements(pf.Headers, acam), ex)
		}
		allowed := listElements(pf.Headers, acah)
		for name := range strings.SplitSeq(sent.ACRH, ",") {
			if name != "" && !slices.ContainsFunc(allowed, func(a string) bool { return asciiEqualFold(a, name) }) {
				t.Errorf("Judge allows a credentialed request with header %s whose preflight lists %q in Access-Control-Allow-Headers\nexchange: %+v", name, allowed, ex)
			}
		}
	}
}

// sameDecision compares what two verdicts decided, leaving out Detail
// (which quotes names as written) and Exposed.
func sameDecision(a, b spec.Verdict) bool {
	return a.Outcome == b.Outcome && a.Stage == b.Stage && a.Reason == b.Reason && a.Hop == b.Hop &&
		a.Preflight == b.Preflight && a.Preflights == b.Preflights
}

// sameExposedBut reports whether a and b hold the same names apart from
// name.
func sameExposedBut(a, b []string, name string) bool {
	drop := func(s []string) []string {
		return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == name })
	}
	return slices.Equal(drop(a), drop(b))
}

// otherOrigins returns values an exact-origin server may send that are not
// origin: near misses (a trailing slash, upper case, a default port, a
// trailing dot, another scheme) and unrelated fixed origins.
func otherOrigins(origin string) []string {
	candidates := []string{
		"https://fixed.crosscheck.example", "null",
		origin + "/", strings.ToUpper(origin), origin + ":443", origin + ".",
		strings.Replace(origin, "https://", "http://", 1), origin + "x",
	}
	var out []string
	for _, c := range candidates {
		if c != origin && strings.Trim(c, " \t") == c && !strings.ContainsAny(c, ",\n") {
			out = append(out, c)
		}
	}
	return out
}

// withAllowOrigin returns hs with every Access-Control-Allow-Origin and
// -Allow-Credentials line replaced by one line each: value and `true`.
func withAllowOrigin(hs []spec.Header, value string) []spec.Header {
	out := []spec.Header{{Name: acao, Value: value}, {Name: acac, Value: "true"}}
	for _, h := range hs {
		if !asciiEqualFold(h.Name, acao) && !asciiEqualFold(h.Name, acac) {
			out = append(out, h)
		}
	}
	return out
}

// spreadLists returns hs with every Access-Control-Allow-Methods,
// -Allow-Headers and -Expose-Headers line replaced, in place, by one line
// per comma-separated piece: the same lists, as a server that writes one
// element per line sends them.
func spreadLists(hs []spec.Header) []spec.Header {
	var out []spec.Header
	for _, h := range hs {
		if !asciiEqualFold(h.Name, acam) && !asciiEqualFold(h.Name, acah) && !asciiEqualFold(h.Name, aceh) {
			out = append(out, h)
			continue
		}
		for piece := range strings.SplitSeq(h.Value, ",") {
			out = append(out, spec.Header{Name: h.Name, Value: piece})
		}
	}
	return out
}
