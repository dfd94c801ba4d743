package spec

import "strings"

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

// Mode is a request mode, as script sets it with fetch()'s mode option.
type Mode string

// The request modes script can choose. Fetch's other modes (navigate,
// websocket, webtransport) are not script's to choose.
const (
	// ModeCORS is fetch()'s default: a cross-origin request uses the CORS
	// protocol.
	ModeCORS Mode = "cors"
	// ModeNoCORS limits the request to CORS-safelisted methods and no-CORS
	// safelisted headers, and a cross-origin response to an opaque one.
	ModeNoCORS Mode = "no-cors"
	// ModeSameOrigin makes any cross-origin URL, first or redirected to, a
	// network error.
	ModeSameOrigin Mode = "same-origin"
)

// RedirectMode is a request's redirect mode (fetch()'s redirect option).
type RedirectMode string

// The redirect modes.
const (
	// RedirectFollow follows redirects (the default).
	RedirectFollow RedirectMode = "follow"
	// RedirectError makes any redirect response a network error.
	RedirectError RedirectMode = "error"
	// RedirectManual hands script an opaque-redirect response instead of
	// following.
	RedirectManual RedirectMode = "manual"
)

// BodyType says how script builds a request body, which decides the
// Content-Type the body gives the request (when script sets none) and
// whether the body can be sent again after a redirect.
//
//   - "" or BodyString: a string; Content-Type: text/plain;charset=UTF-8.
//   - "blob:<type>" (see BlobBody): a Blob of that type; the type, when the
//     Blob constructor keeps it (lowercased; emptied when it holds a
//     character outside U+0020 to U+007E), is the Content-Type; "blob:"
//     gives none.
//   - BodyFormData: a FormData; multipart/form-data with a boundary.
//   - BodyURLSearchParams: a URLSearchParams;
//     application/x-www-form-urlencoded;charset=UTF-8.
//   - BodyStream: a ReadableStream; no Content-Type, no source (a redirect
//     other than 303 cannot resend it), and the request gets the
//     use-CORS-preflight flag.
type BodyType string

// The body types other than Blobs.
const (
	BodyString          BodyType = "string"
	BodyFormData        BodyType = "formdata"
	BodyURLSearchParams BodyType = "urlsearchparams"
	BodyStream          BodyType = "stream"
)

// blobPrefix starts the BodyType of a Blob.
const blobPrefix = "blob:"

// BlobBody is the BodyType of a Blob whose type is mimeType.
func BlobBody(mimeType string) BodyType { return BodyType(blobPrefix + mimeType) }

// Valid reports whether t is one of the body types.
func (t BodyType) Valid() bool {
	switch t {
	case "", BodyString, BodyFormData, BodyURLSearchParams, BodyStream:
		return true
	}
	return strings.HasPrefix(string(t), blobPrefix)
}

// FormDataContentType is the Content-Type the model gives a FormData body.
// The boundary is the user agent's choice; the model's is 38 bytes long,
// as Chromium's ("----WebKitFormBoundary" and 16 random characters), so
// that the value weighs what it weighs in Chrome against the 1024-byte
// limit of safelisted values.
const FormDataContentType = "multipart/form-data; boundary=----CrosscheckFormBoundary0123456789AB"

// ContentType returns the Content-Type a body of type t gives the request
// ("extract" in the Fetch Standard, with the Blob constructor's handling of
// its type), ok false when it gives none.
func (t BodyType) ContentType() (value string, ok bool) {
	switch t {
	case "", BodyString:
		return "text/plain;charset=UTF-8", true
	case BodyFormData:
		return FormDataContentType, true
	case BodyURLSearchParams:
		return "application/x-www-form-urlencoded;charset=UTF-8", true
	case BodyStream:
		return "", false
	}
	typ, isBlob := strings.CutPrefix(string(t), blobPrefix)
	if !isBlob {
		return "", false
	}
	for i := 0; i < len(typ); i++ {
		if typ[i] < 0x20 || typ[i] > 0x7e {
			return "", false // the Blob constructor empties such a type
		}
	}
	if typ == "" {
		return "", false
	}
	return toLower(typ), true
}

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
	// Headers are the headers script set, in order, as strings (UTF-8 in
	// Go): a code point above U+00FF makes fetch() throw (headers are
	// ByteStrings), U+0080 to U+00FF are one byte each. Forbidden request
	// headers are dropped and values are trimmed of HTTP whitespace, as the
	// Headers object does; in no-cors mode the Headers object also drops
	// every header that is not a no-CORS-safelisted request-header.
	Headers []Header
	// Credentials is the credentials mode; empty means "same-origin", the
	// fetch() default.
	Credentials Credentials
	// HasBody reports whether the request has a body.
	HasBody bool
	// BodyType is how script builds the body (when HasBody): "" is a
	// string.
	BodyType BodyType
	// ForcePreflight is the use-CORS-preflight flag as XMLHttpRequest sets
	// it (an upload listener). A BodyStream body sets the flag too.
	ForcePreflight bool
	// Mode is the request mode; empty means ModeCORS, fetch()'s default.
	// Any other value is taken as ModeCORS.
	Mode Mode
	// Redirect is the redirect mode; empty means RedirectFollow. Any
	// other value is taken as RedirectFollow.
	Redirect RedirectMode
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
// order and the final response. A URL that is not http(s) (data:, blob:,
// about:) is answered by the browser itself: Redirects and Response are
// then not used.
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

// ResponseType is the type of the Response script gets (Response.type).
type ResponseType string

// The response types script can get from fetch().
const (
	ResponseBasic          ResponseType = "basic"          // same-origin, or a data: URL: every header readable
	ResponseCORS           ResponseType = "cors"           // cross-origin through CORS: safelisted and exposed headers readable
	ResponseOpaque         ResponseType = "opaque"         // no-cors cross-origin: nothing readable
	ResponseOpaqueRedirect ResponseType = "opaqueredirect" // redirect mode manual met a redirect: nothing readable
)

// Verdict is the model's judgement of an exchange.
type Verdict struct {
	// Outcome is Allowed, Blocked or Opaque.
	Outcome Outcome
	// ResponseType is the type of the response script gets; empty when
	// blocked.
	ResponseType ResponseType
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
	// response's header names that script can read. Nil when blocked or
	// opaque.
	Exposed []string
}

// SpecURL is the link to the Fetch Standard section behind the verdict's
// reason; empty when allowed.
func (v Verdict) SpecURL() string { return v.Reason.SpecURL() }

// ChromeError is the Chrome CorsError name that matches the verdict, or ""
// when allowed or when Chrome reports no CorsError for the reason.
func (v Verdict) ChromeError() string { return ChromeError(v.Reason, v.Stage) }

// ReceivedRedirect is a redirect answer as a client received it: status
// and header lines, the first Location among them. The Location value
// becomes the Redirect's Location and its line leaves Headers (which the
// model would otherwise see as a second Location header); any later
// Location line stays. ok is false when there is no Location line.
func ReceivedRedirect(status int, headers []Header) (r Redirect, ok bool) {
	r.Status = status
	r.Headers = make([]Header, 0, len(headers))
	for _, h := range headers {
		if !ok && equalFold(h.Name, "Location") {
			r.Location, ok = h.Value, true
			continue
		}
		r.Headers = append(r.Headers, h)
	}
	return r, ok
}
