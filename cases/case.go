package cases

import "github.com/crosscheck-dev/crosscheck/spec"

// File is one case file: a description and its cases. In JSON, the "cases"
// array may also hold plain strings, which are comments and are skipped.
type File struct {
	// Name is the file's path or embedded name, for error messages. It is
	// not part of the JSON.
	Name        string `json:"-"`
	Description string `json:"description"`
	Cases       []Case `json:"cases"`
}

// Case is one exchange and the outcome the Fetch Standard requires for it,
// or a sequence of exchanges made one after the other from one page (Steps).
//
// A plain case has Request, Preflight, Redirects, Response and Expect; a
// steps case has Steps and leaves those five zero. Exchanges returns the
// exchanges of either kind in order.
type Case struct {
	ID        string     `json:"id"`
	Title     string     `json:"title,omitempty"`
	Spec      string     `json:"spec,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	Request   Request    `json:"request"`
	Preflight *Response  `json:"preflight,omitempty"`
	Redirects []Redirect `json:"redirects,omitempty"`
	// Response is the final response; zero (Status 0) when the case leaves
	// it out because no request can reach it (see Step.Response).
	Response Response `json:"response"`
	Expect   Expect   `json:"expect"`
	// Steps are the exchanges of a steps case, in order; nil for a plain
	// case.
	Steps    []Step   `json:"steps,omitempty"`
	Browsers Browsers `json:"browsers,omitempty"`

	// File is the name of the file the case came from. Not part of the JSON.
	File string `json:"-"`
	// Index is the case's position in its file's "cases" array (comments
	// count). Not part of the JSON.
	Index int `json:"-"`
	// Line is the line of the file the case starts on. Not part of the JSON.
	Line int `json:"-"`
	// Raw is the case's JSON text exactly as written in its file. Not part
	// of the JSON.
	Raw string `json:"-"`
}

// Step is one exchange of a case: a fetch and the answers it meets, made
// after WaitMs milliseconds. A plain case is one step.
type Step struct {
	Request   Request    `json:"request"`
	Preflight *Response  `json:"preflight,omitempty"`
	Redirects []Redirect `json:"redirects,omitempty"`
	// Response is the final response; zero (Status 0) when left out: a
	// case may leave it out when no request reaches it (blocked at the
	// request stage, a redirect in manual mode, or a URL the browser
	// answers itself: data:, blob:, about:).
	Response Response `json:"response"`
	Expect   Expect   `json:"expect"`
	// WaitMs is how long the page waits before the step starts (0 to
	// 6000 ms), so that CORS-preflight cache entries can expire.
	WaitMs int `json:"waitMs,omitempty"`

	// Line is the line of the file the step starts on. Not part of the
	// JSON.
	Line int `json:"-"`
}

// MaxWaitMs is the longest wait a step may ask for: enough to outlive the
// 5-second default max-age.
const MaxWaitMs = 6000

// Header is a [name, value] pair. In JSON it is a two-element array of
// strings, so order, duplicates and casing survive.
type Header [2]string

// Request is what script asks fetch() (or, with ForcePreflight,
// XMLHttpRequest) for.
type Request struct {
	Origin      string   `json:"origin"`
	URL         string   `json:"url"`
	Method      string   `json:"method,omitempty"`
	Headers     []Header `json:"headers,omitempty"`
	Credentials string   `json:"credentials,omitempty"`
	Body        *string  `json:"body,omitempty"`
	// Mode is the request mode: "cors" (the default when empty),
	// "no-cors" or "same-origin".
	Mode string `json:"mode,omitempty"`
	// Redirect is the redirect mode: "follow" (the default when empty),
	// "error" or "manual".
	Redirect string `json:"redirect,omitempty"`
	// ForcePreflight makes the request with XMLHttpRequest and an upload
	// listener, which sets the use-CORS-preflight flag.
	ForcePreflight bool `json:"forcePreflight,omitempty"`
	// BodyType is how script builds the body from Body: "string" (the
	// default when empty), "blob:<type>", "formdata", "urlsearchparams" or
	// "stream" (see spec.BodyType).
	BodyType string `json:"bodyType,omitempty"`
}

// Response is a server answer: the preflight response or the final response.
type Response struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers,omitempty"`
}

// Redirect is a redirect response before the final one.
type Redirect struct {
	Status   int      `json:"status"`
	Location string   `json:"location"`
	Headers  []Header `json:"headers,omitempty"`
}

// Expect is what the Fetch Standard requires for the case. Only Outcome is
// required in files users bring; the project's own table also requires
// Preflight, BlockedAt and Reason for blocked cases, and ExposedHeaders for
// allowed ones. Fields left out are not compared.
type Expect struct {
	Outcome        spec.Outcome `json:"outcome"`
	Preflight      *bool        `json:"preflight,omitempty"`
	BlockedAt      spec.Stage   `json:"blockedAt,omitempty"`
	Reason         spec.Reason  `json:"reason,omitempty"`
	ExposedHeaders []string     `json:"exposedHeaders,omitempty"`
	// ResponseType is the Response.type script sees when the promise
	// resolves: "basic", "cors", "opaque" or "opaqueredirect". Optional.
	ResponseType spec.ResponseType `json:"responseType,omitempty"`
}

// Engines are the browser engines a case can record divergences for, by
// the names browsers.<engine> uses.
var Engines = []string{"chrome", "firefox", "webkit"}

// Browsers records, per engine ("chrome", "firefox", "webkit"), what the
// engine is known to do where it differs from the spec. An engine may have
// several records for a case, one per range of versions (before and after
// a change); their ranges never overlap.
type Browsers map[string][]BrowserRecord

// BrowserRecord is what an engine's versions in Versions are known to do
// instead of Expect, with the evidence for it. The verdict fields follow
// the merge rules of Case.Want. Sent, when given, lists the requests the
// engine sends, replacing the model's trace as what the case server must
// receive.
//
// A record of a steps case has no verdict fields of its own: Steps holds,
// parallel to the case's steps, what differs for each (an empty StepRecord
// where the engine agrees).
type BrowserRecord struct {
	// Versions is the range of engine versions the record holds for; every
	// version when the file leaves it out (the project's table never does).
	Versions       VersionRange      `json:"versions"`
	Outcome        spec.Outcome      `json:"outcome,omitempty"`
	Preflight      *bool             `json:"preflight,omitempty"`
	BlockedAt      spec.Stage        `json:"blockedAt,omitempty"`
	Reason         spec.Reason       `json:"reason,omitempty"`
	ExposedHeaders []string          `json:"exposedHeaders,omitempty"`
	ResponseType   spec.ResponseType `json:"responseType,omitempty"`
	Sent           []Sent            `json:"sent,omitempty"`
	// Steps is, for a steps case, one StepRecord per step of the case.
	Steps  []StepRecord `json:"steps,omitempty"`
	Note   string       `json:"note"`
	Source string       `json:"source"`
}

// StepRecord is what an engine does differently in one step of a steps
// case: the fields of the step's expect that differ (Outcome empty when it
// is the step's), and the requests it sends in that step when they differ
// from the model's trace. The zero StepRecord means the engine agrees.
type StepRecord struct {
	Outcome        spec.Outcome      `json:"outcome,omitempty"`
	Preflight      *bool             `json:"preflight,omitempty"`
	BlockedAt      spec.Stage        `json:"blockedAt,omitempty"`
	Reason         spec.Reason       `json:"reason,omitempty"`
	ExposedHeaders []string          `json:"exposedHeaders,omitempty"`
	ResponseType   spec.ResponseType `json:"responseType,omitempty"`
	Sent           []Sent            `json:"sent,omitempty"`
}

// Sent is one request as a server receives it for a case: a preflight or
// an actual request (each redirect hop is one), in the order sent.
type Sent struct {
	// Preflight marks a CORS preflight (OPTIONS with
	// Access-Control-Request-Method).
	Preflight bool   `json:"preflight,omitempty"`
	Method    string `json:"method"`
	// URL is the request's URL without fragment, as scheme://host[:port]
	// followed by the path and query the server received.
	URL string `json:"url"`
	// Origin is the Origin header's value; empty when none was sent.
	Origin string `json:"origin,omitempty"`
	// ACRM and ACRH are the Access-Control-Request-Method and
	// Access-Control-Request-Headers values, byte for byte ("" when absent).
	ACRM string `json:"acrm,omitempty"`
	ACRH string `json:"acrh,omitempty"`
}

// Record returns the engine's record whose range contains version, or nil
// when none does.
func (b Browsers) Record(engine string, version Version) *BrowserRecord {
	for i, r := range b[engine] {
		if r.Versions.Contains(version) {
			return &b[engine][i]
		}
	}
	return nil
}
