package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// Options configure a verification run.
type Options struct {
	// Chromium is the browser binary; "" means FindChromium.
	Chromium string
	// Parallel is the number of tabs that run batches at the same time;
	// 0 means 1 (the fetches of a batch already run concurrently; on two
	// cores a second tab mostly adds a renderer process).
	Parallel int
	// BatchSize is the number of fetches in one Promise.all; 0 means 128.
	BatchSize int
	// Log receives progress diagnostics; nil discards them.
	Log io.Writer
}

// Timeouts of one run.
const (
	fetchTimeout = 10 * time.Second // per fetch(), through AbortSignal.timeout
	batchTimeout = 30 * time.Second // per Promise.all
	eventWait    = 3 * time.Second  // for loadingFailed after the promises settle
)

// Result is one case as Chrome ran it, next to the table and the model.
type Result struct {
	ID   string `json:"id"`
	File string `json:"file,omitempty"`
	// Expect is the case's expect: what the Fetch Standard requires.
	Expect cases.Result `json:"expect"`
	// ChromeWant is what the table says Chrome does: browsers.chrome over
	// expect when the case records a divergence, else expect.
	ChromeWant cases.Result `json:"chromeWant"`
	// Divergence reports that the case records a Chrome divergence.
	Divergence bool `json:"divergence,omitempty"`
	// Model is spec.Judge's verdict.
	Model cases.Result `json:"model"`
	// Chrome is Chrome's verdict; nil when the case could not run.
	Chrome *ChromeVerdict `json:"chrome,omitempty"`
	// CouldNotRun says why Chrome gave no CORS verdict for the case.
	CouldNotRun string `json:"couldNotRun,omitempty"`
	// ChromeDiff and ModelDiff are cmp.Diff (-want +got) of Chrome against
	// ChromeWant and of the model against Expect; empty when they agree.
	ChromeDiff   string `json:"chromeDiff,omitempty"`
	ModelDiff    string `json:"modelDiff,omitempty"`
	ChromeAgrees bool   `json:"chromeAgrees"`
	ModelAgrees  bool   `json:"modelAgrees"`
	// Observed is the raw evidence: script result, DevTools, server log.
	Observed *Observation `json:"observed,omitempty"`
	// ModelSent is what the model says the server should receive.
	ModelSent []spec.SentRequest `json:"modelSent,omitempty"`
}

// Report is the result of a run.
type Report struct {
	Chrome  string        `json:"chrome"` // product and version
	Elapsed time.Duration `json:"elapsedNs"`
	Results []Result      `json:"results"`
	// Strays are requests the case server could not attribute to a case.
	Strays []Received `json:"strays,omitempty"`
}

// Counts summarizes a report.
func (r *Report) Counts() (agree, disagree, couldNotRun int) {
	for _, x := range r.Results {
		switch {
		case x.CouldNotRun != "" && x.ModelAgrees:
			couldNotRun++
		case x.ChromeAgrees && x.ModelAgrees:
			agree++
		default:
			disagree++
		}
	}
	return
}

// Verify replays every case in one headless Chromium and compares Chrome's
// verdicts with the table and the model. It returns an error only when the
// run as a whole could not happen (no Chromium, Chrome failed to start or
// died, ctx canceled); a case Chrome gives no CORS verdict for is reported
// in its Result.CouldNotRun. The browser and its temporary directory are
// gone when Verify returns.
func Verify(ctx context.Context, cs []cases.Case, opts Options) (*Report, error) {
	start := time.Now()
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 1
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 128
	}
	if opts.Chromium == "" {
		p, err := FindChromium()
		if err != nil {
			return nil, err
		}
		opts.Chromium = p
	}

	var nb [6]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	nonce := hex.EncodeToString(nb[:])

	results := make([]Result, len(cs))
	var items []*item
	for i := range cs {
		c := &cs[i]
		results[i] = baseResult(c)
		it, err := prepare(c, i, nonce)
		if err != nil {
			results[i].CouldNotRun = err.Error()
			continue
		}
		items = append(items, it)
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
	rec := newRecorder()
	for _, it := range items {
		if it.token != "" {
			srv.add(&caseRun{c: it.c, token: it.token})
		}
		rec.track(it.key)
	}

	ch, err := startChrome(ctx, chromeConfig{execPath: opts.Chromium, port: srv.port(), spki: cert.spki, listen: rec.handler()})
	if err != nil {
		return nil, err
	}
	defer ch.close()
	report := &Report{}
	if v, err := chromedp.CallBrowser(ch.ctx, cdpbrowser.GetVersion, cdp.Empty{}); err == nil {
		report.Chrome = v.Product
	}
	fmt.Fprintf(logw, "browser: %s, %d cases (%d runnable), case server 127.0.0.1:%d\n", report.Chrome, len(cs), len(items), srv.port())

	// Items whose URL carries no token share recorder keys with any other
	// item fetching the same URL: they run last, in one tab, in batches
	// without a repeated URL.
	var tokened, loose []*item
	for _, it := range items {
		if it.token != "" {
			tokened = append(tokened, it)
		} else {
			loose = append(loose, it)
		}
	}
	jobs := batches(tokened, opts.BatchSize)
	queue := make(chan []*item)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fatal error
	runners := make([]*tabRunner, max(1, min(opts.Parallel, len(jobs))))
	for w := range runners {
		tab, cancel := ch.ctx, context.CancelFunc(func() {})
		if w > 0 {
			tab, cancel = chromedp.NewContext(ch.ctx, chromedp.WithListener(rec.handler()))
		}
		defer cancel()
		runners[w] = &tabRunner{ctx: tab, srv: srv, rec: rec, log: logw}
	}
	for _, t := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range queue {
				if err := t.run(job, results); err != nil {
					mu.Lock()
					if fatal == nil {
						fatal = err
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			break feed
		}
		mu.Lock()
		f := fatal
		mu.Unlock()
		if f != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
	for _, job := range batches(loose, opts.BatchSize) {
		if fatal != nil || ctx.Err() != nil {
			break
		}
		for _, it := range job {
			rec.track(it.key) // a fresh log: another batch may have fetched the same URL
		}
		fatal = runners[0].run(job, results)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("browser run interrupted: %w", err)
	}
	if fatal != nil {
		return nil, fmt.Errorf("%w%s", fatal, ch.output())
	}
	for i := range results {
		finish(&results[i])
	}
	report.Results = results
	report.Strays = srv.strays()
	report.Elapsed = time.Since(start)
	return report, nil
}

// baseResult fills what does not need Chrome: the expectations and the
// model's verdict.
func baseResult(c *cases.Case) Result {
	r := Result{ID: c.Name(), File: c.File, Expect: c.Want(""), ChromeWant: c.Want("chrome")}
	r.Divergence = c.Browsers != nil && c.Browsers.Chrome != nil
	v, trace := spec.Explain(c.Exchange())
	r.Model = cases.ResultOf(v)
	r.ModelSent = trace.Sent
	r.ModelDiff = cases.Diff(r.Expect, r.Model)
	r.ModelAgrees = r.ModelDiff == ""
	return r
}

// finish compares Chrome's verdict with what the table says Chrome does.
func finish(r *Result) {
	if r.Chrome == nil {
		if r.CouldNotRun == "" {
			r.CouldNotRun = "not run"
		}
		return
	}
	r.ChromeDiff = cases.Diff(r.ChromeWant, r.Chrome.Result)
	r.ChromeAgrees = r.ChromeDiff == ""
}

// tabRunner runs batches in one tab.
type tabRunner struct {
	ctx   context.Context
	srv   *server
	rec   *recorder
	page  pageKey
	logOn bool
	log   io.Writer
}

// errBrowserGone marks errors after which no further batch can run.
var errBrowserGone = errors.New("the browser is gone")

// run runs one batch and stores each item's outcome in results. It returns
// an error only when the browser or the tab failed.
func (t *tabRunner) run(batch []*item, results []Result) error {
	if t.ctx.Err() != nil {
		return fmt.Errorf("%w: %w", errBrowserGone, context.Cause(t.ctx))
	}
	if !t.logOn {
		if _, err := chromedp.Call(t.ctx, cdplog.Enable, cdp.Empty{}); err != nil {
			return fmt.Errorf("enable the Log domain: %w", err)
		}
		t.logOn = true
	}
	p := batch[0].page
	if t.page != p {
		t.page = pageKey{}
		if err := chromedp.Do(t.ctx, chromedp.Navigate(p.url)); err != nil {
			return fmt.Errorf("navigate to %s: %w", p.url, err)
		}
		got, err := chromedp.Run(t.ctx, chromedp.Evaluate[string](`self.origin`))
		if err != nil {
			return fmt.Errorf("read the origin of %s: %w", p.url, err)
		}
		if got != p.origin {
			for _, it := range batch {
				results[it.index].CouldNotRun = fmt.Sprintf("the page %s has origin %q, not %q", p.url, got, p.origin)
			}
			return nil
		}
		t.page = p
		fmt.Fprintf(t.log, "page %s ready\n", p.url)
	}
	t0 := time.Now()
	js, err := t.fetchAll(batch)
	if err != nil {
		return err
	}
	t1 := time.Now()
	keys := make([]string, len(batch))
	for i, it := range batch {
		keys[i] = it.key
	}
	t.rec.wait(keys, time.Now().Add(eventWait))
	fmt.Fprintf(t.log, "batch of %d from %s: fetches %s, events %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	for i, it := range batch {
		o := &Observation{JS: js[i]}
		n := t.rec.get(it.key)
		if n.cors != nil {
			o.CorsError, o.FailedParameter = string(n.cors.CorsError), n.cors.FailedParameter
		}
		o.ErrorText, o.BlockedReason, o.PreflightError = n.errorText, n.blockedReason, n.preflightError
		o.DevToolsSent, o.DevToolsPreflt, o.LoadingFailed = n.sent, n.preflight, n.failed
		o.Console = n.console
		if it.token != "" {
			o.Received = t.srv.received(it.token)
		}
		r := &results[it.index]
		r.Observed = o
		v, err := judgeChrome(it.c, o)
		if err != nil {
			r.CouldNotRun = err.Error()
			continue
		}
		r.Chrome = &v
	}
	return nil
}

// fetchScript runs every fetch of a batch at once and reports, for each,
// what script can see.
const fetchScript = `(async (items, timeout) => Promise.all(items.map(async (it) => {
  try {
    const r = await fetch(it.url, Object.assign({}, it.init, {signal: AbortSignal.timeout(timeout)}));
    const headers = [...r.headers.keys()];
    try { await r.arrayBuffer(); } catch (e) {}
    return {ok: true, status: r.status, type: r.type, redirected: r.redirected, headers};
  } catch (e) {
    return {ok: false, name: String(e && e.name), message: String(e && e.message)};
  }
})))(%s, %d)`

type fetchItem struct {
	URL  string         `json:"url"`
	Init map[string]any `json:"init"`
}

func (t *tabRunner) fetchAll(batch []*item) ([]JSResult, error) {
	list := make([]fetchItem, len(batch))
	for i, it := range batch {
		list[i] = fetchItem{URL: it.url, Init: it.init}
	}
	arg, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	ctx, cancel := context.WithTimeout(t.ctx, batchTimeout)
	defer cancel()
	expr := fmt.Sprintf(fetchScript, arg, fetchTimeout.Milliseconds())
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]JSResult](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run a batch of %d fetches: %w", len(batch), err)
	}
	if len(res) != len(batch) {
		return nil, fmt.Errorf("a batch of %d fetches returned %d results", len(batch), len(res))
	}
	return res, nil
}
