package browser

import (
	"fmt"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// judgeWebKit turns an observation into WebKit's verdict. The outcome,
// the exposed headers and whether a preflight was sent come from script
// and the case server; the stage from WebKit's words where they name one,
// else from what the case server received last (nothing: the request);
// the reason from WebKit's words (webkit_words.go), left unstated where
// they cover several reasons including the table's, or name no rule of
// the model. A network error is fetch()'s "TypeError: Load failed" or an
// XMLHttpRequest's error event; its words are the inspector's
// (loadingFailed's errorText, or the console messages of a load refused
// before any request). The error says why the observation is no CORS
// verdict (a timeout, a failure without WebKit's words, words the table
// does not know).
func judgeWebKit(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	v, allowed := judgeStart(c, o)
	if allowed {
		return v, nil
	}
	if !o.JS.networkError(webkitLoadFailed) {
		v.Words = o.JS.Name + ": " + o.JS.Message
		switch {
		case o.JS.Name == "NotSupportedError" && webkitStreamUpload.MatchString(o.JS.Message):
			// No rule of the model: WebKit cannot send a request stream.
			v.BlockedAt = spec.StageRequest
			v.Words += " (WebKit cannot upload a request stream: reason not compared)"
			return v, nil
		case !requestErrorNames[o.JS.Name]:
			return v, fmt.Errorf("fetch rejected with %s: %s", o.JS.Name, o.JS.Message)
		}
		w, ok := webkitTypeError(o.JS.Message)
		if !ok {
			return v, fmt.Errorf("the request was refused with a %s the verifier cannot map: %s", o.JS.Name, o.JS.Message)
		}
		v.BlockedAt, v.Reason = w.stage, w.reasonFor(want.Reason)
		if v.Reason == "" {
			v.Words += " (" + w.covers() + ": reason not compared)"
		}
		return v, nil
	}
	words := o.ErrorText
	if !o.LoadingFailed {
		if o.DevToolsSent || len(o.Received) > 0 {
			return v, fmt.Errorf("the request failed and the inspector reported no loadingFailed in time")
		}
		// Refused before any request: WebKit's reason is a console message.
		for _, line := range o.Console {
			if _, ok := webkitWords(line); ok {
				words = line
				break
			}
		}
		if words == "" {
			return v, fmt.Errorf("the request failed before any request and the inspector reported no reason (console: %q)", o.Console)
		}
	}
	if words == "" && len(o.Received) == 0 && hasScheme(c.Request.URL, "blob") {
		// The network process fails a blob: URL the page's store does not
		// hold with an empty errorText, before any request.
		v.Words = "loadingFailed with no errorText for a blob: URL"
		v.BlockedAt, v.Reason = spec.StageRequest, spec.BlobURLUnresolved
		return v, nil
	}
	v.Words = words
	w, ok := webkitWords(words)
	if len(o.Received) == 0 {
		if u, found := matchWebKitWord(webkitUnsentWords, words); found {
			w, ok = u, true
		}
	}
	if !ok {
		if unnamedBlock(want) {
			return v, nil
		}
		return v, fmt.Errorf("blocked with words the verifier cannot map: %q", words)
	}
	v.Reason = w.reasonFor(want.Reason)
	if v.Reason == "" {
		v.Words += " (" + w.covers() + ": reason not compared)"
	}
	v.BlockedAt = w.stage
	if v.BlockedAt == "" {
		v.BlockedAt = lastStage(c, o.Received)
	}
	return v, nil
}
