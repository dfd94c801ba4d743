package spec

import "strconv"

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
	// Headers are the request's header list as fetch() makes it, for an
	// actual request (nil for a preflight): script's headers once the
	// Headers object has dropped what its guard drops (forbidden
	// request-headers; in no-cors mode everything that is not a
	// no-CORS-safelisted request-header), the body's Content-Type, and the
	// Accept: */* fetch adds when script set none. The headers the network
	// layer adds (Origin, Accept-Language, User-Agent, …) are not listed.
	Headers []Header `json:",omitempty"`
}

// Trace records how a verdict was reached.
type Trace struct {
	Steps []Step
	Sent  []SentRequest
	// Cache lists the CORS-preflight cache lookups made (only when the
	// exchange is judged on a Page), one per request that needed a
	// preflight.
	Cache []CacheLookup
}

// Judge runs the Fetch Standard's CORS algorithms over an exchange and
// returns the verdict. It never fails: malformed input (a bad URL, method or
// header) is judged the way a browser would treat it. No CORS-preflight
// cache is consulted: a preflight is sent whenever one is needed (see Page
// for fetches that share a cache).
func Judge(ex Exchange) Verdict {
	var j judge
	return j.run(&ex)
}

// Preflight returns the CORS preflight a browser sends before the request r,
// as the server receives it: OPTIONS to r's URL with Origin,
// Access-Control-Request-Method and, when not empty,
// Access-Control-Request-Headers computed from the header list the browser
// really has (forbidden headers dropped, values normalized, fetch's implicit
// headers counted). ok is false when r needs no preflight (same-origin, not
// in cors mode, not http(s), or safelisted method and headers) or fetch()
// refuses r before sending anything. No preflight cache is consulted.
func Preflight(r Request) (pre SentRequest, ok bool) {
	var j judge
	if _, refused := j.prepare(&r); refused || j.mode != ModeCORS || !j.cur.isHTTPScheme() ||
		j.sameOriginURL() || !j.needsPreflight(unsafeHeaders(j.headers)) {
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

// Page is one document making fetches one after the other, as the steps of
// a case do: they share the page's CORS-preflight cache, and the page's
// clock moves only when Wait says so (each fetch takes no time). The zero
// value is a page at time 0 with an empty cache and no cap on max-age, the
// Fetch Standard's own model.
type Page struct {
	// Cache is the CORS-preflight cache the page's fetches share.
	Cache PreflightCache
	// Now is the page's time in milliseconds.
	Now int64
	// MaxAgeLimit is the user agent's cap on Access-Control-Max-Age, in
	// seconds; 0 means none. (Chrome caps at 7200, Firefox at 86400.)
	MaxAgeLimit int64

	// memo keeps the last origin and URL parsed: the fetches of a page
	// share their origin and often their URL.
	memo struct {
		originStr string
		origin    Origin
		ok        bool
		url       string
		parsed    urlParts
		urlOK     bool
	}
}

// Wait moves the page's clock ms milliseconds forward.
func (p *Page) Wait(ms int64) { p.Now += ms }

// Judge judges ex as a fetch made by the page now: a preflight is skipped
// when the cache holds entries for the request's method and CORS-unsafe
// header names, a preflight that passes adds entries, and a failed CORS
// request with preflight clears them.
func (p *Page) Judge(ex Exchange) Verdict {
	j := judge{page: p}
	return j.run(&ex)
}

// Explain is Judge with a trace; Trace.Cache says what the cache answered.
func (p *Page) Explain(ex Exchange) (Verdict, Trace) {
	j := judge{page: p, trace: &Trace{}}
	v := j.run(&ex)
	return v, *j.trace
}

// SequenceStep is one fetch of a sequence: a wait, then an exchange.
type SequenceStep struct {
	// WaitMs is how long the page waits before the fetch starts, in
	// milliseconds.
	WaitMs   int64
	Exchange Exchange
}

// JudgeSequence judges fetches made one after the other from one new page
// (see Page), each after its wait, and returns a verdict per step.
func JudgeSequence(steps []SequenceStep) []Verdict {
	p := &Page{}
	out := make([]Verdict, len(steps))
	for i := range steps {
		p.Wait(steps[i].WaitMs)
		j := judge{page: p}
		out[i] = j.run(&steps[i].Exchange)
	}
	return out
}

// ExplainSequence is JudgeSequence with a trace per step.
func ExplainSequence(steps []SequenceStep) ([]Verdict, []Trace) {
	p := &Page{}
	vs, ts := make([]Verdict, len(steps)), make([]Trace, len(steps))
	for i := range steps {
		p.Wait(steps[i].WaitMs)
		if steps[i].WaitMs > 0 {
			ts[i].Steps = append(ts[i].Steps, Step{Text: "the page waits " + strconv.FormatInt(steps[i].WaitMs, 10) + " ms: it is now " + strconv.FormatInt(p.Now, 10) + " ms"})
		}
		j := judge{page: p, trace: &ts[i]}
		vs[i] = j.run(&steps[i].Exchange)
	}
	return vs, ts
}
