package spec

// Step is one step the model took while judging an exchange, for people
// debugging a verdict ("why was this blocked?").
type Step struct {
	Stage  Stage  // the stage the step belongs to ("" for the request itself)
	Text   string // what was checked and what came out
	Anchor string // fetch.bs id of the rule applied
}

// SentRequest is a request the browser sends on the network for an
// exchange, as the server receives it: the ground truth a case server can
// compare with.
type SentRequest struct {
	Preflight bool   // an OPTIONS preflight rather than the actual request
	URL       string // the URL requested, as on the wire: serialized scheme and host, no userinfo, no fragment
	Method    string // OPTIONS for a preflight
	Origin    string // the Origin header, "" when none is sent
	// ACRM and ACRH are the Access-Control-Request-Method and
	// -Headers values of a preflight ("" when absent).
	ACRM, ACRH string
	// Headers is the header list of an actual request as the model has it
	// at that hop: the script's headers after the Headers object dropped
	// forbidden ones and trimmed values, and after redirects removed
	// Authorization or the request-body headers. Origin and the headers
	// the browser adds on its own are not in it. Nil for a preflight.
	Headers []Header `json:",omitempty"`
}

// Trace records how a verdict was reached.
type Trace struct {
	Steps []Step
	Sent  []SentRequest
}

// Judge runs the Fetch Standard's CORS algorithms over an exchange and
// returns the verdict. It never fails: malformed input (a bad URL, method or
// header) is judged the way a browser would treat it.
func Judge(ex Exchange) Verdict {
	var j judge
	return j.run(&ex)
}

// Preflight returns the CORS preflight a browser sends before the request r,
// as the server receives it: OPTIONS to r's URL with Origin,
// Access-Control-Request-Method and, when not empty,
// Access-Control-Request-Headers computed from the header list the browser
// really has (forbidden headers dropped, values normalized, fetch's implicit
// headers counted). ok is false when r needs no preflight (same-origin, or
// safelisted method and headers) or fetch() refuses r before sending
// anything. No preflight cache is consulted.
func Preflight(r Request) (pre SentRequest, ok bool) {
	var j judge
	if _, refused := j.prepare(&r); refused || j.cur.sameOriginAs(j.origin) || !j.needsPreflight(unsafeHeaders(j.headers)) {
		return SentRequest{}, false
	}
	return j.preflightSent(), true
}

// Explain is Judge with a record of every step taken and every request sent.
func Explain(ex Exchange) (Verdict, Trace) {
	j := judge{trace: &Trace{}}
	v := j.run(&ex)
	return v, *j.trace
}
