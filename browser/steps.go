package browser

import (
	"strconv"
	"strings"
	"sync"
)

// What the three engines' recorders share: which case run and which step
// of it an event belongs to. An event names its case run by the case
// token in a URL (keyOf). The page's step signal for a run, a request for
// /__crosscheck/step/<token>/<n> (Firefox: the console marker that names
// it), starts step n, and what the engine reports for the run after it
// belongs to step n.

// stepKey names one step of a case run.
type stepKey struct {
	key  string
	step int
}

// caseSteps is what an engine reported for one case run, one L per step.
type caseSteps[L any] struct {
	cur   int  // the step under way
	steps []*L // grown as steps start
}

// step returns the log of step n, adding empty ones up to it.
func (c *caseSteps[L]) step(n int) *L {
	for len(c.steps) <= n {
		c.steps = append(c.steps, new(L))
	}
	return c.steps[n]
}

// caseLogs are a recorder's case runs by key. Events for keys that were
// not tracked are dropped. The recorder's lock guards them.
type caseLogs[L any] map[string]*caseSteps[L]

// track registers key with an empty log.
func (m caseLogs[L]) track(key string) { m[key] = &caseSteps[L]{} }

// startStep handles a step signal: when url is one, it reports true, and
// if the signal's case run is tracked, step n of it is under way from now
// on and c is that run.
func (m caseLogs[L]) startStep(url string) (c *caseSteps[L], isSignal bool) {
	token, n, ok := stepSignal(url)
	if !ok {
		return nil, false
	}
	if c = m[token]; c != nil {
		c.cur = n
	}
	return c, true
}

// keyInText finds the key of a tracked case run whose URL text mentions,
// or "".
func (m caseLogs[L]) keyInText(text string) string {
	if i := strings.Index(text, casePrefix); i >= 0 {
		if k := keyOf(text[i:]); m[k] != nil {
			return k
		}
	}
	for k := range m {
		if u, ok := strings.CutPrefix(k, "url:"); ok && strings.Contains(text, u) {
			return k
		}
	}
	return ""
}

// stepRecorder is what every engine's recorder is built on: its case
// runs' logs, guarded by mu, and cond, broadcast when a log changes.
type stepRecorder[L any] struct {
	mu   sync.Mutex
	cond *sync.Cond
	logs caseLogs[L] // keys registered by track
}

// init makes the logs and cond; a recorder calls it once, before use.
func (r *stepRecorder[L]) init() {
	r.logs = caseLogs[L]{}
	r.cond = sync.NewCond(&r.mu)
}

// track registers key with an empty log; events for keys that were not
// tracked are dropped.
func (r *stepRecorder[L]) track(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs.track(key)
}

// wake broadcasts cond, so that every wait looks again (at its deadline,
// when its context ends).
func (r *stepRecorder[L]) wake() {
	r.mu.Lock()
	r.cond.Broadcast()
	r.mu.Unlock()
}

// stepLogs returns a copy of the log of each of the first n steps of key,
// an empty one for a step nothing was reported for. The copies' slices
// share their arrays with the recorder's logs, which only ever append to
// them: what a copy holds does not change.
func (r *stepRecorder[L]) stepLogs(key string, n int) []L {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]L, n)
	if c := r.logs[key]; c != nil {
		for i := range min(n, len(c.steps)) {
			out[i] = *c.steps[i]
		}
	}
	return out
}

// stepSignal parses the URL of a step signal: the case's token and the
// step that starts.
func stepSignal(url string) (token string, step int, ok bool) {
	i := strings.Index(url, stepPrefix)
	if i < 0 {
		return "", 0, false
	}
	token, n, _ := strings.Cut(url[i+len(stepPrefix):], "/")
	step, err := strconv.Atoi(n)
	return token, step, err == nil && step >= 0
}

// keyOf is the recorder key of a request URL: the case token when the path
// has one, else "url:" and the URL.
func keyOf(url string) string {
	if i := strings.Index(url, casePrefix); i >= 0 {
		t := url[i+len(casePrefix):]
		if j := strings.IndexAny(t, "/?#"); j >= 0 {
			t = t[:j]
		}
		return t
	}
	return "url:" + url
}
