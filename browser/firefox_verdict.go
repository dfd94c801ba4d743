package browser

import (
	"fmt"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// firefoxNetworkError is the message Firefox gives script for every network
// error, CORS or not (Errors.msg MSG_FETCH_FAILED).
const firefoxNetworkError = "NetworkError when attempting to fetch resource."

// judgeFirefox turns an observation into Firefox's verdict: allowed with
// the headers script read, or blocked with the reason Firefox's words name
// (firefox_words.go) and the stage the case server's log shows. Where
// Firefox names no rule (a redirect refused before its CORS checks, too
// many redirects, a fetch of a ws: URL: the console says nothing or only
// CORSDidNotSucceed2), the verdict has no reason and the reason is not
// compared. The error says why the observation is not a CORS verdict.
func judgeFirefox(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	v, allowed := judgeStart(c, o)
	if allowed {
		return v, nil
	}
	if !o.JS.networkError(firefoxNetworkError) {
		if !requestErrorNames[o.JS.Name] {
			return v, fmt.Errorf("the request failed with %s: %s", o.JS.Name, o.JS.Message)
		}
		v.Words = o.JS.Name + ": " + o.JS.Message
		w, ok := matchWord(firefoxTypeErrors, o.JS.Message)
		if !ok {
			return v, fmt.Errorf("the request was refused with a %s the verifier cannot map: %s", o.JS.Name, o.JS.Message)
		}
		v.BlockedAt, v.Reason = w.stage, w.pick(want.Reason)
		return v, nil
	}
	for _, line := range o.Console {
		if w, ok := matchWord(firefoxNoReason, line); ok {
			v.Words = line
			return v, fmt.Errorf("blocked with %s, which names no rule of the model: %s", w.key, line)
		}
		w, ok := matchWord(firefoxConsoleWords, line)
		if !ok || w.reasons == nil {
			continue
		}
		v.Words = line
		v.Reason = w.pick(want.Reason)
		v.BlockedAt = w.stage
		if v.BlockedAt == "" {
			v.BlockedAt = lastStage(c, o.Received)
		}
		if v.Reason == spec.SchemeNotHTTP && v.BlockedAt == spec.StageRedirect {
			v.Reason = spec.RedirectScheme // Firefox's word covers both
		}
		return v, nil
	}
	// No CORS rule named: a request that failed before Firefox's CORS
	// checks (a refused redirect, too many redirects, a ws: URL) or on the
	// network. Firefox's console names no rule for it; the stage is what
	// the case server's log shows.
	v.BlockedAt = lastStage(c, o.Received)
	v.Words = strings.Join(o.Console, " ")
	if v.Words == "" {
		v.Words = o.JS.Name + ": " + o.JS.Message + " (no console message)"
	}
	return v, nil
}
