package browser

import (
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

// recorder collects DevTools Network events of every tab, by case run and
// step (caseLogs): every request a tab sends for a case after the case's
// step signal belongs to that step. Its handlers run in the tabs' read
// loops: they never block and never send commands.
type recorder struct {
	stepRecorder[netLog]
}

func newRecorder() *recorder {
	r := &recorder{}
	r.init()
	return r
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
			if _, ok := r.logs.startStep(ev.Request.URL); ok {
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
				key = r.logs.keyInText(ev.Entry.Text)
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

// wait blocks until every key in keys whose actual request was sent has a
// terminal event, or until the deadline. (A fetch promise can settle before
// loadingFailed reaches us.)
func (r *recorder) wait(keys []string, deadline time.Time) {
	stop := time.AfterFunc(time.Until(deadline), r.wake)
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
