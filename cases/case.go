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
	Browsers  *Browsers  `json:"browsers,omitempty"`

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

// Browsers records known divergences of browsers from the spec.
type Browsers struct {
	Chrome *BrowserExpect `json:"chrome,omitempty"`
}

// BrowserExpect is what a browser is known to do instead of Expect, with
// the evidence for it.
type BrowserExpect struct {
	Outcome        spec.Outcome `json:"outcome"`
	Preflight      *bool        `json:"preflight,omitempty"`
	BlockedAt      spec.Stage   `json:"blockedAt,omitempty"`
	Reason         spec.Reason  `json:"reason,omitempty"`
	ExposedHeaders []string     `json:"exposedHeaders,omitempty"`
	Note           string       `json:"note"`
	Source         string       `json:"source"`
}
