package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// wkLog is what WebKit's inspector reported for one request of a case
// run (one step of it; WebKit reports no preflight of its own).
type wkLog struct {
	sent     bool // Network.requestWillBeSent for the case's URL
	finished bool // Network.loadingFinished
	failed   bool // Network.loadingFailed
	// errorText is loadingFailed's errorText: for a CORS failure, WebKit's
	// own sentence (the ResourceError's description), e.g. "Origin
	// https://app.example is not allowed by Access-Control-Allow-Origin.
	// Status code: 200".
	errorText string
	canceled  bool
	// console holds the console messages that name the case's URL, e.g.
	// "Fetch API cannot load <url> due to access control checks.", each
	// after the security messages naming no URL that came right before it.
	console []string
}

func (l *wkLog) terminal() bool { return l.finished || l.failed }

// wkRecorder collects the inspector's Network and Console events by case
// run (the token in the URL, or the whole URL for URLs without one) and
// step (caseLogs).
type wkRecorder struct {
	stepRecorder[wkLog]
	marks map[string]bool // mark messages reported by any inspector
}

func newWKRecorder() *wkRecorder {
	r := &wkRecorder{marks: map[string]bool{}}
	r.init()
	return r
}

// wait blocks until every step of keys whose request was seen has ended
// (loadingFinished or loadingFailed), and every step in failed (requests
// that failed in script) has ended or has a console message, or until
// deadline. The inspector's events travel apart from WebDriver's answer
// and may come after it.
func (r *wkRecorder) wait(keys []string, failed map[stepKey]bool, deadline time.Time) {
	stop := time.AfterFunc(time.Until(deadline), r.wake)
	defer stop.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for time.Now().Before(deadline) && r.pending(keys, failed) {
		r.cond.Wait()
	}
}

// pending reports whether wait must go on waiting (r.mu held).
func (r *wkRecorder) pending(keys []string, failed map[stepKey]bool) bool {
	for _, k := range keys {
		c := r.logs[k]
		if c == nil {
			continue
		}
		for _, l := range c.steps {
			if l.sent && !l.terminal() {
				return true
			}
		}
	}
	for s := range failed {
		c := r.logs[s.key]
		if c == nil {
			continue
		}
		if s.step >= len(c.steps) {
			return true
		}
		if l := c.steps[s.step]; !l.terminal() && len(l.console) == 0 {
			return true
		}
	}
	return false
}

// waitAsleep waits until, for each of steps, the case run has gone past
// that step (a later step's signal came) or the step's request has ended
// (or failed with words), or ctx ends.
func (r *wkRecorder) waitAsleep(ctx context.Context, steps []stepKey) {
	stop := context.AfterFunc(ctx, r.wake)
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	done := func(s stepKey) bool {
		c := r.logs[s.key]
		if c == nil || c.cur > s.step {
			return true
		}
		if s.step >= len(c.steps) {
			return false
		}
		l := c.steps[s.step]
		return l.terminal() || !l.sent && len(l.console) > 0
	}
	for ctx.Err() == nil {
		all := true
		for _, s := range steps {
			all = all && done(s)
		}
		if all {
			return
		}
		r.cond.Wait()
	}
}

// setMark records that an inspector reported the mark message text.
func (r *wkRecorder) setMark(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marks[text] = true
	r.cond.Broadcast()
}

// sawMark waits until an inspector has reported the mark message, or ctx
// ends, and forgets the mark.
func (r *wkRecorder) sawMark(ctx context.Context, mark string) bool {
	stop := context.AfterFunc(ctx, r.wake)
	defer stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !r.marks[mark] && ctx.Err() == nil {
		r.cond.Wait()
	}
	seen := r.marks[mark]
	delete(r.marks, mark)
	return seen
}

// inspector is one WebSocket connection to a page of MiniBrowser through
// WebKit's inspector HTTP server (WEBKIT_INSPECTOR_HTTP_SERVER). The
// connection speaks WebKit's multiplexed protocol: the page's targets
// (one per web process the page has lived in) are announced with
// Target.targetCreated, and commands to a target travel inside
// Target.sendMessageToTarget. The inspector only listens: it enables the
// Network and Console domains of every page target and records their
// events; WebDriver drives the page.
type inspector struct {
	ws  *wsConn
	rec *wkRecorder

	mu      sync.Mutex
	cond    *sync.Cond
	nextID  int
	targets map[string]*wkTarget // live page targets by id
	err     error                // set when the connection ended
	done    chan struct{}
}

// Marks are console messages the engine logs in a page and waits to see
// reported by an inspector.
const (
	// readyMark starts the message logged in a page just navigated to:
	// once an inspector reports it, an inspector watches that page (a
	// navigation to another site moves it to a new target).
	readyMark = "crosscheck-ready:"
	// doneMark starts the message a batch logs when its fetches have
	// settled and its results wait in the page.
	doneMark = "crosscheck-done:"
)

// wkTarget is one page target: its enable commands and its request ids.
type wkTarget struct {
	waiting map[int]bool       // inner command ids not yet answered
	reqs    map[string]stepKey // inspector request id -> case run and step
	// security are the "security" console messages in a row that named
	// no request: WebKit logs a refused load's reasons that way, right
	// before "Fetch API cannot load <url> …", which names it.
	security []string
}

// inspectorTargets lists the WebSocket paths of the pages the inspector
// HTTP server at addr offers (/socket/<connection>/<target>/WebPage).
func inspectorTargets(ctx context.Context, addr string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return nil, err
	}
	resp, err := wkHTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("inspector target list: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("inspector target list: %w", err)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range inspectorSocketRE.FindAllString(string(b), -1) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out, nil
}

// wsInspectorMaxMessage bounds one inspector message (network events carry
// every header).
const wsInspectorMaxMessage = 16 << 20

var inspectorSocketRE = regexp.MustCompile(`/socket/[0-9]+/[0-9]+/WebPage`)

// dialInspector connects to the page at path on the inspector HTTP server
// addr and starts recording into rec.
func dialInspector(addr, path string, rec *wkRecorder) (*inspector, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, err := dialWS(ctx, "ws://"+addr+path, wsInspectorMaxMessage)
	if err != nil {
		return nil, err
	}
	in := &inspector{ws: ws, rec: rec, targets: map[string]*wkTarget{}, done: make(chan struct{})}
	in.cond = sync.NewCond(&in.mu)
	go in.read()
	return in, nil
}

// wkMessage is a protocol message: a reply (id) or an event (method).
type wkMessage struct {
	ID     int             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

// read dispatches messages until the connection ends.
func (in *inspector) read() {
	defer close(in.done)
	for {
		b, err := in.ws.read()
		if err != nil {
			in.mu.Lock()
			in.err = err
			in.cond.Broadcast()
			in.mu.Unlock()
			return
		}
		var m wkMessage
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		in.handle(&m)
	}
}

func (in *inspector) handle(m *wkMessage) {
	switch m.Method {
	case "Target.targetCreated":
		var p struct {
			TargetInfo struct {
				TargetID string `json:"targetId"`
				Type     string `json:"type"`
			} `json:"targetInfo"`
		}
		if json.Unmarshal(m.Params, &p) != nil || p.TargetInfo.Type != "page" {
			return
		}
		in.enable(p.TargetInfo.TargetID)
	case "Target.targetDestroyed":
		var p struct {
			TargetID string `json:"targetId"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			in.mu.Lock()
			delete(in.targets, p.TargetID)
			in.cond.Broadcast()
			in.mu.Unlock()
		}
	case "Target.dispatchMessageFromTarget":
		var p struct {
			TargetID string `json:"targetId"`
			Message  string `json:"message"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			return
		}
		var inner wkMessage
		if json.Unmarshal([]byte(p.Message), &inner) != nil {
			return
		}
		in.handleInner(p.TargetID, &inner)
	}
}

// enable sends Network.enable and Console.enable to a new page target.
func (in *inspector) enable(target string) {
	in.mu.Lock()
	t := &wkTarget{waiting: map[int]bool{}, reqs: map[string]stepKey{}}
	in.targets[target] = t
	var msgs [][]byte
	for _, method := range []string{"Network.enable", "Console.enable"} {
		in.nextID++
		inner, _ := json.Marshal(wkMessage{ID: in.nextID, Method: method, Params: json.RawMessage(`{}`)})
		t.waiting[in.nextID] = true
		in.nextID++
		outer, _ := json.Marshal(map[string]any{"id": in.nextID, "method": "Target.sendMessageToTarget",
			"params": map[string]any{"targetId": target, "message": string(inner)}})
		msgs = append(msgs, outer)
	}
	in.mu.Unlock()
	for _, b := range msgs {
		if err := in.ws.writeText(b); err != nil {
			in.mu.Lock()
			if in.err == nil {
				in.err = err
			}
			in.cond.Broadcast()
			in.mu.Unlock()
			return
		}
	}
}

func (in *inspector) handleInner(target string, m *wkMessage) {
	if m.ID != 0 {
		in.mu.Lock()
		if t := in.targets[target]; t != nil && t.waiting[m.ID] {
			delete(t.waiting, m.ID)
			in.cond.Broadcast()
		}
		in.mu.Unlock()
		return
	}
	r := in.rec
	switch m.Method {
	case "Network.requestWillBeSent":
		var p struct {
			RequestID string `json:"requestId"`
			Request   struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if c, ok := r.logs.startStep(p.Request.URL); ok {
			if c != nil {
				r.cond.Broadcast()
			}
			return
		}
		key := keyOf(p.Request.URL)
		c := r.logs[key]
		if c == nil {
			return
		}
		in.mu.Lock()
		s, known := stepKey{}, false
		if t := in.targets[target]; t != nil {
			// A redirect is the same request id again: it stays in the
			// step it began in.
			if s, known = t.reqs[p.RequestID]; !known {
				s = stepKey{key, c.cur}
				t.reqs[p.RequestID] = s
			}
		}
		in.mu.Unlock()
		if !known {
			s = stepKey{key, c.cur}
		}
		c.step(s.step).sent = true
	case "Network.loadingFailed", "Network.loadingFinished":
		var p struct {
			RequestID string `json:"requestId"`
			ErrorText string `json:"errorText"`
			Canceled  bool   `json:"canceled"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			return
		}
		s, ok := in.stepOf(target, p.RequestID)
		if !ok {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		c := r.logs[s.key]
		if c == nil {
			return
		}
		l := c.step(s.step)
		if m.Method == "Network.loadingFinished" {
			l.finished = true
		} else {
			l.failed, l.errorText, l.canceled = true, p.ErrorText, p.Canceled
		}
		r.cond.Broadcast()
	case "Console.messageAdded":
		var p struct {
			Message struct {
				Source           string `json:"source"`
				Text             string `json:"text"`
				NetworkRequestID string `json:"networkRequestId"`
			} `json:"message"`
		}
		if json.Unmarshal(m.Params, &p) != nil {
			return
		}
		if strings.HasPrefix(p.Message.Text, readyMark) || strings.HasPrefix(p.Message.Text, doneMark) {
			r.setMark(p.Message.Text)
			return
		}
		s, ok := stepKey{}, false
		if p.Message.NetworkRequestID != "" {
			s, ok = in.stepOf(target, p.Message.NetworkRequestID)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if !ok {
			if key := r.logs.keyInText(p.Message.Text); key != "" {
				s, ok = stepKey{key, r.logs[key].cur}, true
			}
		}
		in.mu.Lock()
		defer in.mu.Unlock()
		t := in.targets[target]
		if t == nil {
			return
		}
		var c *caseSteps[wkLog]
		if ok {
			c = r.logs[s.key]
		}
		if c == nil {
			if p.Message.Source == "security" {
				t.security = append(t.security, p.Message.Text)
			} else {
				t.security = nil
			}
			return
		}
		l := c.step(s.step)
		l.console = append(l.console, t.security...)
		l.console = append(l.console, p.Message.Text)
		t.security = nil
		r.cond.Broadcast()
	}
}

// stepOf is the case run and step of a request id of target.
func (in *inspector) stepOf(target, requestID string) (stepKey, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if t := in.targets[target]; t != nil {
		s, ok := t.reqs[requestID]
		return s, ok
	}
	return stepKey{}, false
}

// ready waits until every live page target has answered its enable
// commands, so the events of what runs next are recorded.
func (in *inspector) ready(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.cond.Broadcast()
		in.mu.Unlock()
	})
	defer stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	for {
		if in.err != nil {
			return fmt.Errorf("the inspector connection ended: %w", in.err)
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("the inspector did not enable the page's Network domain in time: %w", err)
		}
		waiting := len(in.targets) == 0
		for _, t := range in.targets {
			if len(t.waiting) > 0 {
				waiting = true
			}
		}
		if !waiting {
			return nil
		}
		in.cond.Wait()
	}
}
