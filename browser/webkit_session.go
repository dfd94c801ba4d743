package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
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
	s.cond = sync.NewCond(&s.mu)
	s.loadPage = s.load
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
// WebDriver and watched by the inspector. Batches from the same page run
// in it at the same time: a batch does not hold the WebDriver session
// while its fetches run (WebDriver answers one command at a time), but
// starts them with one short command; the page logs a doneMark message
// when they have settled, and a second command collects the results. So
// a batch that waits (preflight-cache expiry) costs the batches of its
// page no time. The page changes only when no batch runs in it.
// (MiniBrowser has one inspectable page: a window WebDriver opens is not
// listed by the inspector HTTP server, so a second page would have no
// words.)
type webkitSession struct {
	w       *webkit
	rec     *wkRecorder
	log     io.Writer
	product string
	version cases.Version
	insps   []*inspector

	mu       sync.Mutex // the page's state
	cond     *sync.Cond
	page     pageKey // the page loaded, or none
	running  int     // batches running in the page
	changing bool    // a batch is loading another page
	holds    int     // batches that wait, still in their timed first steps
	// loadPage loads a page (s.load; tests replace it).
	loadPage func(context.Context, pageKey) error

	wdMu  sync.Mutex // one WebDriver command sequence at a time
	marks int        // marks logged (under wdMu)

	once sync.Once
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

// Run runs one batch in the page, beside the other batches of that page.
func (s *webkitSession) Run(ctx context.Context, batch []*item) ([]Observation, error) {
	waits := false
	for _, it := range batch {
		waits = waits || it.waits() > 0
	}
	if err := s.enter(ctx, batch[0].page, !waits); err != nil {
		if _, ok := err.(*batchError); ok {
			return nil, err
		}
		return nil, fmt.Errorf("%w%s", err, s.w.output())
	}
	defer s.leave()
	if waits {
		// Hold the other batches until this one's items sleep.
		s.mu.Lock()
		s.holds++
		s.mu.Unlock()
		var once sync.Once
		release := func() {
			once.Do(func() {
				s.mu.Lock()
				s.holds--
				s.cond.Broadcast()
				s.mu.Unlock()
			})
		}
		defer release()
		go func() {
			hctx, cancel := context.WithTimeout(ctx, holdLimit)
			defer cancel()
			s.rec.waitAsleep(hctx, sleepers(batch))
			release()
		}()
	}
	obs, err := s.run(ctx, batch)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, s.w.output())
	}
	return obs, nil
}

// holdLimit bounds how long a batch that waits holds the others back.
const holdLimit = 3 * time.Second

// sleepers lists, for each item of batch whose steps wait, the last step
// before its first wait.
func sleepers(batch []*item) []stepKey {
	var out []stepKey
	for _, it := range batch {
		for k, st := range it.steps {
			if st.WaitMs > 0 && k > 0 {
				out = append(out, stepKey{it.key, k - 1})
				break
			}
		}
	}
	return out
}

// enter waits until the page is p, loading it once no batch runs in
// another page, and counts the batch as running in it. A batch that may
// be held (one whose steps do not wait) also waits while a batch that
// waits is in the steps before its first wait: those are timed (a
// preflight-cache entry of max-age 1 must serve the step right after
// it), and a page busy with 128 fetches to the same host delays them by
// a second or more (the network process queues requests per host).
func (s *webkitSession) enter(ctx context.Context, p pageKey, mayHold bool) error {
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case s.changing, mayHold && s.holds > 0:
		case s.page == p:
			s.running++
			return nil
		case s.running == 0:
			s.changing, s.page = true, pageKey{}
			s.mu.Unlock()
			err := s.loadPage(ctx, p)
			s.mu.Lock()
			s.changing = false
			if err == nil {
				s.page = p
				fmt.Fprintf(s.log, "webkit: page %s ready\n", p.url)
			}
			s.cond.Broadcast()
			if err != nil {
				return err
			}
			continue
		}
		s.cond.Wait()
	}
}

// leave ends a batch's run in the page.
func (s *webkitSession) leave() {
	s.mu.Lock()
	s.running--
	s.cond.Broadcast()
	s.mu.Unlock()
}

// command runs f with the WebDriver session to itself.
func (s *webkitSession) command(f func() error) error {
	s.wdMu.Lock()
	defer s.wdMu.Unlock()
	return f()
}

func (s *webkitSession) run(ctx context.Context, batch []*item) ([]Observation, error) {
	for _, it := range batch {
		s.rec.track(it.key) // a fresh log: another batch may have fetched the same URL
	}
	expr, err := batchScript(batch)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	js, err := s.runScript(ctx, expr, batchDeadline(batch))
	if err != nil {
		return nil, fmt.Errorf("run a batch of %d fetches: %w", len(batch), err)
	}
	if len(js) != len(batch) {
		return nil, fmt.Errorf("a batch of %d fetches returned %d results", len(batch), len(js))
	}
	t1 := time.Now()
	keys := make([]string, len(batch))
	failed := map[stepKey]bool{}
	for i, it := range batch {
		keys[i] = it.key
		steps := []JSResult{js[i]}
		if len(it.steps) > 1 {
			steps = js[i].Steps
		}
		for k, r := range steps {
			if !r.OK && (r.XHRError || r.Message == webkitLoadFailed) {
				failed[stepKey{it.key, k}] = true
			}
		}
	}
	s.rec.wait(keys, failed, time.Now().Add(eventWait))
	fmt.Fprintf(s.log, "webkit: batch of %d from %s: fetches %s, events %s\n", len(batch), batch[0].page.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	out := make([]Observation, len(batch))
	for i, it := range batch {
		out[i] = wkObservation(js[i], s.rec.stepLogs(it.key, len(it.steps)))
	}
	return out, nil
}

// load navigates to page p and waits until the inspector watches it.
func (s *webkitSession) load(ctx context.Context, p pageKey) error {
	nctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	var origin, mark string
	err := s.command(func() error {
		if err := s.w.wd.navigate(nctx, p.url); err != nil {
			return err
		}
		if err := s.w.wd.execute(nctx, "return self.origin", &origin); err != nil {
			return err
		}
		if origin != p.origin {
			return nil
		}
		if err := s.ready(nctx); err != nil {
			return err
		}
		s.marks++
		mark = readyMark + strconv.Itoa(s.marks)
		return s.w.wd.execute(nctx, fmt.Sprintf("console.log(%q)", mark), nil)
	})
	if err != nil {
		return fmt.Errorf("navigate to %s: %w", p.url, err)
	}
	if origin != p.origin {
		return &batchError{fmt.Sprintf("the page %s has origin %q, not %q (its certificate or the proxy failed: WebKit then stays on the page before)", p.url, origin, p.origin)}
	}
	mctx, mcancel := context.WithTimeout(nctx, 5*time.Second)
	defer mcancel()
	if !s.rec.sawMark(mctx, mark) {
		return fmt.Errorf("navigate to %s: the inspector does not report the page's console (no %q within 5 s)", p.url, mark)
	}
	return nil
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

// donePoll is how often a batch's window is asked for its results when the
// inspector has not reported its doneMark (a lost console message costs
// this much, never the batch).
const donePoll = time.Second

// runScript starts the batch expression expr in the page, waits until its
// promise has settled (the page logs a doneMark message) and collects its
// results, within d.
func (s *webkitSession) runScript(ctx context.Context, expr string, d time.Duration) ([]JSResult, error) {
	bctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mark string
	err := s.command(func() error {
		s.marks++
		mark = doneMark + strconv.Itoa(s.marks)
		return s.w.wd.execute(bctx, fmt.Sprintf(startScript, mark, expr), nil)
	})
	if err != nil {
		return nil, err
	}
	for {
		wctx, wcancel := context.WithTimeout(bctx, donePoll)
		s.rec.sawMark(wctx, mark)
		wcancel()
		var raw *string
		err := s.command(func() error {
			return s.w.wd.execute(bctx, fmt.Sprintf(collectScript, mark), &raw)
		})
		if err != nil {
			return nil, err
		}
		if raw != nil {
			var failed struct {
				Error string `json:"error"`
			}
			if json.Unmarshal([]byte(*raw), &failed) == nil {
				return nil, fmt.Errorf("the batch script failed: %s", failed.Error)
			}
			var js []JSResult
			if err := json.Unmarshal([]byte(*raw), &js); err != nil {
				return nil, fmt.Errorf("the page's results: %w (%.200q)", err, *raw)
			}
			return js, nil
		}
		if err := bctx.Err(); err != nil {
			return nil, fmt.Errorf("the fetches did not settle within %s: %w", d, err)
		}
	}
}

// startScript starts a batch in the page without waiting for it: when its
// promise settles, the results (JSON: an array, or {error} when the script
// itself failed) wait in window.__crosscheck under the mark, and the page
// logs the mark. %[1]q is the mark, %[2]s the batch
// expression.
const startScript = `const m = %[1]q;
window.__crosscheck = window.__crosscheck || {};
Promise.resolve().then(() => %[2]s)
  .then((r) => JSON.stringify(r), (e) => JSON.stringify({error: String(e)}))
  .then((j) => { window.__crosscheck[m] = j; console.log(m); });`

// collectScript returns (and forgets) the results a batch left under the
// mark %q, or null while its fetches run.
const collectScript = `const m = %q;
const r = window.__crosscheck && window.__crosscheck[m];
if (r === undefined) return null;
delete window.__crosscheck[m];
return r;`

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
