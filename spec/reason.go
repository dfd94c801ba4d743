package spec

// Outcome is the result a browser reaches for an exchange: the response is
// handed to script (allowed) or the fetch fails with a network error (blocked).
type Outcome string

// The two outcomes.
const (
	Allowed Outcome = "allowed"
	Blocked Outcome = "blocked"
)

// Stage names the part of a fetch that decided a blocked verdict.
type Stage string

// The stages at which a fetch can be blocked.
const (
	// StageRequest: the request is rejected before anything is sent
	// (fetch() throws a TypeError, or main fetch returns a network error
	// before any HTTP traffic).
	StageRequest Stage = "request"
	// StagePreflight: the CORS-preflight fetch failed.
	StagePreflight Stage = "preflight"
	// StageRedirect: a redirect response (3xx with a Location) failed the
	// CORS check or one of the HTTP-redirect fetch checks.
	StageRedirect Stage = "redirect"
	// StageResponse: the final response failed the CORS check.
	StageResponse Stage = "response"
)

// Reason is a stable, kebab-case code for why the model blocked an exchange.
// Reason codes are API: they appear in case files, JSON reports and the
// browser verifier's mapping of Chrome's CorsError values. Never rename one.
type Reason string

// The reason codes. Each is documented with the rule it stands for; the
// Fetch Standard section is available through [Reason.SpecURL].
const (
	// ReasonNone is the reason of an allowed verdict.
	ReasonNone Reason = ""

	// ACAOMissing: the response has no Access-Control-Allow-Origin header
	// (CORS check step 2: "If origin is null, then return failure").
	ACAOMissing Reason = "acao-missing"
	// ACAOMultiple: several Access-Control-Allow-Origin header lines, or one
	// value listing several items (a comma or a space inside the value).
	// Getting the header joins lines with ", ", which never equals a
	// serialized origin nor `*`.
	ACAOMultiple Reason = "acao-multiple"
	// ACAOWildcardWithCredentials: Access-Control-Allow-Origin is `*` while
	// the request's credentials mode is "include"; `*` is then compared as
	// an origin and never matches.
	ACAOWildcardWithCredentials Reason = "acao-wildcard-with-credentials"
	// ACAOInvalid: the value is a single item that is neither `*`, `null`
	// nor parsable as an absolute URL, so it can never equal an origin
	// (for example `app.example` or `"*"`).
	ACAOInvalid Reason = "acao-invalid"
	// ACAOMismatch: the value is a single URL-like item (or `null`) that is
	// not byte-for-byte the serialized request origin: another origin, a
	// different case, a trailing slash, an explicit default port.
	ACAOMismatch Reason = "acao-mismatch"
	// ACACNotTrue: credentials mode is "include" and the joined
	// Access-Control-Allow-Credentials value is not exactly `true`.
	ACACNotTrue Reason = "acac-not-true"

	// PreflightStatus: the preflight response passed the CORS check but its
	// status is not an ok status (200 to 299).
	PreflightStatus Reason = "preflight-status"
	// PreflightRedirect: the preflight was answered with a redirect status
	// and a Location; preflights never follow redirects.
	PreflightRedirect Reason = "preflight-redirect"
	// ACAMInvalid: an Access-Control-Allow-Methods line is not a list of
	// method tokens (extracting header list values returned failure).
	ACAMInvalid Reason = "acam-invalid"
	// ACAHInvalid: an Access-Control-Allow-Headers line is not a list of
	// field-name tokens.
	ACAHInvalid Reason = "acah-invalid"
	// MethodNotAllowed: the request's method is not CORS-safelisted and is
	// neither listed byte-for-byte in Access-Control-Allow-Methods nor
	// covered by `*` (which only counts without credentials).
	MethodNotAllowed Reason = "method-not-allowed"
	// HeaderNotAllowed: a CORS-unsafe request-header name is not listed in
	// Access-Control-Allow-Headers (case-insensitively) and not covered by
	// `*` (which only counts without credentials and never covers
	// Authorization).
	HeaderNotAllowed Reason = "header-not-allowed"

	// RedirectCredentials: a redirect's Location URL includes credentials
	// (userinfo) and the request is cross-origin (HTTP-redirect fetch).
	RedirectCredentials Reason = "redirect-credentials"
	// RedirectLocationInvalid: a redirect's Location cannot be parsed as a
	// URL relative to the current URL.
	RedirectLocationInvalid Reason = "redirect-location-invalid"
	// RedirectScheme: a redirect's Location URL is not http or https.
	RedirectScheme Reason = "redirect-scheme"
	// RedirectLimit: more than 20 redirects.
	RedirectLimit Reason = "redirect-limit"

	// SchemeNotHTTP: the request URL's scheme is not http or https; CORS
	// mode fetches of other schemes are network errors.
	SchemeNotHTTP Reason = "scheme-not-http"
	// URLCredentials: the request URL includes credentials; the Request
	// constructor throws a TypeError.
	URLCredentials Reason = "url-credentials"
	// MethodInvalid: the method is not a token; fetch() throws a TypeError.
	MethodInvalid Reason = "method-invalid"
	// MethodForbidden: the method is CONNECT, TRACE or TRACK (any case);
	// fetch() throws a TypeError.
	MethodForbidden Reason = "method-forbidden"
	// HeaderInvalid: a request header name is not a token, or its value
	// contains NUL, CR or LF; fetch() throws a TypeError.
	HeaderInvalid Reason = "header-invalid"
	// BodyWithGetOrHead: a GET or HEAD request has a body; fetch() throws a
	// TypeError.
	BodyWithGetOrHead Reason = "body-with-get-head"
)

// reasonInfo is the static description of a reason code.
type reasonInfo struct {
	anchor string // fetch.bs id of the section that holds the rule
	doc    string // one-line summary for people
}

var reasons = map[Reason]reasonInfo{
	ACAOMissing:                 {"concept-cors-check", "the response has no Access-Control-Allow-Origin header"},
	ACAOMultiple:                {"concept-cors-check", "Access-Control-Allow-Origin holds several values (more than one header line, or a list in one line)"},
	ACAOWildcardWithCredentials: {"cors-protocol-and-credentials", "Access-Control-Allow-Origin is * but the request includes credentials"},
	ACAOInvalid:                 {"concept-cors-check", "Access-Control-Allow-Origin is not *, null or an origin"},
	ACAOMismatch:                {"concept-cors-check", "Access-Control-Allow-Origin is not byte-for-byte the request's origin"},
	ACACNotTrue:                 {"concept-cors-check", "the request includes credentials and Access-Control-Allow-Credentials is not exactly true"},
	PreflightStatus:             {"cors-preflight-fetch-0", "the preflight response status is not in 200-299"},
	PreflightRedirect:           {"cors-preflight-fetch-0", "the preflight response is a redirect; preflights do not follow redirects"},
	ACAMInvalid:                 {"cors-preflight-fetch-0", "Access-Control-Allow-Methods is not a comma-separated list of method tokens"},
	ACAHInvalid:                 {"cors-preflight-fetch-0", "Access-Control-Allow-Headers is not a comma-separated list of header-name tokens"},
	MethodNotAllowed:            {"cors-preflight-fetch-0", "the request method is not listed (byte-for-byte) in Access-Control-Allow-Methods"},
	HeaderNotAllowed:            {"cors-preflight-fetch-0", "a CORS-unsafe request header is not listed in Access-Control-Allow-Headers"},
	RedirectCredentials:         {"concept-http-redirect-fetch", "the redirect Location URL includes credentials"},
	RedirectLocationInvalid:     {"concept-http-redirect-fetch", "the redirect Location is not a valid URL"},
	RedirectScheme:              {"concept-http-redirect-fetch", "the redirect Location is not an http(s) URL"},
	RedirectLimit:               {"concept-http-redirect-fetch", "more than 20 redirects"},
	SchemeNotHTTP:               {"main-fetch", "the request URL is not http(s); CORS requests need an HTTP(S) scheme"},
	URLCredentials:              {"dom-request", "the request URL includes credentials (userinfo)"},
	MethodInvalid:               {"dom-request", "the request method is not a valid HTTP token"},
	MethodForbidden:             {"forbidden-method", "the request method is forbidden (CONNECT, TRACE, TRACK)"},
	HeaderInvalid:               {"dom-headers-append", "a request header name is not a token or its value contains NUL, CR or LF"},
	BodyWithGetOrHead:           {"dom-request", "a GET or HEAD request cannot have a body"},
}

// SpecBase is the URL of the Fetch Standard that anchors are relative to.
const SpecBase = "https://fetch.spec.whatwg.org/"

// Reasons lists every reason code the model can return, in a stable order.
func Reasons() []Reason {
	return []Reason{
		ACAOMissing, ACAOMultiple, ACAOWildcardWithCredentials, ACAOInvalid, ACAOMismatch, ACACNotTrue,
		PreflightStatus, PreflightRedirect, ACAMInvalid, ACAHInvalid, MethodNotAllowed, HeaderNotAllowed,
		RedirectCredentials, RedirectLocationInvalid, RedirectScheme, RedirectLimit,
		SchemeNotHTTP, URLCredentials, MethodInvalid, MethodForbidden, HeaderInvalid, BodyWithGetOrHead,
	}
}

// Known reports whether r is one of the model's reason codes (or ReasonNone).
func (r Reason) Known() bool {
	if r == ReasonNone {
		return true
	}
	_, ok := reasons[r]
	return ok
}

// Anchor returns the fetch.bs section id the rule comes from, or "".
func (r Reason) Anchor() string { return reasons[r].anchor }

// SpecURL returns the link to the Fetch Standard section the rule comes
// from, or "" for ReasonNone and unknown codes.
func (r Reason) SpecURL() string {
	a := reasons[r].anchor
	if a == "" {
		return ""
	}
	return SpecBase + "#" + a
}

// Doc returns a one-line explanation of the reason for people.
func (r Reason) Doc() string { return reasons[r].doc }

// ChromeError returns the name of Chrome's network::mojom::CorsError (as
// DevTools reports it in Network.loadingFailed corsErrorStatus.corsError)
// that corresponds to reason r at stage s, or "" when Chrome reports no
// CorsError for it (a TypeError thrown before any request, or a plain network
// error such as net::ERR_TOO_MANY_REDIRECTS).
func ChromeError(r Reason, s Stage) string {
	pre := s == StagePreflight
	switch r {
	case ACAOMissing:
		return pick(pre, "PreflightMissingAllowOriginHeader", "MissingAllowOriginHeader")
	case ACAOMultiple:
		return pick(pre, "PreflightMultipleAllowOriginValues", "MultipleAllowOriginValues")
	case ACAOWildcardWithCredentials:
		return pick(pre, "PreflightWildcardOriginNotAllowed", "WildcardOriginNotAllowed")
	case ACAOInvalid:
		return pick(pre, "PreflightInvalidAllowOriginValue", "InvalidAllowOriginValue")
	case ACAOMismatch:
		return pick(pre, "PreflightAllowOriginMismatch", "AllowOriginMismatch")
	case ACACNotTrue:
		return pick(pre, "PreflightInvalidAllowCredentials", "InvalidAllowCredentials")
	case PreflightStatus:
		return "PreflightInvalidStatus"
	case PreflightRedirect:
		return "PreflightDisallowedRedirect"
	case ACAMInvalid:
		return "InvalidAllowMethodsPreflightResponse"
	case ACAHInvalid:
		return "InvalidAllowHeadersPreflightResponse"
	case MethodNotAllowed:
		return "MethodDisallowedByPreflightResponse"
	case HeaderNotAllowed:
		return "HeaderDisallowedByPreflightResponse"
	case RedirectCredentials:
		return "RedirectContainsCredentials"
	case SchemeNotHTTP:
		return "CorsDisabledScheme"
	}
	return ""
}

// ReasonFromChrome maps a Chrome CorsError name back to the model's reason
// code and the stage Chrome reports it for: the Preflight* names and the
// preflight-only checks give StagePreflight, RedirectContainsCredentials
// StageRedirect, CorsDisabledScheme StageRequest, and the other
// actual-response names StageResponse (Chrome uses those for a failing
// redirect hop too). ok is false for CorsError values the model has no
// reason for (Private/Local Network Access, kDisallowedByMode, …).
func ReasonFromChrome(corsError string) (r Reason, s Stage, ok bool) {
	for _, r := range Reasons() {
		switch corsError {
		case ChromeError(r, StagePreflight):
			if corsError == ChromeError(r, StageResponse) {
				// A name that does not depend on the stage.
				switch r {
				case RedirectCredentials:
					return r, StageRedirect, true
				case SchemeNotHTTP:
					return r, StageRequest, true
				}
			}
			return r, StagePreflight, true
		case ChromeError(r, StageResponse):
			return r, StageResponse, true
		}
	}
	return "", "", false
}

func pick(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}
