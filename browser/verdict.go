package browser

import (
	"fmt"
	"regexp"
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
	Message    string   `json:"message,omitempty"`
}

// Observation is everything the verifier saw for one case in Chrome: the
// script's result, DevTools' account of the requests, and what the case
// server received.
type Observation struct {
	JS              JSResult   `json:"js"`
	CorsError       string     `json:"corsError,omitempty"`
	FailedParameter string     `json:"failedParameter,omitempty"`
	ErrorText       string     `json:"errorText,omitempty"`
	BlockedReason   string     `json:"blockedReason,omitempty"`
	PreflightError  string     `json:"preflightError,omitempty"`
	LoadingFailed   bool       `json:"loadingFailed,omitempty"`
	Console         []string   `json:"console,omitempty"`
	DevToolsSent    bool       `json:"devtoolsSent,omitempty"`
	DevToolsPreflt  bool       `json:"devtoolsPreflight,omitempty"`
	Received        []Received `json:"received,omitempty"`
}

// ChromeVerdict is Chrome's result for a case, in the table's terms, with
// the hop that decided it and Chrome's own words for it.
type ChromeVerdict struct {
	cases.Result
	// Hop is the number of redirects followed before the deciding check.
	Hop int `json:"hop"`
	// Words is Chrome's report: the CorsError and its failed parameter, the
	// network error, or the TypeError's message.
	Words string `json:"words,omitempty"`
}

// failedToFetch is the message Chrome gives script for every network error,
// CORS or not; other TypeError messages come from argument checks before any
// request.
const failedToFetch = "Failed to fetch"

// requestErrors maps Chrome's TypeError messages for requests rejected
// before anything is sent to the model's reasons (stage request).
var requestErrors = []struct {
	re     *regexp.Regexp
	reason spec.Reason
}{
	{regexp.MustCompile(`URL that includes credentials`), spec.URLCredentials},
	{regexp.MustCompile(`is not a valid HTTP method`), spec.MethodInvalid},
	{regexp.MustCompile(`HTTP method is unsupported`), spec.MethodForbidden},
	{regexp.MustCompile(`is not a valid HTTP header (field )?name|Invalid name|Invalid value|is not a valid HTTP header value`), spec.HeaderInvalid},
	{regexp.MustCompile(`GET/HEAD method cannot have body`), spec.BodyWithGetOrHead},
}

// networkErrors maps net:: errors Chrome reports without a CorsError for
// a fetch to the model's redirect reasons.
var networkErrors = map[string]spec.Reason{
	"net::ERR_TOO_MANY_REDIRECTS": spec.RedirectLimit,
	"net::ERR_UNSAFE_REDIRECT":    spec.RedirectScheme,
	"net::ERR_INVALID_REDIRECT":   spec.RedirectLocationInvalid,
}

// consoleErrors maps Chrome's console messages for fetches it refuses
// without a request or a CorsError to the model's reasons (stage request).
var consoleErrors = []struct {
	re     *regexp.Regexp
	reason spec.Reason
}{
	{regexp.MustCompile(`URL scheme "[^"]*" is not supported`), spec.SchemeNotHTTP},
	{regexp.MustCompile(`Not allowed to load local resource`), spec.SchemeNotHTTP},
}

// judgeChrome turns an observation into Chrome's verdict. The error, when
// not nil, says why the observation is not a CORS verdict (a network error
// with no CorsError, a timeout, a CorsError the model has no reason for):
// the case could not be run.
func judgeChrome(c *cases.Case, o *Observation) (ChromeVerdict, error) {
	var v ChromeVerdict
	pre := false
	lastHop := 0
	for _, r := range o.Received {
		if r.Preflight {
			pre = true
		} else if r.Hop > lastHop {
			lastHop = r.Hop
		}
	}
	v.Preflight = &pre
	if o.JS.OK {
		v.Outcome = spec.Allowed
		v.Hop = len(c.Redirects)
		v.ExposedHeaders = exposedNames(o.JS.Headers, c.Response.Headers)
		return v, nil
	}
	v.Outcome = spec.Blocked
	v.Hop = lastHop
	if o.JS.Name != "TypeError" {
		return v, fmt.Errorf("fetch rejected with %s: %s", o.JS.Name, o.JS.Message)
	}
	if o.JS.Message != failedToFetch {
		v.Words = "TypeError: " + o.JS.Message
		for _, m := range requestErrors {
			if m.re.MatchString(o.JS.Message) {
				v.BlockedAt, v.Reason = spec.StageRequest, m.reason
				return v, nil
			}
		}
		return v, fmt.Errorf("fetch threw a TypeError the verifier cannot map: %s", o.JS.Message)
	}
	if o.CorsError != "" {
		v.Words = o.CorsError
		if o.FailedParameter != "" {
			v.Words += " (" + o.FailedParameter + ")"
		}
		r, stage, ok := spec.ReasonFromChrome(o.CorsError)
		if !ok {
			return v, fmt.Errorf("blocked with CorsError %s, which has no reason in the model", v.Words)
		}
		v.Reason, v.BlockedAt = r, chromeStage(c, o, r, stage, lastHop)
		if r == spec.SchemeNotHTTP && v.BlockedAt == spec.StageRedirect {
			v.Reason = spec.RedirectScheme // Chrome's name covers both
		}
		return v, nil
	}
	if len(o.Received) == 0 {
		for _, m := range consoleErrors {
			for _, line := range o.Console {
				if m.re.MatchString(line) {
					v.Words = line
					v.BlockedAt, v.Reason = spec.StageRequest, m.reason
					return v, nil
				}
			}
		}
	}
	if !o.LoadingFailed {
		if !o.DevToolsSent && len(o.Received) == 0 {
			return v, fmt.Errorf("fetch failed before any request and DevTools reported nothing")
		}
		return v, fmt.Errorf("fetch failed and DevTools reported no loadingFailed in time")
	}
	v.Words = o.ErrorText
	if o.BlockedReason != "" {
		v.Words += " (blocked: " + o.BlockedReason + ")"
	}
	if r, ok := networkErrors[o.ErrorText]; ok && o.BlockedReason == "" {
		v.Reason, v.BlockedAt = r, spec.StageRedirect
		return v, nil
	}
	if want := c.Want("chrome"); want.Outcome == spec.Blocked && want.Reason == "" && want.BlockedAt == "" {
		// The table records that Chrome blocks this case without naming a
		// reason the model has (a recorded divergence): the network error
		// is then Chrome's verdict, not a failure to run.
		return v, nil
	}
	return v, fmt.Errorf("network error without a CorsError: %s", v.Words)
}

// chromeStage decides the stage of a CorsError. spec.ReasonFromChrome
// already gives the stage Chrome's name implies; two names need the
// server's log besides: CorsDisabledScheme after a request was answered
// means a redirect to a non-HTTP(S) URL, and a failed CORS check is
// reported with the same name on a redirect hop as on the final response,
// so the last request answered being a redirect or not tells which.
func chromeStage(c *cases.Case, o *Observation, r spec.Reason, stage spec.Stage, lastHop int) spec.Stage {
	switch {
	case r == spec.SchemeNotHTTP && len(o.Received) > 0:
		return spec.StageRedirect
	case stage != spec.StageResponse:
		return stage
	case lastHop < len(c.Redirects):
		return spec.StageRedirect
	}
	return spec.StageResponse
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
