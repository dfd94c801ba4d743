package spec

// Outcome is the result a browser reaches for an exchange: the response is
// handed to script (allowed), the fetch fails with a network error
// (blocked), or the promise resolves with a response script can read
// nothing of (opaque: an opaque or opaque-redirect filtered response).
type Outcome string

// The three outcomes.
const (
	Allowed Outcome = "allowed"
	Blocked Outcome = "blocked"
	Opaque  Outcome = "opaque"
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
	// RedirectLocationInvalid: a redirect's Location cannot be extracted:
	// several Location lines, a value that is not an RFC 3986
	// URI-reference (Location's ABNF, which extracting header values
	// applies before the URL parser: a space, a backslash, non-ASCII), or
	// one the URL parser refuses relative to the current URL.
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

	// NoCORSMethod: a no-cors request whose method is not CORS-safelisted;
	// the Request constructor throws a TypeError.
	NoCORSMethod Reason = "no-cors-method"
	// NoCORSStreamBody: a no-cors request with a ReadableStream body; the
	// Request constructor throws a TypeError (a body without a source
	// needs mode cors or same-origin).
	NoCORSStreamBody Reason = "no-cors-stream-body"
	// NoCORSRedirectMode: a no-cors request to another origin whose
	// redirect mode is not "follow"; main fetch returns a network error
	// before anything is sent.
	NoCORSRedirectMode Reason = "no-cors-redirect-mode"
	// ModeSameOriginCrossOrigin: a same-origin mode request whose URL, or
	// a redirect's Location, is another origin; main fetch returns a
	// network error (at the request stage, or at the redirect that leaves
	// the origin).
	ModeSameOriginCrossOrigin Reason = "mode-same-origin-cross-origin"
	// RedirectModeError: redirect mode "error" met a redirect status: at a
	// redirect, or in the final response when it has a redirect status but
	// no Location (HTTP fetch fails on the status alone).
	RedirectModeError Reason = "redirect-mode-error"
	// RedirectStreamBody: a redirect other than 303 would have to send a
	// ReadableStream body again, which has no source to send it from.
	RedirectStreamBody Reason = "redirect-stream-body"
	// ProxyAuthRequired: a 407 answer (to the request or its preflight).
	// HTTP-network-or-cache fetch handles it before any CORS check: a
	// network error without a traversable for user prompts, else a prompt
	// for proxy credentials and a new fetch; a server that answers 407
	// never gives script a response.
	ProxyAuthRequired Reason = "proxy-auth-required"
	// DataURLInvalid: the data: URL processor fails (no comma, or a base64
	// body that does not decode); scheme fetch returns a network error.
	DataURLInvalid Reason = "data-url-invalid"
	// BlobURLUnresolved: scheme fetch of a blob: URL finds no Blob (the
	// URL names none the page registered, or the method is not GET). A case
	// cannot register a Blob, so every blob: URL that reaches scheme fetch
	// fails this way.
	BlobURLUnresolved Reason = "blob-url-unresolved"
)

// reasonInfo is the static description of a reason code.
type reasonInfo struct {
	anchor string // fetch.bs id of the section that holds the rule
	doc    string // one-line summary for people
	stages stageSet
	// chrome says what Chrome reports when it has no CorsError for the
	// reason ("" when ChromeError names one for every stage).
	chrome string
}

// stageSet is a set of stages, one bit each.
type stageSet uint8

const (
	onRequest stageSet = 1 << iota
	onPreflight
	onRedirect
	onResponse
	onCORSCheck = onPreflight | onRedirect | onResponse // the CORS check runs on each of these
)

func (s stageSet) has(st Stage) bool {
	switch st {
	case StageRequest:
		return s&onRequest != 0
	case StagePreflight:
		return s&onPreflight != 0
	case StageRedirect:
		return s&onRedirect != 0
	case StageResponse:
		return s&onResponse != 0
	}
	return false
}

const thrown = "no CorsError: fetch() rejects with a TypeError before any request, and DevTools shows no request"

var reasons = map[Reason]reasonInfo{
	ACAOMissing:                 {"concept-cors-check", "the response has no Access-Control-Allow-Origin header", onCORSCheck, ""},
	ACAOMultiple:                {"concept-cors-check", "Access-Control-Allow-Origin holds several values (more than one header line, or a list in one line)", onCORSCheck, ""},
	ACAOWildcardWithCredentials: {"cors-protocol-and-credentials", "Access-Control-Allow-Origin is * but the request includes credentials", onCORSCheck, ""},
	ACAOInvalid:                 {"concept-cors-check", "Access-Control-Allow-Origin is not *, null or an origin", onCORSCheck, ""},
	ACAOMismatch:                {"concept-cors-check", "Access-Control-Allow-Origin is not byte-for-byte the request's origin", onCORSCheck, ""},
	ACACNotTrue:                 {"concept-cors-check", "the request includes credentials and Access-Control-Allow-Credentials is not exactly true", onCORSCheck, ""},
	PreflightStatus:             {"cors-preflight-fetch-0", "the preflight response status is not in 200-299", onPreflight, ""},
	PreflightRedirect:           {"cors-preflight-fetch-0", "the preflight response is a redirect; preflights do not follow redirects", onPreflight, ""},
	ACAMInvalid:                 {"cors-preflight-fetch-0", "Access-Control-Allow-Methods is not a comma-separated list of method tokens", onPreflight, ""},
	ACAHInvalid:                 {"cors-preflight-fetch-0", "Access-Control-Allow-Headers is not a comma-separated list of header-name tokens", onPreflight, ""},
	MethodNotAllowed:            {"cors-preflight-fetch-0", "the request method is not listed (byte-for-byte) in Access-Control-Allow-Methods", onPreflight, ""},
	HeaderNotAllowed:            {"cors-preflight-fetch-0", "a CORS-unsafe request header is not listed in Access-Control-Allow-Headers", onPreflight, ""},
	RedirectCredentials:         {"concept-http-redirect-fetch", "the redirect Location URL includes credentials", onRedirect, ""},
	RedirectLocationInvalid:     {"concept-http-redirect-fetch", "the redirect Location does not parse: not a URI-reference (RFC 3986), not a URL, or several Location lines", onRedirect, "no CorsError: net::ERR_INVALID_REDIRECT"},
	RedirectScheme:              {"concept-http-redirect-fetch", "the redirect Location is not an http(s) URL", onRedirect, "no CorsError: net::ERR_UNSAFE_REDIRECT"},
	RedirectLimit:               {"concept-http-redirect-fetch", "more than 20 redirects", onRedirect, "no CorsError: net::ERR_TOO_MANY_REDIRECTS"},
	SchemeNotHTTP:               {"main-fetch", "the URL is not http(s) in a CORS request (or a URL scheme fetch does not answer, such as about:srcdoc in no-cors mode)", onRequest, ""},
	URLCredentials:              {"dom-request", "the request URL includes credentials (userinfo)", onRequest, thrown},
	MethodInvalid:               {"dom-request", "the request method is not a valid HTTP token", onRequest, thrown},
	MethodForbidden:             {"forbidden-method", "the request method is forbidden (CONNECT, TRACE, TRACK)", onRequest, thrown},
	HeaderInvalid:               {"dom-headers-append", "a request header name is not a token, or its value contains NUL, CR or LF or a character above U+00FF", onRequest, thrown},
	BodyWithGetOrHead:           {"dom-request", "a GET or HEAD request cannot have a body", onRequest, thrown},
	NoCORSMethod:                {"dom-request", "mode no-cors allows only CORS-safelisted methods (GET, HEAD, POST)", onRequest, thrown + " (\"'PUT' is unsupported in no-cors mode\")"},
	NoCORSStreamBody:            {"dom-request", "a ReadableStream body needs mode cors or same-origin", onRequest, thrown},
	NoCORSRedirectMode:          {"main-fetch", "mode no-cors to another origin needs redirect mode follow", onRequest, "no request; DevTools reports a CORS issue NoCorsRedirectModeNotFollow and fetch() rejects with a TypeError"},
	ModeSameOriginCrossOrigin:   {"main-fetch", "mode same-origin refuses a URL of another origin, first or redirected to", onRequest | onRedirect, ""},
	RedirectModeError:           {"concept-http-fetch", "redirect mode error refuses any response with a redirect status", onRedirect | onResponse, "no CorsError: the redirect fails with net::ERR_FAILED; a redirect status without Location is no redirect to Chrome and reaches script"},
	RedirectStreamBody:          {"concept-http-redirect-fetch", "a redirect other than 303 cannot resend a ReadableStream body", onRedirect, "no CorsError: fetch() rejects with a TypeError (WPT fetch/api/redirect/redirect-upload.h2.any.js)"},
	ProxyAuthRequired:           {"concept-http-network-or-cache-fetch", "a 407 (proxy authentication) answer never reaches the CORS check or script", onPreflight | onResponse, "no CorsError: net::ERR_UNEXPECTED_PROXY_AUTH (a 407 from a server that is not a proxy)"},
	DataURLInvalid:              {"concept-scheme-fetch", "the data: URL does not parse (no comma, or base64 that does not decode)", onRequest, "no CorsError: the data: URL loader fails and fetch() rejects with a TypeError"},
	BlobURLUnresolved:           {"concept-scheme-fetch", "the blob: URL names no Blob the page can read (or the method is not GET)", onRequest, "no CorsError: the blob: URL loader finds no Blob (net::ERR_FILE_NOT_FOUND) and fetch() rejects with a TypeError"},
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
		NoCORSMethod, NoCORSRedirectMode, ModeSameOriginCrossOrigin, RedirectModeError, RedirectStreamBody,
		NoCORSStreamBody, ProxyAuthRequired, DataURLInvalid, BlobURLUnresolved,
	}
}

// Stages lists the stages at which the model can block with r, in stage
// order (nil for ReasonNone and unknown codes). A case's blockedAt must be
// one of them.
func (r Reason) Stages() []Stage {
	set := reasons[r].stages
	var out []Stage
	for _, st := range [...]Stage{StageRequest, StagePreflight, StageRedirect, StageResponse} {
		if set.has(st) {
			out = append(out, st)
		}
	}
	return out
}

// BlocksAt reports whether the model can block with r at stage s (one of
// r.Stages()).
func (r Reason) BlocksAt(s Stage) bool { return reasons[r].stages.has(s) }

// ChromeReport says what Chrome shows for r when it reports no CorsError
// for it (see ChromeError): the TypeError, the net error or the DevTools
// issue. "" when ChromeError names a CorsError at every stage of r.
func (r Reason) ChromeReport() string { return reasons[r].chrome }

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
	case ModeSameOriginCrossOrigin:
		return "DisallowedByMode"
	case NoCORSRedirectMode:
		return "NoCorsRedirectModeNotFollow"
	}
	return ""
}

// ReasonFromChrome maps a Chrome CorsError name back to the model's reason
// code and the stage Chrome reports it for: the Preflight* names and the
// preflight-only checks give StagePreflight, RedirectContainsCredentials
// and DisallowedByMode StageRedirect (the network service reports
// DisallowedByMode for a redirect leaving the origin; a same-origin mode
// request to another origin fails in Blink before any request),
// CorsDisabledScheme and NoCorsRedirectModeNotFollow StageRequest, and the
// other actual-response names StageResponse (Chrome uses those for a
// failing redirect hop too). ok is false for CorsError values the model
// has no reason for (Private/Local Network Access, …).
func ReasonFromChrome(corsError string) (r Reason, s Stage, ok bool) {
	for _, r := range Reasons() {
		switch corsError {
		case ChromeError(r, StagePreflight):
			if corsError == ChromeError(r, StageResponse) {
				// A name that does not depend on the stage.
				switch r {
				case RedirectCredentials, ModeSameOriginCrossOrigin:
					return r, StageRedirect, true
				case SchemeNotHTTP, NoCORSRedirectMode:
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
