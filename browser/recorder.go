package browser

import (
	"strconv"
	"strings"
	"sync"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
)

// netLog is what DevTools reported for one case run's requests.
type netLog struct {
	sent      bool // the actual request was about to be sent (requestWillBeSent)
	preflight bool // a request with initiator type "preflight" was sent
	finished  bool // the actual request ended with loadingFinished
	failed    bool // the actual request ended with loadingFailed

	errorText     string
	blockedReason string
	cors          *network.CorsErrorStatus
	// preflightError is the errorText of a preflight that failed on the
	// network (a redirect answer, a reset): Chrome reports those on the
	// preflight request itself.
	preflightError string
	// console holds Chrome's console messages about the request (Log
	// domain), e.g. `URL scheme "ftp" is not supported.`
	console []string
}

func (n *netLog) terminal() bool { return n.finished || n.failed }

// recorder collects DevTools Network events of every tab, keyed by case run
// (the token in the URL path, or the whole URL for URLs without one) and
// step: the page's step signal for a case (a request for
// /__crosscheck/step/<token>/<n>) starts step n, and every request the tab
// sends for the case after it belongs to that step. Its handlers run in the
// tabs' read loops: they never block and never send commands.
type recorder struct {
	mu   sync.Mutex
	cond *sync.Cond
	logs map[string]*caseLog // keys registered by track
}

// caseLog is what DevTools reported for one case run, step by step.
type caseLog struct {
	cur   int       // the step under way
	steps []*netLog // grown as steps start
}

// step returns the log of step n, adding empty ones up to it.
func (c *caseLog) step(n int) *netLog {
	for len(c.steps) <= n {
		c.steps = append(c.steps, &netLog{})
	}
	return c.steps[n]
}

func newRecorder() *recorder {
	r := &recorder{logs: map[string]*caseLog{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// track registers a key; events for unregistered keys are ignored.
func (r *recorder) track(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[key] = &caseLog{}
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

// reqInfo is what a tab knows about one DevTools request id.
type reqInfo struct {
	key       string
	step      int
	preflight bool
}

// handler returns the event handler for one tab. Request ids are only
// unique within a tab, so each tab has its own id map.
func (r *recorder) handler() func(ev any) {
	ids := map[network.RequestID]reqInfo{}
	return func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request == nil {
				return
			}
			if token, n, ok := stepSignal(ev.Request.URL); ok {
				if c := r.logs[token]; c != nil {
					c.cur = n
				}
				return
			}
			info, known := ids[ev.RequestID]
			if !known {
				info = reqInfo{key: keyOf(ev.Request.URL)}
				info.preflight = ev.Initiator != nil && ev.Initiator.Type == network.InitiatorTypePreflight
				if c := r.logs[info.key]; c != nil {
					info.step = c.cur
				}
			}
			c := r.logs[info.key]
			if c == nil {
				return
			}
			ids[ev.RequestID] = info
			l := c.step(info.step)
			if info.preflight {
				l.preflight = true
			} else {
				l.sent = true
			}
		case *network.EventLoadingFailed:
			info, ok := ids[ev.RequestID]
			if !ok {
				return
			}
			l := r.logs[info.key].step(info.step)
			if info.preflight {
				l.preflightError = ev.ErrorText
				return
			}
			l.failed = true
			l.errorText = ev.ErrorText
			l.blockedReason = string(ev.BlockedReason)
			l.cors = ev.CorsErrorStatus
			r.cond.Broadcast()
		case *cdplog.EventEntryAdded:
			if ev.Entry == nil {
				return
			}
			key, step := "", -1
			if info, ok := ids[ev.Entry.NetworkRequestID]; ok {
				key, step = info.key, info.step
			} else {
				key = r.keyInText(ev.Entry.Text)
			}
			if c := r.logs[key]; c != nil {
				if step < 0 {
					step = c.cur
				}
				l := c.step(step)
				l.console = append(l.console, ev.Entry.Text)
			}
		case *network.EventLoadingFinished:
			info, ok := ids[ev.RequestID]
			if !ok || info.preflight {
				return
			}
			r.logs[info.key].step(info.step).finished = true
			r.cond.Broadcast()
		}
	}
}

// keyInText finds the key of a tracked request whose URL text mentions.
func (r *recorder) keyInText(text string) string {
	if i := strings.Index(text, casePrefix); i >= 0 {
		if k := keyOf(text[i:]); r.logs[k] != nil {
			return k
		}
	}
	for k := range r.logs {
		if u, ok := strings.CutPrefix(k, "url:"); ok && strings.Contains(text, u) {
			return k
		}
	}
	return ""
}

// wait blocks until every key in keys whose actual request was sent has a
// terminal event, or until the deadline. (A fetch promise can settle before
// loadingFailed reaches us.)
func (r *recorder) wait(keys []string, deadline time.Time) {
	stop := time.AfterFunc(time.Until(deadline), func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer stop.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for time.Now().Before(deadline) {
		pending := false
		for _, k := range keys {
			if c := r.logs[k]; c != nil {
				for _, l := range c.steps {
					pending = pending || l.sent && !l.terminal()
				}
			}
		}
		if !pending {
			return
		}
		r.cond.Wait()
	}
}

// get returns a copy of the log of each of the first n steps of key.
func (r *recorder) get(key string, n int) []netLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]netLog, n)
	if c := r.logs[key]; c != nil {
		for i := range out {
			if i < len(c.steps) {
				out[i] = *c.steps[i]
			}
		}
	}
	return out
}
