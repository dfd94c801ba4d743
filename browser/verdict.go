package browser

import (
	"sort"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
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
	out := []string{}
	done := map[string]bool{}
	for _, n := range seen {
		n = strings.ToLower(n)
		if set[n] && !done[n] {
			out = append(out, n)
			done[n] = true
		}
	}
	sort.Strings(out)
	return out
}
