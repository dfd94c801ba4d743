package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// Options configure a verification run.
type Options struct {
	// Engines are the engines to run, by name ("chrome", "firefox",
	// "webkit"); empty means every engine installed on this machine.
	Engines []string
	// Chromium is the Chrome or Chromium binary; "" means FindChromium.
	Chromium string
	// Parallel is the number of batches each engine runs at the same time
	// (Chrome: tabs); 0 means 1 (the fetches of a batch already run
	// concurrently; on two cores a second tab mostly adds a renderer).
	Parallel int
	// BatchSize is the number of cases in one batch (one Promise.all in
	// one page); 0 means 128.
	BatchSize int
	// Log receives progress diagnostics; nil discards them.
	Log io.Writer
}

// Timeouts of one run.
const (
	fetchTimeout = 10 * time.Second // per fetch(), through AbortSignal.timeout
	batchTimeout = 30 * time.Second // per batch
	eventWait    = 3 * time.Second  // for engine events after the promises settle
)

// ErrNothingCompared is returned (wrapped) when a run compares no case
// with a browser: no case given, or none could run.
var ErrNothingCompared = errors.New("no case was compared with a browser")

// Verify replays the cases in each engine's browser and compares each
// engine's verdicts, and the requests its case server received, with the
// table (the engine's records for the running version over expect) and
// with the model. Engines run one after the other, all served by one case
// server. It returns an error when the run as a whole could not happen (no
// browser, a browser failed to start or died, ctx canceled) or compared
// nothing; a case an engine gives no CORS verdict for is reported in its
// Result.CouldNotRun. Every browser and its temporary files are gone when
// Verify returns.
func Verify(ctx context.Context, cs []cases.Case, opts Options) (*Report, error) {
	start := time.Now()
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: the run has no cases", ErrNothingCompared)
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	opts.Parallel = max(opts.Parallel, 1)
	if opts.BatchSize <= 0 {
		opts.BatchSize = 128
	}
	names := opts.Engines
	if len(names) == 0 {
		if names = Installed(); len(names) == 0 {
			return nil, fmt.Errorf("%w: none of %v is installed; %s", ErrNoBrowser, EngineNames(), InstallHint)
		}
	}
	engines, err := lookupDrivers(names)
	if err != nil {
		return nil, err
	}
	if opts.Chromium != "" {
		for i, d := range engines {
			if d.Name() == chromeName {
				engines[i] = chromeDriver{exec: opts.Chromium}
			}
		}
	}
	for _, d := range engines {
		if err := d.Find(); err != nil {
			return nil, err
		}
	}

	var nb [6]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	nonce := hex.EncodeToString(nb[:])

	// The plan: what each case needs, the same for every engine. The
	// model's verdict and trace are computed once.
	base := make([]Result, len(cs))
	for i := range cs {
		base[i] = baseResult(&cs[i])
	}
	hosts := certHosts(cs)
	cert, err := newCertificate(hosts)
	if err != nil {
		return nil, err
	}
	srv, err := newServer(cert, hosts)
	if err != nil {
		return nil, err
	}
	defer srv.close()

	// What every engine's browser needs to reach the case server; each
	// run sets Parallel and Steps.
	env := Env{Port: srv.port(), Cert: cert, Authorities: certAuthorities(cs), Log: logw}
	report := &Report{}
	for ei, d := range engines {
		run, err := verifyEngine(ctx, d, cs, base, fmt.Sprintf("%s%d", nonce, ei), srv, env, opts)
		if err != nil {
			return nil, err
		}
		report.Runs = append(report.Runs, run)
	}
	report.Strays = srv.strays()
	report.Elapsed = time.Since(start)
	if report.compared() == 0 {
		return report, fmt.Errorf("%w: every case could not run", ErrNothingCompared)
	}
	return report, nil
}

// verifyEngine runs every case in one engine.
func verifyEngine(ctx context.Context, d Driver, cs []cases.Case, base []Result, nonce string, srv *server, env Env, opts Options) (*Run, error) {
	start := time.Now()
	results := make([]Result, len(cs))
	copy(results, base)
	var items []*item
	for i := range cs {
		it, err := prepare(&cs[i], i, nonce)
		if err != nil {
			results[i].CouldNotRun = err.Error()
			continue
		}
		items = append(items, it)
		if it.token != "" {
			srv.add(newCaseRun(it.c, it.token))
		}
	}
	// Chrome sends request streams only over HTTP/2: its stream cases run
	// in a second browser mapped to the case server's HTTP/2 listener.
	var main, streams []*item
	_, h2 := d.(h2Streamer)
	for _, it := range items {
		if h2 && it.streams() {
			streams = append(streams, it)
		} else {
			main = append(main, it)
		}
	}
	plan := schedule(main, opts.BatchSize)
	env.Parallel = plan.pages(opts.Parallel)
	for _, it := range items {
		if it.c.IsSequence() {
			env.Steps++
		}
	}
	sess, err := d.Start(ctx, &env)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	run := &Run{Engine: d.Name(), Product: sess.Product(), Version: sess.Version().String()}
	version := sess.Version()
	for i := range results {
		wants, rec := cs[i].WantSteps(d.Name(), version)
		results[i].Record = rec
		if cs[i].IsSequence() {
			results[i].Steps = append([]StepResult(nil), base[i].Steps...) // not shared between engines
			for k := range results[i].Steps {
				results[i].Steps[k].Want = wants[k]
			}
		} else {
			results[i].Want = wants[0]
		}
	}
	fmt.Fprintf(env.Log, "%s: %s, %d cases (%d runnable), case server 127.0.0.1:%d\n", d.Name(), run.Product, len(cs), len(items), srv.port())
	fatal := runBatches(ctx, sess, srv, plan, opts.Parallel, results)
	if fatal == nil && len(streams) > 0 && ctx.Err() == nil {
		fatal = runStreams(ctx, d, &env, srv, streams, opts, results)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("browser run interrupted: %w", err)
	}
	if fatal != nil {
		return nil, fmt.Errorf("%s: %w", d.Name(), fatal)
	}
	for i := range results {
		finish(&results[i])
	}
	run.Results = results
	run.Elapsed = time.Since(start)
	return run, nil
}

// judgeItem turns what the browser did for an item into its verdict, one
// per step for a steps case.
func judgeItem(sess Session, it *item, o *Observation, r *Result) {
	steps := it.c.Exchanges()
	if !it.c.IsSequence() {
		v, err := judgeStep(sess, it, 0, &steps[0], r.Want, o)
		if err != nil {
			r.CouldNotRun = err.Error()
			return
		}
		r.Browser = &v
		return
	}
	if len(o.JS.Steps) != len(steps) {
		r.CouldNotRun = fmt.Sprintf("the page ran %d of the %d steps", len(o.JS.Steps), len(steps))
		if n := len(o.JS.Steps); n > 0 && o.JS.Steps[n-1].Name == "crosscheck" {
			r.CouldNotRun += ": " + o.JS.Steps[n-1].Message
		}
		return
	}
	for k := range steps {
		so := stepObservation(o, k)
		sr := &r.Steps[k]
		sr.Observed = so
		v, err := judgeStep(sess, it, k, &steps[k], sr.Want, so)
		if err != nil {
			sr.CouldNotRun = err.Error()
			if r.CouldNotRun == "" {
				r.CouldNotRun = fmt.Sprintf("step %d: %v", k+1, err)
			}
			continue
		}
		sr.Browser = &v
	}
}

// stepObservation is the part of a multi-step item's observation that
// belongs to step k: its script result, the engine's words about it (or,
// from an engine that cannot tell steps apart, the item's), and the
// requests the server logged for it.
func stepObservation(o *Observation, k int) *Observation {
	var so Observation
	if k < len(o.Steps) {
		so = o.Steps[k]
	} else {
		so = *o
		so.Steps = nil
	}
	so.JS = o.JS.Steps[k]
	so.Received = nil
	for _, rc := range o.Received {
		if rc.Step == k {
			so.Received = append(so.Received, rc)
		}
	}
	return &so
}

// judgeStep judges step k of an item: an opaque result directly (script
// can read nothing, so there is nothing for an engine to say), else by the
// engine's Judge on the step as a case of its own. The verdict's Sent is
// what the case server logged for the step.
func judgeStep(sess Session, it *item, k int, step *cases.Step, want cases.Result, o *Observation) (Verdict, error) {
	var v Verdict
	js := o.JS
	if js.OK && (js.Type == string(spec.ResponseOpaque) || js.Type == string(spec.ResponseOpaqueRedirect)) {
		pre, hop := logSummary(o.Received)
		v.Outcome, v.Preflight, v.ResponseType, v.Hop = spec.Opaque, &pre, spec.ResponseType(js.Type), hop
		v.Words = "the promise resolved to a response of type " + js.Type
	} else {
		c := &cases.Case{ID: it.c.ID, File: it.c.File, Request: step.Request, Preflight: step.Preflight,
			Redirects: step.Redirects, Response: step.Response, Expect: step.Expect, Browsers: it.c.Browsers}
		var err error
		if v, err = sess.Judge(c, want, o); err != nil {
			return v, err
		}
		if v.Outcome == spec.Allowed {
			switch {
			case it.steps[k].XHR:
				// XMLHttpRequest has no Response.type to read.
				v.ResponseType = want.ResponseType
			default:
				v.ResponseType = spec.ResponseType(js.Type)
			}
			if step.Response.Status == 0 {
				// No server answered (a data: URL): every name script
				// reads is the browser's own response's.
				v.ExposedHeaders = lowerSorted(js.Headers)
			}
		}
	}
	v.Sent = sentOf(o.Received)
	return v, nil
}

// h2Streamer is implemented by drivers whose browser sends request
// streams only over HTTP/2.
type h2Streamer interface{ streamsNeedH2() }

// runStreams runs the stream cases in a second browser whose hosts map to
// the case server's HTTP/2 listener.
func runStreams(ctx context.Context, d Driver, env *Env, srv *server, items []*item, opts Options, results []Result) error {
	port, err := srv.listenH2()
	if err != nil {
		return err
	}
	plan := schedule(items, opts.BatchSize)
	e := *env
	e.Port, e.Parallel = port, plan.pages(opts.Parallel)
	sess, err := d.Start(ctx, &e)
	if err != nil {
		return fmt.Errorf("start the browser for request streams: %w", err)
	}
	defer sess.Close()
	fmt.Fprintf(env.Log, "%s: %d cases with request streams over HTTP/2, case server 127.0.0.1:%d\n", d.Name(), len(items), port)
	return runBatches(ctx, sess, srv, plan, opts.Parallel, results)
}

// lanes are a session's batches by how they may run. Cases whose steps
// wait (for preflight-cache entries to expire) run on one more worker
// beside the others, so their waits do not add up with the rest of the
// run; they fetch only tokened URLs. Items whose URLs carry no token
// cannot be told apart from another item fetching the same URL: their
// batches run one at a time after the others.
type lanes struct {
	waiting, tokened, loose [][]*item
}

// schedule sorts items into lanes, each cut into batches of at most size.
func schedule(items []*item, size int) lanes {
	var waiting, tokened, loose []*item
	for _, it := range items {
		switch {
		case it.token == "":
			loose = append(loose, it)
		case it.waits() > 0:
			waiting = append(waiting, it)
		default:
			tokened = append(tokened, it)
		}
	}
	return lanes{waiting: batches(waiting, size), tokened: batches(tokened, size), loose: batches(loose, size)}
}

// pages is how many batches run at once with parallel workers: one more
// when some wait.
func (l lanes) pages(parallel int) int {
	if len(l.waiting) > 0 {
		return parallel + 1
	}
	return parallel
}

// runBatches runs plan's batches in sess: the tokened ones parallel at a
// time, in order, the waiting ones beside them on one more worker, the
// loose ones one at a time after the tokened ones (the waiting ones may
// still be sleeping). It stores each item's verdict in results. It returns
// an error only when the browser failed (or ctx ended).
func runBatches(ctx context.Context, sess Session, srv *server, plan lanes, parallel int, results []Result) error {
	var mu sync.Mutex
	var fatal error
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fatal != nil || ctx.Err() != nil
	}
	runBatch := func(batch []*item) {
		err := runOne(ctx, sess, srv, batch, results)
		if err != nil {
			mu.Lock()
			if fatal == nil {
				fatal = err
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	if len(plan.waiting) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, j := range plan.waiting {
				if failed() {
					return
				}
				runBatch(j)
			}
		}()
	}
	queue := make(chan []*item)
	var workers sync.WaitGroup
	for range parallel {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for job := range queue {
				runBatch(job)
			}
		}()
	}
	for _, j := range plan.tokened {
		if failed() {
			break
		}
		queue <- j
	}
	close(queue)
	workers.Wait()
	for _, j := range plan.loose {
		if failed() {
			break
		}
		runBatch(j)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return fatal
}

// runOne runs one batch and judges its items. It returns an error only
// when the browser failed; a batch whose page could not be set up marks
// its cases as not run.
func runOne(ctx context.Context, sess Session, srv *server, batch []*item, results []Result) error {
	obs, err := sess.Run(ctx, batch)
	var be *batchError
	if errors.As(err, &be) {
		for _, it := range batch {
			results[it.index].CouldNotRun = be.msg
		}
		return nil
	}
	if err != nil {
		return err
	}
	for i, it := range batch {
		o := &obs[i]
		if it.token != "" {
			o.Received = srv.received(it.token)
		}
		r := &results[it.index]
		r.Observed = o
		judgeItem(sess, it, o, r)
	}
	return nil
}

// baseResult fills what does not need a browser: the expectations and the
// model's verdicts and traces, per step for a steps case.
func baseResult(c *cases.Case) Result {
	r := Result{ID: c.Name(), File: c.File}
	vs, traces := c.Model()
	for k, st := range c.Exchanges() {
		sr := StepResult{Expect: st.Expect.Result(), Model: cases.ResultOf(vs[k], traces[k])}
		sr.ModelDiff = cases.Diff(sr.Expect, sr.Model)
		r.Steps = append(r.Steps, sr)
	}
	if c.IsSequence() {
		r.ModelDiff = stepDiffs(r.Steps, func(sr *StepResult) string { return sr.ModelDiff })
	} else {
		r.StepResult, r.Steps = r.Steps[0], nil
	}
	r.ModelAgrees = r.ModelDiff == ""
	return r
}

// finish compares the browser's verdicts with what the table says the
// engine does.
func finish(r *Result) {
	switch {
	case r.Steps == nil && r.Browser == nil:
		if r.CouldNotRun == "" {
			r.CouldNotRun = "not run"
		}
		return
	case r.Steps == nil:
		r.compareBrowser()
	case r.CouldNotRun != "":
		return
	default:
		for k := range r.Steps {
			sr := &r.Steps[k]
			sr.compareBrowser()
			for _, f := range sr.DiffFields {
				r.DiffFields = append(r.DiffFields, fmt.Sprintf("steps[%d].%s", k, f))
			}
		}
		r.BrowserDiff = stepDiffs(r.Steps, func(sr *StepResult) string { return sr.BrowserDiff })
	}
	r.BrowserAgrees = r.BrowserDiff == ""
}

// stepDiffs joins one diff of each step that has one, each after a
// "step N:" line.
func stepDiffs(steps []StepResult, diff func(*StepResult) string) string {
	var b strings.Builder
	for k := range steps {
		if d := diff(&steps[k]); d != "" {
			fmt.Fprintf(&b, "step %d:\n%s", k+1, d)
		}
	}
	return b.String()
}

// compareBrowser diffs the engine's verdict against what the table wants
// of it. A blocked verdict without a reason — the engine named no rule the
// model has, or used words that cover several (WebKit) — is not compared
// on the reason.
func (sr *StepResult) compareBrowser() {
	want, got := sr.Want, sr.Browser.Result
	if got.Outcome == spec.Blocked && got.Reason == "" {
		want.Reason = ""
	}
	sr.BrowserDiff, sr.DiffFields = cases.Diff(want, got), cases.DiffFields(want, got)
}
