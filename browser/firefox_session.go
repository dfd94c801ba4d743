package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// hosts and ports only (the profile's cert_override.txt). The cases with
// steps run in a second Firefox (see firefoxSession), started at the same
// time when the run has such cases.
func (firefoxDriver) Start(ctx context.Context, env *Env) (Session, error) {
	exe, err := FindFirefox()
	if err != nil {
		return nil, err
	}
	s := &firefoxSession{exe: exe, env: env, rec: newFirefoxRecorder(), log: env.Log}
	s.stepsCtx, s.stopSteps = context.WithCancel(ctx)
	if env.Steps > 0 {
		s.startSteps()
	}
	b, err := s.startBrowser(ctx, "", max(env.Parallel, 1))
	if err != nil {
		s.Close()
		return nil, err
	}
	s.main = b
	return s, nil
}

// firefoxSession is a running Firefox with a pool of tabs, and a second
// one for the cases with steps.
//
// Firefox's CORS-preflight cache holds 100 entries for the whole browser
// (nsCORSListenerProxy.cpp PREFLIGHT_CACHE_SIZE), and every successful
// preflight of the table's plain cases adds one that lives 5 s unless its
// Access-Control-Max-Age says otherwise. Run beside hundreds of plain
// cases, a steps case's entry is evicted (least recently used) within a
// second, and a step the table expects the cache to serve is preflighted
// again. The steps cases make fewer than 100 entries between them, so in
// a browser of their own their entries stay until they expire.
type firefoxSession struct {
	exe     string
	env     *Env
	rec     *firefoxRecorder
	log     io.Writer
	product string
	version cases.Version
	main    *firefoxBrowser // nil until started

	// The browser for cases with steps: started once (startSteps), in the
	// background; stepsDone is closed when steps and stepsErr are set.
	stepsCtx  context.Context
	stopSteps context.CancelFunc
	stepsOnce sync.Once
	stepsDone chan struct{}
	steps     *firefoxBrowser
	stepsErr  error
	closeOnce sync.Once
}

// firefoxBrowser is one Firefox process and its tabs.
type firefoxBrowser struct {
	ff   *firefox
	tabs chan *firefoxTab
}

// firefoxTab is one top-level browsing context: batches run in it one at
// a time.
type firefoxTab struct {
	context string
	page    pageKey
}

// stepsTabs is the number of tabs of the browser for cases with steps: one
// for the batch of cases that wait, one for the others.
const stepsTabs = 2

// startBrowser launches one Firefox with n tabs; role names it in the log
// ("" for the main one).
func (s *firefoxSession) startBrowser(ctx context.Context, role string, n int) (*firefoxBrowser, error) {
	t0 := time.Now()
	ff, err := startFirefox(ctx, firefoxConfig{execPath: s.exe, cert: s.env.Cert, authorities: s.env.Authorities, events: s.rec.event})
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	b := &firefoxBrowser{ff: ff}
	v, err := s.setUp(ctx, b, n)
	if err != nil {
		ff.close()
		return nil, fmt.Errorf("set up Firefox%s: %w%s", role, err, ff.output())
	}
	if role == "" {
		s.product, s.version = v.product, v.version
	}
	fmt.Fprintf(s.log, "firefox%s: started in %s (BiDi listening after %s)\n", role, time.Since(t0).Round(time.Millisecond), t1.Sub(t0).Round(time.Millisecond))
	return b, nil
}

// startSteps starts the browser for cases with steps in the background,
// the first time it is called.
func (s *firefoxSession) startSteps() {
	s.stepsOnce.Do(func() {
		s.stepsDone = make(chan struct{})
		go func() {
			defer close(s.stepsDone)
			s.steps, s.stepsErr = s.startBrowser(s.stepsCtx, " (cases with steps)", stepsTabs)
			if s.stepsErr != nil {
				s.stepsErr = fmt.Errorf("start the Firefox for cases with steps: %w", s.stepsErr)
			}
		}()
	})
}

// stepsBrowser returns the browser for cases with steps once it runs.
func (s *firefoxSession) stepsBrowser(ctx context.Context) (*firefoxBrowser, error) {
	s.startSteps()
	if s.stepsDone == nil {
		return nil, fmt.Errorf("the Firefox session is closed")
	}
	select {
	case <-s.stepsDone:
		return s.steps, s.stepsErr
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// browserVersion is what session.new says of the browser.
type browserVersion struct {
	product string
	version cases.Version
}

func (s *firefoxSession) setUp(ctx context.Context, b *firefoxBrowser, n int) (browserVersion, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	proxy := fmt.Sprintf("127.0.0.1:%d", s.env.Port)
	var sess struct {
		Capabilities wdCapabilities `json:"capabilities"`
	}
	caps := map[string]any{"alwaysMatch": map[string]any{
		"acceptInsecureCerts": false,
		"proxy":               map[string]any{"proxyType": "manual", "httpProxy": proxy, "sslProxy": proxy},
	}}
	var bv browserVersion
	if err := b.ff.bidi.call(ctx, "session.new", map[string]any{"capabilities": caps}, &sess); err != nil {
		return bv, err
	}
	if sess.Capabilities.BrowserName != "firefox" {
		return bv, fmt.Errorf("session.new: the browser is %q, not firefox", sess.Capabilities.BrowserName)
	}
	v, err := cases.ParseVersion(sess.Capabilities.BrowserVersion)
	if err != nil {
		return bv, fmt.Errorf("the version of %q: %w", sess.Capabilities.BrowserVersion, err)
	}
	bv = browserVersion{"Firefox/" + sess.Capabilities.BrowserVersion, v}
	if err := b.ff.bidi.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}, nil); err != nil {
		return bv, err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := b.ff.bidi.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		return bv, err
	}
	if len(tree.Contexts) == 0 {
		return bv, fmt.Errorf("browsingContext.getTree found no tab")
	}
	b.tabs = make(chan *firefoxTab, n)
	b.tabs <- &firefoxTab{context: tree.Contexts[0].Context}
	for range n - 1 {
		var c struct {
			Context string `json:"context"`
		}
		if err := b.ff.bidi.call(ctx, "browsingContext.create", map[string]any{"type": "tab", "background": true}, &c); err != nil {
			return bv, err
		}
		b.tabs <- &firefoxTab{context: c.Context}
	}
	return bv, nil
}

func (s *firefoxSession) Product() string        { return s.product }
func (s *firefoxSession) Version() cases.Version { return s.version }

// Close stops both browsers (a start under way is canceled first); it is
// safe to call more than once.
func (s *firefoxSession) Close() {
	s.closeOnce.Do(func() {
		s.stopSteps()
		s.stepsOnce.Do(func() {}) // no start after this one
		if s.main != nil {
			s.main.ff.close()
		}
		if s.stepsDone != nil {
			<-s.stepsDone
			if s.steps != nil {
				s.steps.ff.close()
			}
		}
	})
}

func (s *firefoxSession) Judge(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	return judgeFirefox(c, want, o)
}

// Run runs one batch: its cases with steps in the browser for them, the
// others in the main browser, both at once.
func (s *firefoxSession) Run(ctx context.Context, batch []*item) ([]Observation, error) {
	var plain, steps []*item
	for _, it := range batch {
		if it.c.IsSequence() {
			steps = append(steps, it)
		} else {
			plain = append(plain, it)
		}
	}
	var plainObs, stepsObs []Observation
	var plainErr, stepsErr error
	var wg sync.WaitGroup
	if len(steps) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.stepsBrowser(ctx)
			if err != nil {
				stepsErr = err
				return
			}
			stepsObs, stepsErr = s.runIn(ctx, b, steps)
		}()
	}
	if len(plain) > 0 {
		plainObs, plainErr = s.runIn(ctx, s.main, plain)
	}
	wg.Wait()
	// An error of the browser (not of the batch's page) wins.
	var be *batchError
	for _, err := range []error{plainErr, stepsErr} {
		if err != nil && !errors.As(err, &be) {
			return nil, err
		}
	}
	for _, err := range []error{plainErr, stepsErr} {
		if err != nil {
			return nil, err
		}
	}
	obs := make([]Observation, 0, len(batch))
	for _, it := range batch {
		if it.c.IsSequence() {
			obs, stepsObs = append(obs, stepsObs[0]), stepsObs[1:]
		} else {
			obs, plainObs = append(obs, plainObs[0]), plainObs[1:]
		}
	}
	return obs, nil
}

// runIn runs items (all from one page) in a free tab of b.
func (s *firefoxSession) runIn(ctx context.Context, b *firefoxBrowser, items []*item) ([]Observation, error) {
	var t *firefoxTab
	select {
	case t = <-b.tabs:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { b.tabs <- t }()
	obs, err := s.run(ctx, b, t, items)
	if err != nil {
		var be *batchError
		if errors.As(err, &be) {
			return nil, err
		}
		return nil, fmt.Errorf("%w%s", err, b.ff.output())
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
func (s *firefoxSession) evaluate(ctx context.Context, b *firefoxBrowser, t *firefoxTab, expr string) (string, error) {
	var r evalResult
	err := b.ff.bidi.call(ctx, "script.evaluate", map[string]any{
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

func (s *firefoxSession) run(ctx context.Context, b *firefoxBrowser, t *firefoxTab, batch []*item) ([]Observation, error) {
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
		err := b.ff.bidi.call(nctx, "browsingContext.navigate", map[string]any{"context": t.context, "url": p.url, "wait": "complete"}, nil)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, &batchError{fmt.Sprintf("navigate to %s: %v", p.url, err)}
		}
		got, err := s.evaluate(nctx, b, t, `Promise.resolve(String(self.origin))`)
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
	mark := fmt.Sprintf(firefoxMarkSteps, stepPrefix, firefoxStepMarker)
	t0 := time.Now()
	bctx, cancel := context.WithTimeout(ctx, batchDeadline(batch))
	defer cancel()
	out, err := s.evaluate(bctx, b, t, "(async () => { "+mark+" return JSON.stringify(await "+expr+"); })()")
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
	// Firefox logs why a request failed before the failure reaches the
	// page, and says nothing for a request that fails before its CORS
	// checks (a same-origin hop refused, too many redirects, a ws: URL):
	// wait for a word about every step that failed on the network, but no
	// longer than Firefox stays quiet.
	var blocked []stepKey
	quiet := looseQuiet
	for i, it := range batch {
		results := []JSResult{js[i]}
		if it.c.IsSequence() {
			results = js[i].Steps
		}
		for k, r := range results {
			if firefoxFailedOnNetwork(r) {
				blocked = append(blocked, stepKey{it.key, k})
				if it.token != "" {
					quiet = firefoxQuiet
				}
			}
		}
	}
	s.rec.wait(ctx, blocked, t1, quiet, t1.Add(eventWait))
	fmt.Fprintf(s.log, "firefox: batch of %d from %s: fetches %s, words %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	obs := make([]Observation, len(batch))
	for i, it := range batch {
		obs[i].JS = js[i]
		n := len(js[i].Steps)
		all, steps := s.rec.get(it.key, n)
		obs[i].Console = all
		if it.c.IsSequence() {
			obs[i].Steps = make([]Observation, n)
			for k := range n {
				obs[i].Steps[k] = Observation{JS: js[i].Steps[k], Console: steps[k]}
			}
		}
	}
	return obs, nil
}

// firefoxFailedOnNetwork reports whether a request ended in a network
// error (which a CORS failure is): fetch() rejected with Firefox's
// NetworkError, or an XMLHttpRequest fired its error event.
func firefoxFailedOnNetwork(r JSResult) bool {
	return !r.OK && r.networkError(firefoxNetworkError)
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
