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

// Case is one exchange and the outcome the Fetch Standard requires for it.
type Case struct {
	ID        string     `json:"id"`
	Title     string     `json:"title,omitempty"`
	Spec      string     `json:"spec,omitempty"`
	Tags      []string   `json:"tags,omitempty"`
	Request   Request    `json:"request"`
	Preflight *Response  `json:"preflight,omitempty"`
	Redirects []Redirect `json:"redirects,omitempty"`
	Response  Response   `json:"response"`
	Expect    Expect     `json:"expect"`
	Browsers  Browsers   `json:"browsers,omitempty"`

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

// Header is a [name, value] pair. In JSON it is a two-element array of
// strings, so order, duplicates and casing survive.
type Header [2]string

// Request is what script asks fetch() for.
type Request struct {
	Origin      string   `json:"origin"`
	URL         string   `json:"url"`
	Method      string   `json:"method,omitempty"`
	Headers     []Header `json:"headers,omitempty"`
	Credentials string   `json:"credentials,omitempty"`
	Body        *string  `json:"body,omitempty"`
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
type BrowserRecord struct {
	// Versions is the range of engine versions the record holds for; every
	// version when the file leaves it out (the project's table never does).
	Versions       VersionRange `json:"versions"`
	Outcome        spec.Outcome `json:"outcome"`
	Preflight      *bool        `json:"preflight,omitempty"`
	BlockedAt      spec.Stage   `json:"blockedAt,omitempty"`
	Reason         spec.Reason  `json:"reason,omitempty"`
	ExposedHeaders []string     `json:"exposedHeaders,omitempty"`
	Sent           []Sent       `json:"sent,omitempty"`
	Note           string       `json:"note"`
	Source         string       `json:"source"`
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
