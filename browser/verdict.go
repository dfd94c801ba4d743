package browser

import (
	"slices"
	"sort"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// JSResult is what the page's script saw for one fetch().
type JSResult struct {
	OK         bool     `json:"ok"`
	Status     int      `json:"status,omitempty"`
	Type       string   `json:"type,omitempty"`
	Redirected bool     `json:"redirected,omitempty"`
	Headers    []string `json:"headers,omitempty"` // response.headers names, as script reads them
	Name       string   `json:"name,omitempty"`    // the error's name when the promise rejected
	// XHRError reports an XMLHttpRequest that ended with an error event: a
	// network error, which a CORS failure is.
	XHRError bool `json:"xhrError,omitempty"`
	// Steps are the results of a multi-step item's requests, in order.
	Steps   []JSResult `json:"steps,omitempty"`
	Message string     `json:"message,omitempty"`
}

// Observation is everything the verifier saw for one case in one engine:
// the script's result, the engine's own account of the requests, and what
// the case server received. Fields an engine cannot report stay empty.
type Observation struct {
	JS JSResult `json:"js"`
	// ErrorText is the engine's network error for the request (Chrome's
	// net:: error, Firefox's NS_ERROR_*, WebKit's loadingFailed text).
	ErrorText string `json:"errorText,omitempty"`
	// Console holds the engine's console or log messages about the
	// request, in its own words.
	Console []string `json:"console,omitempty"`

	// Chrome's DevTools report: the CorsError and its failed parameter,
	// the blocked reason, the network error of a preflight that failed on
	// the network, whether the request ended in loadingFailed, and whether
	// DevTools saw the actual request and a preflight go out.
	CorsError       string `json:"corsError,omitempty"`
	FailedParameter string `json:"failedParameter,omitempty"`
	BlockedReason   string `json:"blockedReason,omitempty"`
	PreflightError  string `json:"preflightError,omitempty"`
	LoadingFailed   bool   `json:"loadingFailed,omitempty"`
	DevToolsSent    bool   `json:"devtoolsSent,omitempty"`
	DevToolsPreflt  bool   `json:"devtoolsPreflight,omitempty"`

	// Received is what the case server received for the case, in order.
	Received []Received `json:"received,omitempty"`

	// Steps, for a multi-step case, is the observation of each step: its
	// script result, the engine's words about its requests and what the
	// server received in it. An engine that cannot tell steps apart leaves
	// it nil; its words then belong to the whole case.
	Steps []Observation `json:"steps,omitempty"`
}

// Verdict is an engine's result for a case, in the table's terms (its Sent
// is what the case server received), with the hop that decided it and the
// engine's own words for it.
type Verdict struct {
	cases.Result
	// Hop is the number of redirects followed before the deciding check.
	Hop int `json:"hop"`
	// Words is the engine's report: Chrome's CorsError and failed
	// parameter, a console message, the network error, or the TypeError's
	// message.
	Words string `json:"words,omitempty"`
}

// judgeStart begins an engine's verdict with what every engine judges
// alike. Whether a preflight was received comes from the case server's
// log. A fetch script saw succeed is allowed: allowed reports that the
// verdict is complete, with the hop of the final response and the header
// names script could read. Otherwise the verdict is blocked at the hop of
// the last actual request received, and the engine's own words are left
// to say where and why.
func judgeStart(c *cases.Case, o *Observation) (v Verdict, allowed bool) {
	pre, lastHop := logSummary(o.Received)
	v.Preflight = &pre
	if o.JS.OK {
		v.Outcome = spec.Allowed
		v.Hop = len(c.Redirects)
		v.ExposedHeaders = exposedNames(o.JS.Headers, c.Response.Headers)
		return v, true
	}
	v.Outcome = spec.Blocked
	v.Hop = lastHop
	return v, false
}

// networkError reports whether script saw a network error, which a CORS
// failure is: fetch() rejected with the TypeError whose message is the
// engine's msg for every network error, or an XMLHttpRequest ended with
// an error event. Any other error was thrown before a request was made.
func (r JSResult) networkError(msg string) bool {
	return r.XHRError || r.Name == "TypeError" && r.Message == msg
}

// unnamedBlock reports whether want, the table's account of an engine, is
// a block with neither stage nor reason: a recorded divergence where the
// engine blocks the case without naming a rule the model has. A network
// error the engine's words do not map is then its verdict, not a failure
// to run.
func unnamedBlock(want cases.Result) bool {
	return want.Outcome == spec.Blocked && want.Reason == "" && want.BlockedAt == ""
}

// hasScheme reports whether raw is a URL of scheme (compared without
// case).
func hasScheme(raw, scheme string) bool {
	s, _, ok := strings.Cut(strings.TrimSpace(raw), ":")
	return ok && strings.EqualFold(s, scheme)
}

// lastStage is the stage of the last request the case server received for
// a case, where a block the engine's words leave open is decided: a
// preflight is stage preflight; an actual request answered with one of
// the case's redirects is stage redirect; else the final response.
// Nothing received is stage request.
func lastStage(c *cases.Case, rs []Received) spec.Stage {
	if len(rs) == 0 {
		return spec.StageRequest
	}
	last := rs[len(rs)-1]
	switch {
	case last.Preflight:
		return spec.StagePreflight
	case last.Hop < len(c.Redirects):
		return spec.StageRedirect
	}
	return spec.StageResponse
}

// sentOf turns what the case server received into the table's Sent
// requests. It never returns nil: "nothing received" is compared too.
func sentOf(rs []Received) []cases.Sent {
	out := make([]cases.Sent, len(rs))
	for i, r := range rs {
		s := cases.Sent{Preflight: r.Preflight, Method: r.Method, URL: r.Scheme + "://" + r.Host + r.Path}
		if r.HasOrigin {
			s.Origin = r.Origin
		}
		if r.Preflight {
			s.ACRM, s.ACRH = r.ACRM, r.ACRH
		}
		out[i] = s
	}
	return out
}

// logSummary reads the case server's log: whether a preflight was
// received, and the highest hop of an actual request.
func logSummary(rs []Received) (preflight bool, lastHop int) {
	for _, r := range rs {
		if r.Preflight {
			preflight = true
		} else if r.Hop > lastHop {
			lastHop = r.Hop
		}
	}
	return preflight, lastHop
}

// exposedNames is the set of response header names script could read that
// the case's final response sets: the server's own additions
// (Cache-Control, Content-Length) are left out unless the case set them.
func exposedNames(seen []string, caseHeaders []cases.Header) []string {
	set := map[string]bool{}
	for _, h := range caseHeaders {
		set[strings.ToLower(h[0])] = true
	}
	return slices.DeleteFunc(lowerSorted(seen), func(n string) bool { return !set[n] })
}

// lowerSorted is names lowercased, sorted and without duplicates; never nil.
func lowerSorted(names []string) []string {
	out := []string{}
	for _, n := range names {
		out = append(out, strings.ToLower(n))
	}
	sort.Strings(out)
	return slices.Compact(out)
}
