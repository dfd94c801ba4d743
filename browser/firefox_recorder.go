package browser

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// firefoxStepMarker starts the console message the page logs (console.debug)
// when the step signal of a multi-step case has been answered, just before
// the step's request: "crosscheck step <signal URL>". It is how the Firefox
// recorder tells a case's steps apart (see firefoxMarkSteps).
const firefoxStepMarker = "crosscheck step "

// firefoxMarkSteps is run in the page before each batch. It wraps fetch()
// so that when a step signal's fetch resolves, the page logs a step marker
// before the step's own request starts.
//
// Why a marker in the console, and why after the answer: Firefox names a
// CORS failure only in a console message (log.entryAdded), which carries
// the failed request's URL but nothing that tells two steps fetching the
// same URL apart. Gecko hands the message to the page's console before the
// failure reaches the page, and WebDriver BiDi reports the page's console
// messages and its own error messages through one ordered stream. The
// marker of step n is logged after step n-1's promise settled and after a
// whole round trip of the signal, so every message about step n-1 is
// already ahead of it in that stream, and every message about step n comes
// after it: the recorder files each message under the last marker of its
// case. The timing of the case server's log plays no part.
const firefoxMarkSteps = `(() => {
  if (self.__crosscheckSteps) return;
  self.__crosscheckSteps = true;
  const f = self.fetch;
  self.fetch = function (url, init) {
    const p = f.apply(this, arguments);
    if (typeof url !== "string" || !url.startsWith(%q)) return p;
    return p.then((r) => { console.debug(%q + url); return r; });
  };
})();`

// firefoxRecorder collects Firefox's error-level console messages
// (log.entryAdded) by case run (the case token in the URL each message
// names, or the whole URL for URLs without one) and step (caseLogs; the
// page's step markers start the steps).
type firefoxRecorder struct {
	stepRecorder[[]string] // the messages of each step

	last time.Time // when the last message for a tracked key came
}

func newFirefoxRecorder() *firefoxRecorder {
	r := &firefoxRecorder{}
	r.init()
	return r
}

// event handles one BiDi event; it runs in the connection's read loop.
func (r *firefoxRecorder) event(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Type  string `json:"type"`
		Level string `json:"level"`
		Text  string `json:"text"`
	}
	if json.Unmarshal(params, &e) != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Type == "console" {
		if sig, ok := strings.CutPrefix(e.Text, firefoxStepMarker); ok {
			r.logs.startStep(sig)
		}
		return
	}
	if e.Level != "error" {
		return
	}
	if k := r.logs.keyInText(e.Text); k != "" {
		l := r.logs[k]
		msgs := l.step(l.cur)
		*msgs = append(*msgs, e.Text)
		r.last = time.Now()
		r.cond.Broadcast()
	}
}

// wait blocks until every step in want has a message, or no message for a
// tracked key has come for quiet since from (or the last one), or the
// deadline passes, or ctx ends.
func (r *firefoxRecorder) wait(ctx context.Context, want []stepKey, from time.Time, quiet time.Duration, deadline time.Time) {
	if len(want) == 0 {
		return
	}
	tick := time.NewTicker(quiet / 4)
	defer tick.Stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-tick.C:
				r.wake()
			case <-done:
				return
			}
		}
	}()
	stopCtx := context.AfterFunc(ctx, r.wake)
	defer stopCtx()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		now := time.Now()
		if now.After(deadline) || ctx.Err() != nil {
			return
		}
		quietSince := from
		if r.last.After(quietSince) {
			quietSince = r.last
		}
		if now.Sub(quietSince) >= quiet {
			return
		}
		pending := false
		for _, w := range want {
			if l := r.logs[w.key]; l != nil && (w.step >= len(l.steps) || len(*l.steps[w.step]) == 0) {
				pending = true
				break
			}
		}
		if !pending {
			return
		}
		r.cond.Wait()
	}
}

// get returns a copy of the messages for key: all of them, and those of
// each of its first n steps.
func (r *firefoxRecorder) get(key string, n int) (all []string, steps [][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	steps = make([][]string, n)
	l := r.logs[key]
	if l == nil {
		return nil, steps
	}
	for i, m := range l.steps {
		all = append(all, *m...)
		if i < n {
			steps[i] = append([]string(nil), *m...)
		}
	}
	return all, steps
}
