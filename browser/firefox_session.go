package browser

import (
	"context"
	"encoding/json"
	"errors"
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

// firefoxDriver runs cases in headless Firefox over WebDriver BiDi; the
// binary is FindFirefox's ($CROSSCHECK_FIREFOX or firefox-esr).
type firefoxDriver struct{}

func (firefoxDriver) Name() string { return firefoxName }

func (firefoxDriver) Find() error {
	_, err := FindFirefox()
	return err
}

// Start launches Firefox with every host proxied to the case server (the
// session's proxy capability: CONNECT for https, absolute-form requests for
// http, whatever the port) and the run's certificate trusted for the cases'
// hosts and ports only (the profile's cert_override.txt).
func (firefoxDriver) Start(ctx context.Context, env *Env) (Session, error) {
	exe, err := FindFirefox()
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
	if sess.Capabilities.BrowserName != "firefox" {
		return fmt.Errorf("session.new: the browser is %q, not firefox", sess.Capabilities.BrowserName)
	}
	s.product = "Firefox/" + sess.Capabilities.BrowserVersion
	v, err := cases.ParseVersion(sess.Capabilities.BrowserVersion)
	if err != nil {
		return fmt.Errorf("the version of %q: %w", sess.Capabilities.BrowserVersion, err)
	}
	s.version = v
	if err := s.ff.bidi.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil); err != nil {
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
		var be *batchError
		if errors.As(err, &be) {
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
		defer cancel()
		// A navigation Firefox refuses (an untrusted certificate, a refused
		// tunnel) fails this page's cases, never runs them: the tab would
		// show an error page whose fetches all fail. The next batch
		// navigates again.
		err := s.ff.bidi.call(nctx, "browsingContext.navigate", map[string]any{"context": t.context, "url": p.url, "wait": "complete"}, nil)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, &batchError{fmt.Sprintf("navigate to %s: %v", p.url, err)}
		}
		got, err := s.evaluate(nctx, t, `Promise.resolve(String(self.origin))`)
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
	bctx, cancel := context.WithTimeout(ctx, batchDeadline(batch))
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
	// Firefox logs why a fetch failed before its promise settles, and says
	// nothing for a request that fails before its CORS checks (a
	// same-origin hop refused, too many redirects, a ws: URL): wait for a
	// word about every failed fetch, but no longer than Firefox stays
	// quiet.
	var blocked []string
	quiet := looseQuiet
	for i, it := range batch {
		if !js[i].OK && js[i].Message == firefoxNetworkError {
			blocked = append(blocked, it.key)
			if it.token != "" {
				quiet = firefoxQuiet
			}
		}
	}
	s.rec.wait(ctx, blocked, t1, quiet, t1.Add(eventWait))
	fmt.Fprintf(s.log, "firefox: batch of %d from %s: fetches %s, words %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	obs := make([]Observation, len(batch))
	for i, it := range batch {
		obs[i].JS = js[i]
		obs[i].Console = s.rec.get(it.key)
	}
	return obs, nil
}

// firefoxQuiet is how long Firefox must log nothing about a batch's failed
// fetches before the fetches still without a word are judged without one.
// Gecko logs a CORS failure in the parent process before the failure
// reaches the page; in every run on the 2-core machine, loaded or not,
// each word came before the batch's result (the same 21 cases had none
// with a wait of 1 ms as with 400 ms), so this is a margin.
const firefoxQuiet = 250 * time.Millisecond

// looseQuiet is firefoxQuiet for a batch whose failed fetches are all of
// URLs without a token (not http(s)): they fail in the page, before any
// request, and Firefox logs what it says about them at once.
const looseQuiet = 100 * time.Millisecond

// firefoxRecorder collects Firefox's error-level console messages
// (log.entryAdded), keyed by case run like recorder: the case token in the
// URL each message names.
type firefoxRecorder struct {
	mu   sync.Mutex
	cond *sync.Cond
	logs map[string][]string // keys registered by track
	last time.Time           // when the last message for a tracked key came
}

func newFirefoxRecorder() *firefoxRecorder {
	r := &firefoxRecorder{logs: map[string][]string{}}
	r.cond = sync.NewCond(&r.mu)
	return r
}

// track registers a key with no messages; messages for unregistered keys
// are dropped.
func (r *firefoxRecorder) track(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[key] = []string{}
}

// event handles one BiDi event; it runs in the connection's read loop.
func (r *firefoxRecorder) event(method string, params json.RawMessage) {
	if method != "log.entryAdded" {
		return
	}
	var e struct {
		Level string `json:"level"`
		Text  string `json:"text"`
	}
	if json.Unmarshal(params, &e) != nil || e.Level != "error" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.keyInText(e.Text); k != "" {
		r.logs[k] = append(r.logs[k], e.Text)
		r.last = time.Now()
		r.cond.Broadcast()
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

// wait blocks until every key in keys has a message, or no message for a
// tracked key has come for quiet since from (or the last one), or the
// deadline passes, or ctx ends.
func (r *firefoxRecorder) wait(ctx context.Context, keys []string, from time.Time, quiet time.Duration, deadline time.Time) {
	if len(keys) == 0 {
		return
	}
	wake := func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	}
	tick := time.NewTicker(quiet / 4)
	defer tick.Stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-tick.C:
				wake()
			case <-done:
				return
			}
		}
	}()
	stopCtx := context.AfterFunc(ctx, wake)
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
		for _, k := range keys {
			if len(r.logs[k]) == 0 {
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

// get returns a copy of the messages for key.
func (r *firefoxRecorder) get(key string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs[key]...)
}
