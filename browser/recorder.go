package browser

import (
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
// (the token in the URL path, or the whole URL for URLs without one).
// Its handlers run in the tabs' read loops: they never block and never send
// commands.
type recorder struct {
	mu   sync.Mutex
	cond *sync.Cond
	logs map[string]*netLog // keys registered by track
}

func newRecorder() *recorder {
	r := &recorder{logs: map[string]*netLog{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// track registers a key; events for unregistered keys are ignored.
func (r *recorder) track(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[key] = &netLog{}
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
			info, known := ids[ev.RequestID]
			if !known {
				info = reqInfo{key: keyOf(ev.Request.URL)}
				info.preflight = ev.Initiator != nil && ev.Initiator.Type == network.InitiatorTypePreflight
			}
			l := r.logs[info.key]
			if l == nil {
				return
			}
			ids[ev.RequestID] = info
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
			l := r.logs[info.key]
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
			key := ""
			if info, ok := ids[ev.Entry.NetworkRequestID]; ok {
				key = info.key
			} else {
				key = r.keyInText(ev.Entry.Text)
			}
			if l := r.logs[key]; l != nil {
				l.console = append(l.console, ev.Entry.Text)
			}
		case *network.EventLoadingFinished:
			info, ok := ids[ev.RequestID]
			if !ok || info.preflight {
				return
			}
			r.logs[info.key].finished = true
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
			if l := r.logs[k]; l != nil && l.sent && !l.terminal() {
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

// get returns a copy of the log for key.
func (r *recorder) get(key string) netLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.logs[key]; l != nil {
		return *l
	}
	return netLog{}
}
