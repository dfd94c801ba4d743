package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// firefoxName is Firefox's engine name in case records.
const firefoxName = "firefox"

func init() { register(firefoxDriver{}) }

// firefoxDriver runs cases in headless Firefox over WebDriver BiDi. exec is
// the binary; "" means FindFirefox.
type firefoxDriver struct{ exec string }

func (firefoxDriver) Name() string { return firefoxName }

func (d firefoxDriver) Find() error {
	_, err := d.path()
	return err
}

func (d firefoxDriver) path() (string, error) {
	if d.exec != "" {
		return d.exec, nil
	}
	return FindFirefox()
}

// Start launches Firefox with every host proxied to the case server (the
// session's proxy capability: CONNECT for https, absolute-form requests for
// http, whatever the port) and the run's certificate trusted for the cases'
// hosts and ports only (the profile's cert_override.txt).
func (d firefoxDriver) Start(ctx context.Context, env *Env) (Session, error) {
	exe, err := d.path()
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	rec := newFirefoxRecorder()
	ff, err := startFirefox(ctx, firefoxConfig{execPath: exe, cert: env.Cert, authorities: env.Authorities, events: rec.event})
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	s := &firefoxSession{ff: ff, rec: rec, log: env.Log}
	if err := s.setUp(ctx, env); err != nil {
		ff.close()
		return nil, fmt.Errorf("set up Firefox: %w%s", err, ff.output())
	}
	fmt.Fprintf(env.Log, "firefox: started in %s (BiDi listening after %s)\n", time.Since(t0).Round(time.Millisecond), t1.Sub(t0).Round(time.Millisecond))
	return s, nil
}

// firefoxSession is a running Firefox with a pool of tabs.
type firefoxSession struct {
	ff      *firefox
	rec     *firefoxRecorder
	log     io.Writer
	product string
	version cases.Version
	tabs    chan *firefoxTab
	once    sync.Once
}

// firefoxTab is one top-level browsing context: batches run in it one at
// a time.
type firefoxTab struct {
	context string
	page    pageKey
}

func (s *firefoxSession) setUp(ctx context.Context, env *Env) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	proxy := fmt.Sprintf("127.0.0.1:%d", env.Port)
	var sess struct {
		Capabilities struct {
			BrowserName    string `json:"browserName"`
			BrowserVersion string `json:"browserVersion"`
		} `json:"capabilities"`
	}
	caps := map[string]any{"alwaysMatch": map[string]any{
		"acceptInsecureCerts": false,
		"proxy":               map[string]any{"proxyType": "manual", "httpProxy": proxy, "sslProxy": proxy},
	}}
	if err := s.ff.bidi.call(ctx, "session.new", map[string]any{"capabilities": caps}, &sess); err != nil {
		return err
	}
	s.product = "Firefox/" + sess.Capabilities.BrowserVersion
	v, err := cases.ParseVersion(sess.Capabilities.BrowserVersion)
	if err != nil {
		return fmt.Errorf("the version of %q: %w", sess.Capabilities.BrowserVersion, err)
	}
	s.version = v
	if err := s.ff.bidi.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded", "network.fetchError"}}, nil); err != nil {
		return err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := s.ff.bidi.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		return err
	}
	if len(tree.Contexts) == 0 {
		return fmt.Errorf("browsingContext.getTree found no tab")
	}
	n := max(env.Parallel, 1)
	s.tabs = make(chan *firefoxTab, n)
	s.tabs <- &firefoxTab{context: tree.Contexts[0].Context}
	for range n - 1 {
		var c struct {
			Context string `json:"context"`
		}
		if err := s.ff.bidi.call(ctx, "browsingContext.create", map[string]any{"type": "tab", "background": true}, &c); err != nil {
			return err
		}
		s.tabs <- &firefoxTab{context: c.Context}
	}
	return nil
}

func (s *firefoxSession) Product() string        { return s.product }
func (s *firefoxSession) Version() cases.Version { return s.version }
func (s *firefoxSession) Close()                 { s.once.Do(s.ff.close) }

func (s *firefoxSession) Judge(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	return judgeFirefox(c, want, o)
}

// Run runs one batch in a free tab.
func (s *firefoxSession) Run(ctx context.Context, batch []*item) ([]Observation, error) {
	var t *firefoxTab
	select {
	case t = <-s.tabs:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { s.tabs <- t }()
	obs, err := s.run(ctx, t, batch)
	if err != nil {
		if _, ok := err.(*batchError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%w%s", err, s.ff.output())
	}
	return obs, nil
}

// evalResult is script.evaluate's result.
type evalResult struct {
	Type   string `json:"type"` // "success" or "exception"
	Result struct {
		Type  string `json:"type"`
		Value any    `json:"value"`
	} `json:"result"`
	ExceptionDetails struct {
		Text string `json:"text"`
	} `json:"exceptionDetails"`
}

// evaluate runs expr (a promise of a string) in the tab and returns the
// string.
func (s *firefoxSession) evaluate(ctx context.Context, t *firefoxTab, expr string) (string, error) {
	var r evalResult
	err := s.ff.bidi.call(ctx, "script.evaluate", map[string]any{
		"expression": expr, "target": map[string]any{"context": t.context},
		"awaitPromise": true, "resultOwnership": "none",
	}, &r)
	if err != nil {
		return "", err
	}
	if r.Type != "success" {
		return "", fmt.Errorf("script threw: %s", r.ExceptionDetails.Text)
	}
	str, ok := r.Result.Value.(string)
	if r.Result.Type != "string" || !ok {
		return "", fmt.Errorf("script returned a %s, not a string", r.Result.Type)
	}
	return str, nil
}

func (s *firefoxSession) run(ctx context.Context, t *firefoxTab, batch []*item) ([]Observation, error) {
	for _, it := range batch {
		s.rec.track(it.key)
	}
	p := batch[0].page
	if t.page != p {
		t.page = pageKey{}
		nctx, cancel := context.WithTimeout(ctx, batchTimeout)
		err := s.ff.bidi.call(nctx, "browsingContext.navigate", map[string]any{"context": t.context, "url": p.url, "wait": "complete"}, nil)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("navigate to %s: %w", p.url, err)
		}
		got, err := s.evaluate(ctx, t, `Promise.resolve(String(self.origin))`)
		if err != nil {
			return nil, fmt.Errorf("read the origin of %s: %w", p.url, err)
		}
		if got != p.origin {
			return nil, &batchError{fmt.Sprintf("the page %s has origin %q, not %q", p.url, got, p.origin)}
		}
		t.page = p
		fmt.Fprintf(s.log, "firefox: page %s ready\n", p.url)
	}
	expr, err := batchScript(batch)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	bctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	out, err := s.evaluate(bctx, t, "(async () => JSON.stringify(await "+expr+"))()")
	if err != nil {
		return nil, fmt.Errorf("run a batch of %d fetches: %w", len(batch), err)
	}
	var js []JSResult
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		return nil, fmt.Errorf("decode a batch's results: %w", err)
	}
	if len(js) != len(batch) {
		return nil, fmt.Errorf("a batch of %d fetches returned %d results", len(batch), len(js))
	}
	t1 := time.Now()
	// Firefox logs why a fetch failed around the time its promise
	// settles. A fetch of a URL with no token (not http(s)) fails without
	// a request, and Firefox may log nothing at all for it: a short wait.
	var blocked, loose []string
	for i, it := range batch {
		switch {
		case js[i].OK || js[i].Message != firefoxNetworkError:
		case it.token != "":
			blocked = append(blocked, it.key)
		default:
			loose = append(loose, it.key)
		}
	}
	s.rec.wait(ctx, blocked, t1.Add(eventWait))
	s.rec.wait(ctx, loose, t1.Add(looseWait))
	fmt.Fprintf(s.log, "firefox: batch of %d from %s: fetches %s, events %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	obs := make([]Observation, len(batch))
	for i, it := range batch {
		o := &obs[i]
		o.JS = js[i]
		l := s.rec.get(it.key)
		o.Console = l.console
		o.ErrorText = l.errorText
	}
	return obs, nil
}

// looseWait bounds the wait for Firefox's words about a fetch that sent
// no request.
const looseWait = 300 * time.Millisecond

// firefoxLog is what Firefox reported for one case run: its console
// errors about the request and the network error of the actual request.
type firefoxLog struct {
	console   []string
	errorText string
	settled   bool // a CORS message or a network error of the actual request came
}

// firefoxRecorder collects BiDi events, keyed by case run like recorder.
type firefoxRecorder struct {
	mu   sync.Mutex
	cond *sync.Cond
	logs map[string]*firefoxLog
}

func newFirefoxRecorder() *firefoxRecorder {
	r := &firefoxRecorder{logs: map[string]*firefoxLog{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *firefoxRecorder) track(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[key] = &firefoxLog{}
}

// event handles one BiDi event; it runs in the connection's read loop.
func (r *firefoxRecorder) event(method string, params json.RawMessage) {
	switch method {
	case "log.entryAdded":
		var e struct {
			Level string `json:"level"`
			Text  string `json:"text"`
		}
		if json.Unmarshal(params, &e) != nil || e.Level != "error" {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if l := r.logs[r.keyInText(e.Text)]; l != nil {
			l.console = append(l.console, e.Text)
			l.settled = true
			r.cond.Broadcast()
		}
	case "network.fetchError":
		var e struct {
			ErrorText string `json:"errorText"`
			Request   struct {
				URL    string `json:"url"`
				Method string `json:"method"`
			} `json:"request"`
		}
		if json.Unmarshal(params, &e) != nil {
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if l := r.logs[r.keyInText(e.Request.URL)]; l != nil && e.Request.Method != "OPTIONS" {
			l.errorText = e.ErrorText
			l.settled = true
			r.cond.Broadcast()
		}
	}
}

// keyInText finds the key of a tracked case run whose URL text mentions.
func (r *firefoxRecorder) keyInText(text string) string {
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

// wait blocks until every key in keys has settled, until the deadline, or
// until ctx ends.
func (r *firefoxRecorder) wait(ctx context.Context, keys []string, deadline time.Time) {
	wake := func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	}
	stop := time.AfterFunc(time.Until(deadline), wake)
	defer stop.Stop()
	stopCtx := context.AfterFunc(ctx, wake)
	defer stopCtx()
	r.mu.Lock()
	defer r.mu.Unlock()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		pending := false
		for _, k := range keys {
			if l := r.logs[k]; l != nil && !l.settled {
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

func (r *firefoxRecorder) get(key string) firefoxLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l := r.logs[key]; l != nil {
		c := *l
		c.console = append([]string(nil), l.console...)
		return c
	}
	return firefoxLog{}
}
