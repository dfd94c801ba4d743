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
	{regexp.MustCompile(`is not a valid HTTP header (field )?name|Invalid name|Invalid value|is not a valid HTTP header value|non ISO-8859-1 code point`), spec.HeaderInvalid},
	{regexp.MustCompile(`GET/HEAD method cannot have body`), spec.BodyWithGetOrHead},
	{regexp.MustCompile(`is unsupported in no-cors mode`), spec.NoCORSMethod},
	{regexp.MustCompile(`If request is made from ReadableStream, mode should be`), spec.NoCORSStreamBody},
}

// requestErrorNames are the names of the errors fetch() and
// XMLHttpRequest throw when they refuse a request before sending it
// (XMLHttpRequest throws DOMExceptions where fetch() rejects with a
// TypeError).
var requestErrorNames = map[string]bool{"TypeError": true, "SyntaxError": true, "SecurityError": true}

// networkErrors maps net:: errors Chrome reports without a CorsError for
// a fetch to the model's redirect reasons.
var networkErrors = map[string]spec.Reason{
	"net::ERR_TOO_MANY_REDIRECTS":                 spec.RedirectLimit,
	"net::ERR_UNSAFE_REDIRECT":                    spec.RedirectScheme,
	"net::ERR_UNKNOWN_URL_SCHEME":                 spec.RedirectScheme,
	"net::ERR_INVALID_REDIRECT":                   spec.RedirectLocationInvalid,
	"net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION": spec.RedirectLocationInvalid,
}

// localErrors maps net:: errors Chrome reports for a URL it answers
// itself (no request sent) to the model's reasons (stage request), by the
// URL's scheme.
var localErrors = map[string]struct {
	scheme string
	reason spec.Reason
}{
	"net::ERR_INVALID_URL":    {"data", spec.DataURLInvalid},
	"net::ERR_FILE_NOT_FOUND": {"blob", spec.BlobURLUnresolved},
}

// consoleErrors maps Chrome's console messages for fetches it refuses
// without a request or a CorsError to the model's reasons (stage request).
var consoleErrors = []struct {
	re     *regexp.Regexp
	reason spec.Reason
}{
	{regexp.MustCompile(`URL scheme "[^"]*" is not supported`), spec.SchemeNotHTTP},
	{regexp.MustCompile(`Not allowed to load local resource`), spec.SchemeNotHTTP},
	{regexp.MustCompile(`Request mode is "no-cors" but the redirect mode is not "follow"`), spec.NoCORSRedirectMode},
	{regexp.MustCompile(`Request mode is "same-origin" but the URL's origin is not same as the request origin`), spec.ModeSameOriginCrossOrigin},
}

// sameOriginRedirect is Chrome's console message when a same-origin-mode
// request is redirected to another origin (the fetch then fails with
// net::ERR_ABORTED and no CorsError).
var sameOriginRedirect = regexp.MustCompile(`Unsafe attempt to load URL .* Domains, protocols and ports must match`)

// judgeChrome turns an observation into Chrome's verdict. The error, when
// not nil, says why the observation is not a CORS verdict (a network error
// with no CorsError, a timeout, a CorsError the model has no reason for):
// the case could not be run.
func judgeChrome(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	v, allowed := judgeStart(c, o)
	if allowed {
		return v, nil
	}
	lastHop := v.Hop // the hop of the last actual request received
	if !o.JS.networkError(failedToFetch) {
		if !requestErrorNames[o.JS.Name] {
			return v, fmt.Errorf("fetch rejected with %s: %s", o.JS.Name, o.JS.Message)
		}
		v.Words = o.JS.Name + ": " + o.JS.Message
		for _, m := range requestErrors {
			if m.re.MatchString(o.JS.Message) {
				v.BlockedAt, v.Reason = spec.StageRequest, m.reason
				return v, nil
			}
		}
		return v, fmt.Errorf("the request was refused with a %s the verifier cannot map: %s", o.JS.Name, o.JS.Message)
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
	if r, ok := networkErrors[o.ErrorText]; ok && o.BlockedReason == "" && len(o.Received) > 0 {
		v.Reason, v.BlockedAt = r, spec.StageRedirect
		return v, nil
	}
	if l, ok := localErrors[o.ErrorText]; ok && len(o.Received) == 0 && hasScheme(c.Request.URL, l.scheme) {
		v.Reason, v.BlockedAt = l.reason, spec.StageRequest
		return v, nil
	}
	if o.ErrorText == "net::ERR_UNEXPECTED_PROXY_AUTH" && len(o.Received) > 0 {
		// A 407 that did not come from a proxy Chrome was told of: the
		// stage is the answer's, read from the server's log.
		v.Reason, v.BlockedAt = spec.ProxyAuthRequired, lastStage(c, o.Received)
		return v, nil
	}
	if o.ErrorText == "net::ERR_INVALID_ARGUMENT" && c.Request.BodyType == string(spec.BodyStream) && lastHop < len(c.Redirects) {
		// Chrome cannot send a request stream again: it fails the
		// redirect that would need it with net::ERR_INVALID_ARGUMENT.
		v.Reason, v.BlockedAt = spec.RedirectStreamBody, spec.StageRedirect
		return v, nil
	}
	if o.ErrorText == "net::ERR_ABORTED" && lastHop < len(c.Redirects) {
		for _, line := range o.Console {
			if sameOriginRedirect.MatchString(line) {
				v.Words = line
				v.Reason, v.BlockedAt = spec.ModeSameOriginCrossOrigin, spec.StageRedirect
				return v, nil
			}
		}
	}
	if o.ErrorText == "net::ERR_FAILED" && c.Request.Redirect == string(spec.RedirectError) {
		// Chrome names nothing when redirect mode "error" meets a
		// redirect: the fetch fails with net::ERR_FAILED right after the
		// server's redirect answer — a hop, or a final 3xx without
		// Location.
		switch {
		case lastHop < len(c.Redirects):
			v.Reason, v.BlockedAt = spec.RedirectModeError, spec.StageRedirect
			v.Words += " after redirect " + fmt.Sprint(lastHop) + " in redirect mode error"
			return v, nil
		case c.Response.Status >= 300 && c.Response.Status < 400:
			v.Reason, v.BlockedAt = spec.RedirectModeError, spec.StageResponse
			v.Words += fmt.Sprintf(" after the final %d in redirect mode error", c.Response.Status)
			return v, nil
		}
	}
	if len(o.Received) > 0 {
		// Chrome failed the fetch after the server answered, without
		// naming a CORS rule (net::ERR_ABORTED from Blink, say): blocked
		// at the stage of the last answer, the reason unknown and not
		// compared; outcome, stage and the requests sent still are.
		v.BlockedAt = lastStage(c, o.Received)
		return v, nil
	}
	if unnamedBlock(want) {
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
