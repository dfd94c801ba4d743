package browser

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
)

func (webkitDriver) Start(ctx context.Context, env *Env) (Session, error) {
	progs, err := findWebKit()
	if err != nil {
		return nil, err
	}
	w, caps, err := startWebKit(ctx, progs, env)
	if err != nil {
		return nil, err
	}
	s := &webkitSession{w: w, rec: newWKRecorder(), log: env.Log}
	if s.log == nil {
		s.log = io.Discard
	}
	s.product = fmt.Sprintf("%s/%s (WebKitGTK)", caps.BrowserName, caps.BrowserVersion)
	if s.version, err = cases.ParseVersion(caps.BrowserVersion); err != nil {
		w.close()
		return nil, fmt.Errorf("the version of %s: %w", s.product, err)
	}
	if err := s.connectInspector(ctx); err != nil {
		w.close()
		return nil, err
	}
	return s, nil
}

// webkitSession is a running MiniBrowser with one page, driven by
// WebDriver and watched by the inspector. Batches run one at a time: a
// WebDriver session has one current page, and the fetches of a batch
// already run at once.
type webkitSession struct {
	w       *webkit
	rec     *wkRecorder
	log     io.Writer
	product string
	version cases.Version

	mu    sync.Mutex // one batch at a time
	insps []*inspector
	page  pageKey
	marks int // readyMark messages logged
	once  sync.Once
}

func (s *webkitSession) Product() string        { return s.product }
func (s *webkitSession) Version() cases.Version { return s.version }

func (s *webkitSession) Close() {
	s.once.Do(func() {
		for _, in := range s.insps {
			in.ws.close()
		}
		s.w.close()
		for _, in := range s.insps {
			<-in.done
		}
	})
}

func (s *webkitSession) Judge(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	return judgeWebKit(c, want, o)
}

// connectInspector attaches the inspector to every page the browser
// offers (the automation session's page).
func (s *webkitSession) connectInspector(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		paths, err := inspectorTargets(ctx, s.w.httpAddr)
		if err == nil && len(paths) > 0 {
			for _, p := range paths {
				in, err := dialInspector(s.w.httpAddr, p, s.rec)
				if err != nil {
					return fmt.Errorf("connect to the inspector: %w", err)
				}
				s.insps = append(s.insps, in)
			}
			return nil
		}
		if err == nil {
			err = errNoInspectorPage
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("connect to the inspector: %w%s", err, s.w.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Run runs one batch in the page.
func (s *webkitSession) Run(ctx context.Context, batch []*item) ([]Observation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obs, err := s.run(ctx, batch)
	if err != nil {
		if _, ok := err.(*batchError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%w%s", err, s.w.output())
	}
	return obs, nil
}

func (s *webkitSession) run(ctx context.Context, batch []*item) ([]Observation, error) {
	for _, it := range batch {
		s.rec.track(it.key) // a fresh log: another batch may have fetched the same URL
	}
	p := batch[0].page
	if s.page != p {
		s.page = pageKey{}
		nctx, cancel := context.WithTimeout(ctx, batchTimeout)
		err := s.w.wd.navigate(nctx, p.url)
		var origin string
		if err == nil {
			err = s.w.wd.execute(nctx, "return self.origin", &origin)
		}
		if err == nil {
			err = s.ready(nctx)
		}
		if err == nil {
			err = s.mark(nctx)
		}
		cancel()
		if err != nil {
			return nil, fmt.Errorf("navigate to %s: %w", p.url, err)
		}
		if origin != p.origin {
			return nil, &batchError{fmt.Sprintf("the page %s has origin %q, not %q (its certificate or the proxy failed: WebKit then stays on about:blank)", p.url, origin, p.origin)}
		}
		s.page = p
		fmt.Fprintf(s.log, "webkit: page %s ready\n", p.url)
	}
	expr, err := batchScript(batch)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	bctx, cancel := context.WithTimeout(ctx, batchDeadline(batch))
	defer cancel()
	var js []JSResult
	if err := s.w.wd.execute(bctx, "return "+expr, &js); err != nil {
		return nil, fmt.Errorf("run a batch of %d fetches: %w", len(batch), err)
	}
	if len(js) != len(batch) {
		return nil, fmt.Errorf("a batch of %d fetches returned %d results", len(batch), len(js))
	}
	t1 := time.Now()
	keys := make([]string, len(batch))
	failed := map[wkStep]bool{}
	for i, it := range batch {
		keys[i] = it.key
		steps := []JSResult{js[i]}
		if len(it.steps) > 1 {
			steps = js[i].Steps
		}
		for k, r := range steps {
			if !r.OK && (r.XHRError || r.Message == webkitLoadFailed) {
				failed[wkStep{it.key, k}] = true
			}
		}
	}
	s.rec.wait(keys, failed, time.Now().Add(eventWait))
	fmt.Fprintf(s.log, "webkit: batch of %d from %s: fetches %s, events %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	out := make([]Observation, len(batch))
	for i, it := range batch {
		out[i] = wkObservation(js[i], s.rec.get(it.key, len(it.steps)))
	}
	return out, nil
}

// ready waits until every inspector has enabled its page's targets (a
// navigation to another site moves the page to a new web process, a new
// target).
func (s *webkitSession) ready(ctx context.Context) error {
	for _, in := range s.insps {
		if err := in.ready(ctx); err != nil {
			return err
		}
	}
	return nil
}

// mark logs a readyMark message in the page and waits until an inspector
// reports it: the inspector then watches the page the batch runs in.
func (s *webkitSession) mark(ctx context.Context) error {
	s.marks++
	mark := fmt.Sprintf("%s%d", readyMark, s.marks)
	if err := s.w.wd.execute(ctx, fmt.Sprintf("console.log(%q)", mark), nil); err != nil {
		return err
	}
	mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, in := range s.insps {
		if in.sawMark(mctx, mark) {
			return nil
		}
	}
	return fmt.Errorf("the inspector does not report the page's console (no %q within 5 s)", mark)
}

// wkObservation is an item's observation from its script result and the
// inspector's logs of its steps: for a multi-step item, one observation
// per step (Observation.Steps), each with the engine's words about that
// step only.
func wkObservation(js JSResult, logs []wkLog) Observation {
	fill := func(o *Observation, l wkLog) {
		o.ErrorText, o.Console = l.errorText, l.console
		o.LoadingFailed, o.DevToolsSent = l.failed, l.sent
	}
	o := Observation{JS: js}
	if len(logs) == 1 {
		fill(&o, logs[0])
		return o
	}
	o.Steps = make([]Observation, len(logs))
	for k, l := range logs {
		if k < len(js.Steps) {
			o.Steps[k].JS = js.Steps[k]
		}
		fill(&o.Steps[k], l)
	}
	return o
}
