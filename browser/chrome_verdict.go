package browser

import (
	"fmt"
	"regexp"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

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
func judgeChrome(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	var v Verdict
	pre, lastHop := logSummary(o.Received)
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
	if want.Outcome == spec.Blocked && want.Reason == "" && want.BlockedAt == "" {
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
