package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// maxRedirects is the number of redirects a fetch follows; the next one is
// a network error.
const maxRedirects = 20

// defaultPreflightAnswer is the preflight response assumed when an exchange
// gives none: status 200, no headers.
var defaultPreflightAnswer = Response{Status: 200}

// judge holds the state of one judgement: the request as it evolves through
// redirects (method, headers, URL, taint), and the optional trace.
type judge struct {
	trace *Trace

	origin     Origin // the request's origin
	originStr  string // its serialization as given
	creds      Credentials
	method     string
	headers    []Header // forbidden headers dropped, values normalized
	hasBody    bool
	force      bool
	cur        urlParts // the current URL
	curStr     string
	corsTaint  bool // response tainting is "cors"
	tainted    bool // redirect-taint is not "same-origin": the origin serializes as null
	preflights int
}

func (j *judge) step(stage Stage, anchor, format string, args ...any) {
	if j.trace != nil {
		j.trace.Steps = append(j.trace.Steps, Step{Stage: stage, Text: fmt.Sprintf(format, args...), Anchor: anchor})
	}
}

func (j *judge) sent(r SentRequest) {
	if j.trace != nil {
		if len(r.Headers) == 0 {
			r.Headers = nil
		} else {
			r.Headers = slices.Clone(r.Headers) // the trace owns its copy
		}
		j.trace.Sent = append(j.trace.Sent, r)
	}
}

// serializedOrigin is "byte-serializing a request origin": "null" once the
// redirect-taint is not same-origin.
func (j *judge) serializedOrigin() string {
	if j.tainted || j.origin.Opaque {
		return "null"
	}
	return j.originStr
}

func (j *judge) blocked(stage Stage, reason Reason, hop int, detail string) Verdict {
	if j.trace != nil {
		j.step(stage, reason.Anchor(), "blocked: %s (%s)", reason, reason.Doc())
	}
	return Verdict{Outcome: Blocked, Stage: stage, Reason: reason, Hop: hop, Detail: detail,
		Preflight: j.preflights > 0, Preflights: j.preflights}
}

func (j *judge) run(ex *Exchange) Verdict {
	req := &ex.Request
	if v, stop := j.prepare(req); stop {
		return v
	}
	for hop := 0; ; hop++ {
		if !j.corsTaint && j.cur.sameOriginAs(j.origin) && !j.origin.Opaque {
			if j.trace != nil {
				j.step("", "main-fetch", "%s is same-origin with the request origin %s: no CORS protocol (response tainting basic)", j.curStr, j.originStr)
			}
			j.sent(SentRequest{URL: j.cur.wireURL(), Method: j.method, Origin: j.sameOriginOriginHeader(), Headers: j.headers})
		} else {
			if !j.corsTaint {
				if j.trace != nil {
					j.step("", "main-fetch", "%s is cross-origin for %s: response tainting becomes cors", j.curStr, j.serializedOrigin())
				}
			}
			j.corsTaint = true
			if v, stop := j.maybePreflight(ex, hop); stop {
				return v
			}
			j.sent(SentRequest{URL: j.cur.wireURL(), Method: j.method, Origin: j.serializedOrigin(), Headers: j.headers})
		}
		if hop < len(ex.Redirects) && ex.Redirects[hop].Location != "" {
			if v, stop := j.redirect(&ex.Redirects[hop], hop); stop {
				return v
			}
			continue
		}
		return j.final(ex, hop)
	}
}

// prepare runs the checks fetch() and the Request constructor make before
// anything is sent, and sets up the request state.
func (j *judge) prepare(req *Request) (Verdict, bool) {
	j.creds = req.Credentials
	if j.creds == "" {
		j.creds = CredentialsSameOrigin
	}
	j.originStr = req.Origin
	if o, err := ParseOrigin(req.Origin); err == nil {
		j.origin = o
	} else {
		// Not a serialized origin: treat it as an origin that is never
		// same-origin with anything, compared byte-for-byte as given.
		j.origin = Origin{Opaque: req.Origin == "null"}
		j.origin.Scheme = "\x00invalid"
	}
	// The Request constructor parses the URL and rejects credentials in it;
	// main fetch later rejects schemes other than http(s).
	u, ok := parseAbsoluteURL(req.URL)
	if !ok || u.badPort {
		if j.trace != nil {
			j.step(StageRequest, "dom-request", "URL %q does not parse as an absolute URL", req.URL)
		}
		return j.blocked(StageRequest, SchemeNotHTTP, 0, req.URL), true
	}
	if u.userinfo {
		if j.trace != nil {
			j.step(StageRequest, "dom-request", "URL %q includes credentials", req.URL)
		}
		return j.blocked(StageRequest, URLCredentials, 0, req.URL), true
	}
	j.cur, j.curStr = u, req.URL
	m := req.Method
	if m == "" {
		m = "GET"
	}
	if !IsToken(m) {
		return j.blocked(StageRequest, MethodInvalid, 0, m), true
	}
	if IsForbiddenMethod(m) {
		return j.blocked(StageRequest, MethodForbidden, 0, m), true
	}
	j.method = NormalizeMethod(m)
	if j.method != m {
		if j.trace != nil {
			j.step("", "concept-method-normalize", "method %q normalizes to %q", m, j.method)
		}
	}
	// One pass over the script's headers: validity, whether the Headers
	// object would change the list, and what the implicit headers need.
	clean, hasContentType, hasAccept, total := true, false, false, 0
	for i := range req.Headers {
		h := &req.Headers[i]
		v := NormalizeHeaderValue(h.Value)
		if !IsToken(h.Name) || strings.IndexByte(v, 0) >= 0 || strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, '\n') >= 0 {
			return j.blocked(StageRequest, HeaderInvalid, 0, h.Name), true
		}
		if v != h.Value || IsForbiddenRequestHeader(h.Name, v) {
			clean = false
		}
		hasContentType = hasContentType || equalFold(h.Name, "Content-Type")
		hasAccept = hasAccept || equalFold(h.Name, "Accept")
		if IsSafelistedRequestHeader(h.Name, v) {
			total += len(v)
		}
	}
	if req.HasBody && (j.method == "GET" || j.method == "HEAD") {
		return j.blocked(StageRequest, BodyWithGetOrHead, 0, j.method), true
	}
	if !u.isHTTPScheme() {
		if j.trace != nil {
			j.step(StageRequest, "main-fetch", "URL %q is not an http(s) URL", req.URL)
		}
		return j.blocked(StageRequest, SchemeNotHTTP, 0, req.URL), true
	}
	j.hasBody = req.HasBody
	j.force = req.ForcePreflight
	// A string body adds Content-Type: text/plain;charset=UTF-8 and fetch
	// appends Accept: */* when script set none. Both are CORS-safelisted,
	// so they only matter when they push the safelisted values over 1024
	// bytes: the header list is rebuilt only then, or when the Headers
	// object changed it (dropped or trimmed headers).
	const bodyType, defaultAccept = "text/plain;charset=UTF-8", "*/*"
	addContentType := req.HasBody && !hasContentType
	addAccept := !hasAccept
	extra := 0
	if addContentType {
		extra += len(bodyType)
	}
	if addAccept {
		extra += len(defaultAccept)
	}
	implicitMatters := extra > 0 && total+extra > SafelistTotalLimit
	if clean && !implicitMatters {
		j.headers = req.Headers
		return Verdict{}, false
	}
	hs := make([]Header, 0, len(req.Headers)+2)
	for _, h := range req.Headers {
		v := NormalizeHeaderValue(h.Value)
		if IsForbiddenRequestHeader(h.Name, v) {
			if j.trace != nil {
				j.step("", "forbidden-request-header", "header %s is a forbidden request-header: dropped", h.Name)
			}
			continue
		}
		hs = append(hs, Header{h.Name, v})
	}
	if addContentType {
		if j.trace != nil {
			j.step("", "concept-bodyinit-extract", "a string body adds Content-Type: text/plain;charset=UTF-8")
		}
		hs = append(hs, Header{"Content-Type", bodyType})
	}
	if addAccept {
		if j.trace != nil {
			j.step("", "concept-fetch", "fetch appends the default Accept: */*")
		}
		hs = append(hs, Header{"Accept", defaultAccept})
	}
	j.headers = hs
	return Verdict{}, false
}

func hasHeader(h []Header, name string) bool {
	n, _ := HeaderLines(h, name)
	return n > 0
}

// sameOriginOriginHeader is the Origin header of a same-origin request: sent
// for methods other than GET and HEAD.
func (j *judge) sameOriginOriginHeader() string {
	if j.method == "GET" || j.method == "HEAD" {
		return ""
	}
	return j.serializedOrigin()
}

func (j *judge) preflightRequest() PreflightRequest {
	return PreflightRequest{Origin: j.serializedOrigin(), Method: j.method, Headers: j.headers,
		Credentials: j.creds, ForcePreflight: j.force}
}

// preflightSent is the CORS preflight for the request as it stands: OPTIONS
// to the current URL with the serialized origin, the method, and the
// CORS-unsafe header names lowercased, sorted and joined by ",".
func (j *judge) preflightSent() SentRequest {
	return SentRequest{Preflight: true, URL: j.cur.wireURL(), Method: "OPTIONS", Origin: j.serializedOrigin(),
		ACRM: j.method, ACRH: strings.Join(UnsafeRequestHeaderNames(j.headers), ",")}
}

func (j *judge) needsPreflight(unsafe unsafeSet) bool {
	return j.force || !IsSafelistedMethod(j.method) || unsafe.any()
}

// maybePreflight sends and checks a CORS preflight when the request needs
// one.
func (j *judge) maybePreflight(ex *Exchange, hop int) (Verdict, bool) {
	unsafe := unsafeHeaders(j.headers)
	if !j.needsPreflight(unsafe) {
		if j.trace != nil {
			j.step("", "main-fetch", "method %s is CORS-safelisted and every header is CORS-safelisted: no preflight", j.method)
		}
		return Verdict{}, false
	}
	j.preflights++
	if j.trace != nil {
		pre := j.preflightSent()
		shown := ""
		if pre.ACRH != "" {
			shown = ", Access-Control-Request-Headers: " + pre.ACRH
		}
		j.step(StagePreflight, "cors-preflight-fetch-0", "preflight OPTIONS %s (Origin: %s, Access-Control-Request-Method: %s%s)",
			pre.URL, pre.Origin, pre.ACRM, shown)
		j.sent(pre)
	}
	p := ex.Preflight
	if hop < len(ex.HopPreflights) && ex.HopPreflights[hop] != nil {
		p = ex.HopPreflights[hop]
	}
	if p == nil {
		p = &defaultPreflightAnswer
		if j.trace != nil {
			j.step(StagePreflight, "cors-preflight-fetch-0", "no preflight answer given: the server answers 200 with no headers")
		}
	}
	reason, detail := checkPreflight(j.preflightRequest(), unsafe, *p)
	if reason != ReasonNone {
		if j.trace != nil {
			j.step(StagePreflight, reason.Anchor(), "preflight response (status %d) fails: %s %q", p.Status, reason, detail)
		}
		return j.blocked(StagePreflight, reason, hop, detail), true
	}
	if j.trace != nil {
		j.step(StagePreflight, "cors-preflight-fetch-0", "preflight response passes: CORS check, ok status %d, method %s and every unsafe header allowed", p.Status, j.method)
	}
	return Verdict{}, false
}

// redirect handles one redirect hop: the CORS check on the redirect
// response, then HTTP-redirect fetch.
func (j *judge) redirect(rd *Redirect, hop int) (Verdict, bool) {
	if j.corsTaint {
		if reason, detail := CORSCheck(j.serializedOrigin(), j.creds, rd.Headers); reason != ReasonNone {
			if j.trace != nil {
				j.step(StageRedirect, reason.Anchor(), "redirect %d (status %d) fails the CORS check: %s %q", hop, rd.Status, reason, detail)
			}
			return j.blocked(StageRedirect, reason, hop, detail), true
		}
		if j.trace != nil {
			j.step(StageRedirect, "concept-cors-check", "redirect %d (status %d) passes the CORS check", hop, rd.Status)
		}
	}
	locStr, loc, ok := resolveLocation(j.curStr, rd.Location)
	switch {
	case !ok:
		return j.blocked(StageRedirect, RedirectLocationInvalid, hop, rd.Location), true
	case !loc.isHTTPScheme():
		return j.blocked(StageRedirect, RedirectScheme, hop, rd.Location), true
	case hop >= maxRedirects:
		return j.blocked(StageRedirect, RedirectLimit, hop, rd.Location), true
	case loc.userinfo && (!loc.sameOriginAs(j.origin) || j.corsTaint):
		return j.blocked(StageRedirect, RedirectCredentials, hop, rd.Location), true
	}
	if rd.Status == 301 || rd.Status == 302 {
		if j.method == "POST" {
			j.toGET(rd.Status)
		}
	} else if rd.Status == 303 && j.method != "GET" && j.method != "HEAD" {
		j.toGET(rd.Status)
	}
	if !j.cur.sameOrigin(loc) && hasHeader(j.headers, "Authorization") {
		if j.trace != nil {
			j.step(StageRedirect, "concept-http-redirect-fetch", "redirect to another origin: Authorization removed")
		}
		j.headers = without(j.headers, IsNonWildcardRequestHeaderName)
	}
	if !loc.sameOrigin(j.cur) && !j.cur.sameOriginAs(j.origin) && !j.tainted {
		j.tainted = true
		if j.trace != nil {
			j.step(StageRedirect, "concept-request-tainted-origin", "redirect from %s to another origin: redirect-taint, the request origin now serializes as null", j.curStr)
		}
	}
	if j.trace != nil {
		j.step(StageRedirect, "concept-http-redirect-fetch", "redirect %d (status %d) to %s", hop, rd.Status, locStr)
	}
	j.cur, j.curStr = loc, locStr
	return Verdict{}, false
}

func (j *judge) toGET(status int) {
	if j.trace != nil {
		j.step(StageRedirect, "concept-http-redirect-fetch", "status %d: method %s becomes GET, body and request-body headers removed", status, j.method)
	}
	j.method = "GET"
	j.hasBody = false
	j.headers = without(j.headers, isRequestBodyHeaderName)
}

func isRequestBodyHeaderName(name string) bool {
	return equalFold(name, "Content-Encoding") || equalFold(name, "Content-Language") ||
		equalFold(name, "Content-Location") || equalFold(name, "Content-Type")
}

// without returns the headers whose names drop does not match, in a new
// slice (the caller's slice is never modified).
func without(h []Header, drop func(string) bool) []Header {
	out := make([]Header, 0, len(h))
	for _, x := range h {
		if !drop(x.Name) {
			out = append(out, x)
		}
	}
	return out
}

// final judges the final response.
func (j *judge) final(ex *Exchange, hop int) Verdict {
	resp := &ex.Response
	if hop < len(ex.Redirects) {
		// A redirect without a Location is the response.
		resp = &Response{Status: ex.Redirects[hop].Status, Headers: ex.Redirects[hop].Headers}
	}
	if j.corsTaint {
		if reason, detail := CORSCheck(j.serializedOrigin(), j.creds, resp.Headers); reason != ReasonNone {
			if j.trace != nil {
				j.step(StageResponse, reason.Anchor(), "response (status %d) fails the CORS check: %s %q", resp.Status, reason, detail)
			}
			return j.blocked(StageResponse, reason, hop, detail)
		}
		if j.trace != nil {
			j.step(StageResponse, "concept-cors-check", "response (status %d) passes the CORS check for origin %s", resp.Status, j.serializedOrigin())
		}
	}
	exposed := ExposedHeaderNames(resp.Headers, j.corsTaint, j.creds)
	if j.trace != nil {
		j.step("", "concept-filtered-response-cors", "script can read %d header name(s): %s", len(exposed), strings.Join(exposed, ", "))
		if j.trace != nil {
			j.step("", "", "allowed after %s redirect(s) and %d preflight(s)", strconv.Itoa(hop), j.preflights)
		}
	}
	return Verdict{Outcome: Allowed, Preflight: j.preflights > 0, Preflights: j.preflights, Hop: 0, Exposed: exposed}
}
