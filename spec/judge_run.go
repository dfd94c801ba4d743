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

// tainting is a request's response tainting.
type tainting uint8

const (
	taintBasic  tainting = iota // same-origin so far (or a data: URL)
	taintCORS                   // the CORS protocol applies
	taintOpaque                 // no-cors to another origin
)

// judge holds the state of one judgement: the request as it evolves through
// redirects (method, headers, URL, taint), and the optional trace and page.
type judge struct {
	trace *Trace
	// page holds the CORS-preflight cache and the clock; nil when judging
	// one exchange on its own (no cache).
	page *Page

	origin     Origin // the request's origin
	originStr  string // its serialization as given
	creds      Credentials
	mode       Mode
	redirMode  RedirectMode
	method     string
	headers    []Header // forbidden headers dropped, values normalized
	hasBody    bool
	stream     bool     // the body is a ReadableStream: no source to resend it from
	force      bool     // the use-CORS-preflight flag
	cur        urlParts // the current URL
	curStr     string
	taint      tainting
	tainted    bool // redirect-taint is not "same-origin": the origin serializes as null
	preflights int
	// withPreflight is set once main fetch takes its CORS-with-preflight
	// branch: a network error then clears the request's cache entries.
	withPreflight bool
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
	if j.withPreflight && j.page != nil {
		origin, url := j.serializedOrigin(), j.cur.serialize(j.curStr)
		n := j.page.Cache.Clear(origin, url)
		if j.trace != nil {
			j.step(stage, "concept-cache-clear", "the CORS-with-preflight fetch failed: clear cache entries for %s and %s (%d removed)", origin, url, n)
		}
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
		if v, done := j.mainFetch(ex, hop); done {
			return v
		}
		// The server's answer to the request just sent: a redirect hop
		// (a Location to follow) or the final response.
		status, headers, isHop, stage := ex.Response.Status, ex.Response.Headers, false, StageResponse
		if hop < len(ex.Redirects) {
			rd := &ex.Redirects[hop]
			status, headers = rd.Status, rd.Headers
			if rd.Location != "" {
				isHop, stage = true, StageRedirect
			}
		}
		if status == 407 {
			// HTTP-network-or-cache fetch: a prompt for proxy credentials
			// and a new fetch, or a network error; never a response.
			if j.trace != nil {
				j.step(stage, "concept-http-network-or-cache-fetch", "status 407: proxy authentication, handled before any CORS check; no response reaches script")
			}
			return j.blocked(stage, ProxyAuthRequired, hop, "407")
		}
		if j.taint == taintCORS {
			if reason, detail := CORSCheck(j.serializedOrigin(), j.creds, headers); reason != ReasonNone {
				if j.trace != nil {
					what := "response"
					if isHop {
						what = "redirect " + strconv.Itoa(hop)
					}
					j.step(stage, reason.Anchor(), "%s (status %d) fails the CORS check: %s %q", what, status, reason, detail)
				}
				return j.blocked(stage, reason, hop, detail)
			}
			if j.trace != nil {
				if isHop {
					j.step(StageRedirect, "concept-cors-check", "redirect %d (status %d) passes the CORS check", hop, status)
				} else {
					j.step(StageResponse, "concept-cors-check", "response (status %d) passes the CORS check for origin %s", status, j.serializedOrigin())
				}
			}
		}
		if isHop || isRedirectStatus(status) {
			switch j.redirMode {
			case RedirectError:
				if j.trace != nil {
					j.step(stage, "concept-http-fetch", "status %d is a redirect status and the redirect mode is error", status)
				}
				return j.blocked(stage, RedirectModeError, hop, strconv.Itoa(status))
			case RedirectManual:
				if j.trace != nil {
					j.step("", "concept-http-fetch", "status %d is a redirect status and the redirect mode is manual: an opaque-redirect filtered response", status)
				}
				return j.opaque(ResponseOpaqueRedirect)
			}
		}
		if !isHop {
			return j.final(status, headers, hop)
		}
		if v, stop := j.redirect(&ex.Redirects[hop], hop); stop {
			return v
		}
	}
}

// mainFetch runs main fetch's choice for the current URL: a same-origin
// (basic) fetch, a data: URL, the mode's network errors, a no-cors
// (opaque) fetch, or a CORS fetch with or without a preflight, and records
// the request sent. done is true when the verdict is reached without a
// response from a server.
func (j *judge) mainFetch(ex *Exchange, hop int) (v Verdict, done bool) {
	switch {
	case j.taint == taintBasic && j.sameOriginURL():
		if j.trace != nil {
			j.step("", "main-fetch", "%s is same-origin with the request origin %s: no CORS protocol (response tainting basic)", j.curStr, j.originStr)
		}
		if !j.cur.isHTTPScheme() {
			return j.local(), true
		}
		j.sentPlain()
	case j.cur.isScheme("data"):
		if j.trace != nil {
			j.step("", "main-fetch", "a data: URL is fetched without the CORS protocol (response tainting basic)")
		}
		return j.local(), true
	case j.mode == ModeSameOrigin:
		if j.trace != nil {
			j.step(StageRequest, "main-fetch", "mode same-origin and %s is another origin than %s", j.curStr, j.originStr)
		}
		if hop > 0 {
			return j.blocked(StageRedirect, ModeSameOriginCrossOrigin, hop-1, j.curStr), true
		}
		return j.blocked(StageRequest, ModeSameOriginCrossOrigin, 0, j.curStr), true
	case j.mode == ModeNoCORS:
		if j.redirMode != RedirectFollow {
			if j.trace != nil {
				j.step(StageRequest, "main-fetch", "mode no-cors to another origin with redirect mode %s", j.redirMode)
			}
			return j.blocked(StageRequest, NoCORSRedirectMode, 0, string(j.redirMode)), true
		}
		if j.trace != nil && j.taint != taintOpaque {
			j.step("", "main-fetch", "mode no-cors and %s is another origin: response tainting opaque", j.curStr)
		}
		j.taint = taintOpaque
		if !j.cur.isHTTPScheme() {
			return j.local(), true
		}
		j.sentPlain()
	case !j.cur.isHTTPScheme():
		if j.trace != nil {
			j.step(StageRequest, "main-fetch", "URL %q is not an http(s) URL", j.curStr)
		}
		return j.blocked(StageRequest, SchemeNotHTTP, 0, j.curStr), true
	default:
		if j.taint != taintCORS && j.trace != nil {
			j.step("", "main-fetch", "%s is cross-origin for %s: response tainting becomes cors", j.curStr, j.serializedOrigin())
		}
		j.taint = taintCORS
		unsafe := unsafeHeaders(j.headers)
		if j.needsPreflight(unsafe) {
			j.withPreflight = true
			if v, stop := j.maybePreflight(ex, hop, unsafe); stop {
				return v, true
			}
		} else if j.trace != nil {
			j.step("", "main-fetch", "method %s is CORS-safelisted and every header is CORS-safelisted: no preflight", j.method)
		}
		if j.trace != nil {
			j.sent(SentRequest{URL: j.cur.wireURL(), Method: j.method, Origin: j.serializedOrigin(), Headers: j.headers})
		}
	}
	return Verdict{}, false
}

// sameOriginURL reports whether the current URL is same-origin with the
// request's origin (for a blob: URL, the origin it was made in).
func (j *judge) sameOriginURL() bool {
	if j.cur.isScheme("blob") {
		o, ok := j.cur.blobOrigin()
		return ok && o.SameOrigin(j.origin)
	}
	return j.cur.sameOriginAs(j.origin)
}

// sentPlain records a request sent without the CORS protocol (same-origin
// or no-cors).
func (j *judge) sentPlain() {
	if j.trace == nil {
		return
	}
	// "Append a request Origin header": none for GET and HEAD; for other
	// methods the serialized origin, or null on a downgrade from https
	// under the default referrer policy when the mode is not cors.
	origin := ""
	if j.method != "GET" && j.method != "HEAD" {
		origin = j.serializedOrigin()
		if j.mode != ModeCORS && !j.origin.Opaque && j.origin.Scheme == "https" && !j.cur.isScheme("https") {
			origin = "null"
		}
	}
	j.sent(SentRequest{URL: j.cur.wireURL(), Method: j.method, Origin: origin, Headers: j.headers})
}

// local ends the fetch with the response the browser makes itself for a
// URL that is not http(s) (scheme fetch), or its network error.
func (j *judge) local() Verdict {
	resp, reason := j.localResponse()
	if reason != ReasonNone {
		if j.trace != nil {
			j.step(StageRequest, "concept-scheme-fetch", "scheme fetch of %q returns a network error", j.curStr)
		}
		return j.blocked(StageRequest, reason, 0, j.curStr)
	}
	if j.trace != nil {
		j.step("", "concept-scheme-fetch", "the browser answers %q itself: status 200", j.curStr)
	}
	if j.taint == taintOpaque {
		return j.opaque(ResponseOpaque)
	}
	return j.final(resp.Status, resp.Headers, 0)
}

// prepare runs the checks fetch() and the Request constructor make before
// anything is sent, and sets up the request state.
func (j *judge) prepare(req *Request) (Verdict, bool) {
	j.creds = req.Credentials
	if j.creds == "" {
		j.creds = CredentialsSameOrigin
	}
	j.mode = ModeCORS
	if req.Mode == ModeNoCORS || req.Mode == ModeSameOrigin {
		j.mode = req.Mode
	}
	j.redirMode = RedirectFollow
	if req.Redirect == RedirectError || req.Redirect == RedirectManual {
		j.redirMode = req.Redirect
	}
	j.originStr = req.Origin
	if p := j.page; p != nil && p.memo.ok && p.memo.originStr == req.Origin {
		j.origin = p.memo.origin // the steps of a page share their origin
	} else {
		j.origin = requestOrigin(req.Origin)
		if p != nil {
			p.memo.originStr, p.memo.origin, p.memo.ok = req.Origin, j.origin, true
		}
	}
	// WebIDL converts init before the constructor runs: a header name or
	// value that is not a ByteString (a character above U+00FF) throws
	// before the URL or the method is looked at.
	for i := range req.Headers {
		h := &req.Headers[i]
		if _, ok := byteString(h.Name); !ok {
			return j.blocked(StageRequest, HeaderInvalid, 0, h.Name), true
		}
		if _, ok := byteString(h.Value); !ok {
			if j.trace != nil {
				j.step(StageRequest, "dom-headers-append", "the value of %s holds a character above U+00FF: not a ByteString (the init conversion throws)", h.Name)
			}
			return j.blocked(StageRequest, HeaderInvalid, 0, h.Name), true
		}
	}
	// The Request constructor parses the URL and rejects credentials in it.
	var u urlParts
	ok := true
	if p := j.page; p != nil && p.memo.urlOK && p.memo.url == req.URL {
		u = p.memo.parsed
	} else {
		u, ok = parseAbsoluteURL(req.URL)
		if p != nil && ok {
			p.memo.url, p.memo.parsed, p.memo.urlOK = req.URL, u, true
		}
	}
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
	if j.mode == ModeNoCORS && !IsSafelistedMethod(j.method) {
		if j.trace != nil {
			j.step(StageRequest, "dom-request", "mode no-cors and method %s is not CORS-safelisted: the Request constructor throws", j.method)
		}
		return j.blocked(StageRequest, NoCORSMethod, 0, j.method), true
	}
	// One pass over the script's headers: validity, whether the Headers
	// object would change the list, and what the implicit headers need.
	clean, hasContentType, hasAccept, total := true, false, false, 0
	for i := range req.Headers {
		h := &req.Headers[i]
		v := NormalizeHeaderValue(h.Value)
		if !IsToken(h.Name) {
			return j.blocked(StageRequest, HeaderInvalid, 0, h.Name), true
		}
		if odd := oddByte(v); odd >= 0 {
			// A control byte or a non-ASCII one: the rare path. (Values
			// that are not ByteStrings were refused above.)
			if bv, _ := byteString(v); len(bv) != len(v) {
				v, clean = bv, false
			}
			if strings.IndexByte(v, 0) >= 0 || strings.IndexByte(v, '\r') >= 0 || strings.IndexByte(v, '\n') >= 0 {
				return j.blocked(StageRequest, HeaderInvalid, 0, h.Name), true
			}
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
	j.stream = req.HasBody && req.BodyType == BodyStream
	if j.stream && j.mode == ModeNoCORS {
		if j.trace != nil {
			j.step(StageRequest, "dom-request", "a ReadableStream body in mode no-cors: the Request constructor throws")
		}
		return j.blocked(StageRequest, NoCORSStreamBody, 0, "ReadableStream body"), true
	}
	j.hasBody = req.HasBody
	j.force = req.ForcePreflight || j.stream
	if j.stream && j.trace != nil {
		j.step("", "use-cors-preflight-flag", "a ReadableStream body sets the use-CORS-preflight flag")
	}
	// The body adds its Content-Type when script set none, and fetch
	// appends Accept: */* when script set none. A string, FormData or
	// URLSearchParams type is CORS-safelisted, so it only matters when it
	// pushes the safelisted values over 1024 bytes; a Blob's type may be
	// CORS-unsafe. The header list is rebuilt only when one of them
	// matters, when the Headers object changed it (dropped, trimmed or
	// converted headers), in no-cors mode (its Headers guard drops more),
	// or for a trace (which lists the headers sent).
	bodyType, hasBodyType := "", false
	if req.HasBody {
		bodyType, hasBodyType = req.BodyType.ContentType()
	}
	const defaultAccept = "*/*"
	addContentType := hasBodyType && !hasContentType
	addAccept := !hasAccept
	extra := 0
	if addContentType {
		extra += len(bodyType)
	}
	if addAccept {
		extra += len(defaultAccept)
	}
	implicitMatters := extra > 0 && total+extra > SafelistTotalLimit ||
		addContentType && !IsSafelistedRequestHeader("Content-Type", bodyType)
	if clean && !implicitMatters && j.mode != ModeNoCORS && j.trace == nil {
		j.headers = req.Headers
		return Verdict{}, false
	}
	hs := make([]Header, 0, len(req.Headers)+2)
	for _, h := range req.Headers {
		v, _ := byteString(NormalizeHeaderValue(h.Value))
		if j.mode == ModeNoCORS {
			if !j.noCORSAppend(hs, h.Name, v) {
				continue
			}
		} else if IsForbiddenRequestHeader(h.Name, v) {
			if j.trace != nil {
				j.step("", "forbidden-request-header", "header %s is a forbidden request-header: dropped", h.Name)
			}
			continue
		}
		hs = append(hs, Header{h.Name, v})
	}
	if hasBodyType && !hasHeader(hs, "Content-Type") {
		if j.mode != ModeNoCORS || j.noCORSAppend(hs, "Content-Type", bodyType) {
			if j.trace != nil {
				j.step("", "concept-bodyinit-extract", "the body adds Content-Type: %s", bodyType)
			}
			hs = append(hs, Header{"Content-Type", bodyType})
		}
	}
	if !hasHeader(hs, "Accept") {
		if j.trace != nil {
			j.step("", "concept-fetch", "fetch appends the default Accept: */*")
		}
		hs = append(hs, Header{"Accept", defaultAccept})
	}
	j.headers = hs
	return Verdict{}, false
}

// oddByte returns the index of the first byte of v below 0x20 or above
// 0x7E, or -1: values without one need neither the ByteString conversion
// nor the NUL, CR and LF checks.
func oddByte(v string) int {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return i
		}
	}
	return -1
}

// requestOrigin parses a request's origin. A string that is not a
// serialized origin is taken as an origin that is never same-origin with
// anything, compared byte-for-byte as given.
func requestOrigin(s string) Origin {
	if o, err := ParseOrigin(s); err == nil {
		return o
	}
	o := Origin{Opaque: s == "null"}
	o.Scheme = "\x00invalid"
	return o
}

// noCORSAppend is the request-no-cors guard of the Headers object: a
// header is appended only when its name is a no-CORS-safelisted
// request-header name and, with the values already there for that name,
// it is a CORS-safelisted request-header; anything else is dropped without
// an error. (Range, a privileged no-CORS request-header, is never kept.)
func (j *judge) noCORSAppend(hs []Header, name, value string) bool {
	if IsNoCORSSafelistedRequestHeader(name, combined(hs, name, value)) {
		return true
	}
	if j.trace != nil {
		j.step("", "concept-headers-append", "mode no-cors: %s is not a no-CORS-safelisted request-header, the Headers object drops it", name)
	}
	return false
}

// combined is the value "get" gives name in hs once value is appended.
func combined(hs []Header, name, value string) string {
	v, ok := GetHeader(hs, name)
	if !ok {
		return value
	}
	return v + ", " + value
}

// IsNoCORSSafelistedRequestHeader reports whether (name, value) is a
// no-CORS-safelisted request-header: its name is Accept, Accept-Language,
// Content-Language or Content-Type, and it is a CORS-safelisted
// request-header. value must already be normalized.
func IsNoCORSSafelistedRequestHeader(name, value string) bool {
	switch {
	case equalFold(name, "Accept"), equalFold(name, "Accept-Language"),
		equalFold(name, "Content-Language"), equalFold(name, "Content-Type"):
		return IsSafelistedRequestHeader(name, value)
	}
	return false
}

func hasHeader(h []Header, name string) bool {
	n, _ := HeaderLines(h, name)
	return n > 0
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

// maybePreflight makes the CORS-preflight fetch for a request that needs
// one, unless the page's CORS-preflight cache has entries for its method
// and every CORS-unsafe header name; a preflight that passes fills the
// cache.
func (j *judge) maybePreflight(ex *Exchange, hop int, unsafe unsafeSet) (Verdict, bool) {
	var key CacheKey
	if j.page != nil {
		key = CacheKey{Origin: j.serializedOrigin(), URL: j.cur.serialize(j.curStr), Credentials: j.creds}
		if j.trace != nil {
			l := j.page.Cache.Lookup(key, j.preflightRequest(), j.page.Now)
			l.Hop = hop
			l.detach()
			j.trace.Cache = append(j.trace.Cache, l)
			j.explainLookup(&l)
			if !l.Needed {
				return Verdict{}, false
			}
		} else if !j.page.Cache.needs(&key, j.method, j.force, j.headers, unsafe, j.page.Now) {
			return Verdict{}, false
		}
	}
	j.preflights++
	if j.trace != nil {
		pre := j.preflightSent()
		shown := ""
		if pre.ACRH != "" {
			shown = ", Access-Control-Request-Headers: " + pre.ACRH
		}
		why := ""
		if j.force && IsSafelistedMethod(j.method) && !unsafe.any() {
			why = " (use-CORS-preflight flag)"
		}
		j.step(StagePreflight, "cors-preflight-fetch-0", "preflight OPTIONS %s (Origin: %s, Access-Control-Request-Method: %s%s)%s",
			pre.URL, pre.Origin, pre.ACRM, shown, why)
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
	if p.Status == 407 {
		reason, detail = ProxyAuthRequired, "407" // handled before the preflight's CORS check
	}
	if reason != ReasonNone {
		if j.trace != nil {
			j.step(StagePreflight, reason.Anchor(), "preflight response (status %d) fails: %s %q", p.Status, reason, detail)
		}
		return j.blocked(StagePreflight, reason, hop, detail), true
	}
	if j.trace != nil {
		j.step(StagePreflight, "cors-preflight-fetch-0", "preflight response passes: CORS check, ok status %d, method %s and every unsafe header allowed", p.Status, j.method)
	}
	if j.page != nil {
		age, created := j.page.Cache.store(&key, j.method, j.force, p.Headers, j.page.Now, j.page.MaxAgeLimit)
		if j.trace != nil {
			var names []string
			entries := j.page.Cache.Entries
			for _, e := range entries[len(entries)-created:] {
				names = append(names, e.describe())
			}
			made := "no new entry"
			if len(names) > 0 {
				made = "new entries " + strings.Join(names, ", ")
			}
			j.step(StagePreflight, "concept-cache-create-entry", "CORS-preflight cache: max-age %d s, %s; entries for %s, %s stored at %d ms expire at %d ms",
				age, made, key.Origin, key.URL, j.page.Now, (&CacheEntry{MaxAge: age, Stored: j.page.Now}).Expires())
		}
	}
	return Verdict{}, false
}

// describe names an entry: "method PUT" or "header x-a".
func (e *CacheEntry) describe() string {
	if e.Method != "" {
		return "method " + e.Method
	}
	return "header " + e.HeaderName
}

// explainLookup adds to the trace what the cache answered and why.
func (j *judge) explainLookup(l *CacheLookup) {
	var served []string
	if l.Method != nil {
		served = append(served, fmt.Sprintf("%s (stored at %d ms, max-age %d s, expires at %d ms)", l.Method.describe(), l.Method.Stored, l.Method.MaxAge, l.Method.Expires()))
	}
	for i, e := range l.Headers {
		if e != nil {
			served = append(served, fmt.Sprintf("%s for %s (stored at %d ms, max-age %d s, expires at %d ms)", e.describe(), l.Names[i], e.Stored, e.MaxAge, e.Expires()))
		}
	}
	creds := "without"
	if l.Key.Credentials == CredentialsInclude {
		creds = "with"
	}
	if !l.Needed {
		j.step(StagePreflight, "concept-cache-match", "CORS-preflight cache hit at %d ms for %s, %s, %s credentials: no preflight; served by %s",
			l.Now, l.Key.Origin, l.Key.URL, creds, strings.Join(served, "; "))
		return
	}
	text := fmt.Sprintf("CORS-preflight cache miss at %d ms for %s, %s, %s credentials: no live entry for %s", l.Now, l.Key.Origin, l.Key.URL, creds, strings.Join(l.Missing, ", "))
	if len(served) > 0 {
		text += "; matching " + strings.Join(served, "; ")
	}
	j.step(StagePreflight, "concept-cache-match", "%s", text)
}

// redirect is HTTP-redirect fetch for one redirect hop (its CORS check has
// passed): the Location checks, then the changes to the request.
func (j *judge) redirect(rd *Redirect, hop int) (Verdict, bool) {
	loc := trimOWS(rd.Location)
	if n, _ := HeaderLines(rd.Headers, hLocation); n > 0 {
		if j.trace != nil {
			j.step(StageRedirect, "concept-response-location-url", "redirect %d has %d Location lines: extracting the single-valued header fails", hop, n+1)
		}
		return j.blocked(StageRedirect, RedirectLocationInvalid, hop, loc), true
	}
	if !isURIReference(loc) {
		if j.trace != nil {
			j.step(StageRedirect, "concept-response-location-url", "Location %q is not a URI-reference (RFC 3986): extracting the header fails", loc)
		}
		return j.blocked(StageRedirect, RedirectLocationInvalid, hop, loc), true
	}
	locStr, u, ok := resolveLocation(j.curStr, loc)
	switch {
	case !ok:
		return j.blocked(StageRedirect, RedirectLocationInvalid, hop, loc), true
	case !u.isHTTPScheme():
		return j.blocked(StageRedirect, RedirectScheme, hop, loc), true
	case hop >= maxRedirects:
		return j.blocked(StageRedirect, RedirectLimit, hop, loc), true
	case u.userinfo && (j.mode == ModeCORS && !u.sameOriginAs(j.origin) || j.taint == taintCORS):
		return j.blocked(StageRedirect, RedirectCredentials, hop, loc), true
	case rd.Status != 303 && j.hasBody && j.stream:
		if j.trace != nil {
			j.step(StageRedirect, "concept-http-redirect-fetch", "status %d would send the ReadableStream body again, and it has no source", rd.Status)
		}
		return j.blocked(StageRedirect, RedirectStreamBody, hop, strconv.Itoa(rd.Status)), true
	}
	if strings.IndexByte(locStr, '#') < 0 {
		if _, frag, ok := strings.Cut(j.curStr, "#"); ok {
			locStr += "#" + frag // the location URL keeps the request's fragment
		}
	}
	if rd.Status == 301 || rd.Status == 302 {
		if j.method == "POST" {
			j.toGET(rd.Status)
		}
	} else if rd.Status == 303 && j.method != "GET" && j.method != "HEAD" {
		j.toGET(rd.Status)
	}
	if !j.cur.sameOrigin(u) && hasHeader(j.headers, "Authorization") {
		if j.trace != nil {
			j.step(StageRedirect, "concept-http-redirect-fetch", "redirect to another origin: Authorization removed")
		}
		j.headers = without(j.headers, IsNonWildcardRequestHeaderName)
	}
	if !u.sameOrigin(j.cur) && !j.cur.sameOriginAs(j.origin) && !j.tainted {
		j.tainted = true
		if j.trace != nil {
			j.step(StageRedirect, "concept-request-tainted-origin", "redirect from %s to another origin: redirect-taint, the request origin now serializes as null", j.curStr)
		}
	}
	if j.trace != nil {
		j.step(StageRedirect, "concept-http-redirect-fetch", "redirect %d (status %d) to %s", hop, rd.Status, locStr)
	}
	j.cur, j.curStr = u, locStr
	return Verdict{}, false
}

func (j *judge) toGET(status int) {
	if j.trace != nil {
		j.step(StageRedirect, "concept-http-redirect-fetch", "status %d: method %s becomes GET, body and request-body headers removed", status, j.method)
	}
	j.method = "GET"
	j.hasBody, j.stream = false, false
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

// opaque is the verdict of a fetch that resolves with an opaque or
// opaque-redirect filtered response.
func (j *judge) opaque(t ResponseType) Verdict {
	if j.trace != nil {
		anchor := "concept-filtered-response-opaque"
		if t == ResponseOpaqueRedirect {
			anchor = "concept-filtered-response-opaque-redirect"
		}
		j.step("", anchor, "script gets an %s filtered response: no status, no header, no body", t)
	}
	return Verdict{Outcome: Opaque, ResponseType: t, Preflight: j.preflights > 0, Preflights: j.preflights}
}

// final judges the final response once its CORS check (if any) passed.
func (j *judge) final(status int, headers []Header, hop int) Verdict {
	if j.taint == taintOpaque {
		return j.opaque(ResponseOpaque)
	}
	cors := j.taint == taintCORS
	exposed := ExposedHeaderNames(headers, cors, j.creds)
	t := ResponseBasic
	if cors {
		t = ResponseCORS
	}
	if j.trace != nil {
		j.step("", "concept-filtered-response-"+string(t), "script gets a %s response (status %d) and can read %d header name(s): %s", t, status, len(exposed), strings.Join(exposed, ", "))
		j.step("", "", "allowed after %s redirect(s) and %d preflight(s)", strconv.Itoa(hop), j.preflights)
	}
	return Verdict{Outcome: Allowed, ResponseType: t, Preflight: j.preflights > 0, Preflights: j.preflights, Exposed: exposed}
}
