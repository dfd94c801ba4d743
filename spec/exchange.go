package spec

// Header is one header line: a name and a value, as sent or received.
// Header lists are ordered and may repeat names; names keep their casing.
type Header struct {
	Name  string
	Value string
}

// Credentials is a Fetch credentials mode.
type Credentials string

// The Fetch credentials modes.
const (
	CredentialsOmit       Credentials = "omit"
	CredentialsSameOrigin Credentials = "same-origin"
	CredentialsInclude    Credentials = "include"
)

// Request is what script asks fetch() for: the initiator's origin and the
// request's URL, method, headers, credentials mode and body.
type Request struct {
	// Origin is the serialized origin of the document or worker that calls
	// fetch(), or "null" for an opaque origin (sandboxed iframe, data: URL).
	Origin string
	// URL is the absolute URL fetched.
	URL string
	// Method is the method as script wrote it; empty means GET. It is
	// normalized (DELETE GET HEAD OPTIONS POST PUT are uppercased) before
	// use.
	Method string
	// Headers are the headers script set, in order. Forbidden request
	// headers are dropped and values are trimmed of HTTP whitespace, as the
	// Headers object does.
	Headers []Header
	// Credentials is the credentials mode; empty means "same-origin", the
	// fetch() default.
	Credentials Credentials
	// HasBody reports whether the request has a body.
	HasBody bool
	// ForcePreflight is the use-CORS-preflight flag (set for streamed
	// request bodies and XHR upload listeners).
	ForcePreflight bool
}

// Response is a server's answer: a status and its header lines, in order,
// each value as received (the model strips surrounding spaces and tabs, as
// HTTP parsing does).
type Response struct {
	Status  int
	Headers []Header
}

// Redirect is a redirect response on the way to the final response.
type Redirect struct {
	Status   int
	Location string
	Headers  []Header
}

// Exchange is everything a browser sees for one fetch(): the request, the
// server's answer to the preflight if one is sent, the redirect hops in
// order and the final response.
//
// When the model needs a preflight and Preflight is nil, the server is taken
// to answer it with status 200 and no headers. The same preflight answer is
// used for every preflight of the exchange (a request redirected to another
// URL may need a new preflight there) unless HopPreflights gives one for
// that hop.
type Exchange struct {
	Request   Request
	Preflight *Response
	Redirects []Redirect
	Response  Response
	// HopPreflights, when it has a non-nil element at index i, is the
	// answer to the preflight sent after i redirects (index 0: before any
	// redirect), in place of Preflight. A client that follows redirects
	// for real gets a different preflight answer at every hop.
	HopPreflights []*Response
}

// Verdict is the model's judgement of an exchange.
type Verdict struct {
	// Outcome is Allowed or Blocked.
	Outcome Outcome
	// Stage is the stage that blocked the exchange; empty when allowed.
	Stage Stage
	// Reason is the rule that blocked the exchange; empty when allowed.
	Reason Reason
	// Hop is the index of the redirect (0-based) at or after which the
	// deciding check ran: for StageRedirect the redirect that failed, for
	// StagePreflight and StageResponse the number of redirects followed
	// before. 0 when allowed.
	Hop int
	// Detail is the offending value: the Access-Control-Allow-Origin or
	// -Credentials value, the method or header name not allowed, the
	// Location. Empty when not applicable.
	Detail string
	// Preflight reports whether at least one CORS preflight was sent.
	Preflight bool
	// Preflights is the number of preflights sent.
	Preflights int
	// Exposed is the sorted, lowercased, de-duplicated set of the final
	// response's header names that script can read. Nil when blocked.
	Exposed []string
}

// SpecURL is the link to the Fetch Standard section behind the verdict's
// reason; empty when allowed.
func (v Verdict) SpecURL() string { return v.Reason.SpecURL() }

// ChromeError is the Chrome CorsError name that matches the verdict, or ""
// when allowed or when Chrome reports no CorsError for the reason.
func (v Verdict) ChromeError() string { return ChromeError(v.Reason, v.Stage) }
