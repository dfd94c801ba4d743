package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

	report := &Report{}
	for ei, d := range engines {
		run, err := verifyEngine(ctx, d, cs, base, fmt.Sprintf("%s%d", nonce, ei), srv, cert, opts, logw)
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
func verifyEngine(ctx context.Context, d Driver, cs []cases.Case, base []Result, nonce string, srv *server, cert *certificate, opts Options, logw io.Writer) (*Run, error) {
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
	sess, err := d.Start(ctx, &Env{Port: srv.port(), Cert: cert, Authorities: certAuthorities(cs), Parallel: opts.Parallel, Log: logw})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	run := &Run{Engine: d.Name(), Product: sess.Product(), Version: sess.Version().String()}
	version := sess.Version()
	for i := range results {
		results[i].Want, results[i].Record = cs[i].Want(d.Name(), version)
	}
	fmt.Fprintf(logw, "%s: %s, %d cases (%d runnable), case server 127.0.0.1:%d\n", d.Name(), run.Product, len(cs), len(items), srv.port())

	// Items whose URL carries no token cannot be told apart from another
	// item fetching the same URL: they run last, one batch at a time, in
	// batches without a repeated URL.
	var tokened, loose []*item
	for _, it := range items {
		if it.token != "" {
			tokened = append(tokened, it)
		} else {
			loose = append(loose, it)
		}
	}
	runBatch := func(batch []*item) error {
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
			v, err := sess.Judge(it.c, r.Want, o)
			if err != nil {
				r.CouldNotRun = err.Error()
				continue
			}
			v.Sent = sentOf(o.Received)
			r.Browser = &v
		}
		return nil
	}
	queue := make(chan []*item)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var fatal error
	for range opts.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range queue {
				if err := runBatch(job); err != nil {
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
	for _, j := range batches(tokened, opts.BatchSize) {
		mu.Lock()
		f := fatal
		mu.Unlock()
		if f != nil {
			break
		}
		select {
		case queue <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	for _, job := range batches(loose, opts.BatchSize) {
		if fatal != nil || ctx.Err() != nil {
			break
		}
		fatal = runBatch(job)
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

// baseResult fills what does not need a browser: the expectations and the
// model's verdict and trace.
func baseResult(c *cases.Case) Result {
	r := Result{ID: c.Name(), File: c.File}
	r.Expect, _ = c.Want("", nil)
	v, trace := spec.Explain(c.Exchange())
	r.Model = cases.ResultOf(v, trace)
	r.ModelDiff = cases.Diff(r.Expect, r.Model)
	r.ModelAgrees = r.ModelDiff == ""
	return r
}

// finish compares the browser's verdict with what the table says the
// engine does.
func finish(r *Result) {
	if r.Browser == nil {
		if r.CouldNotRun == "" {
			r.CouldNotRun = "not run"
		}
		return
	}
	want := r.Want
	if r.Browser.Outcome == spec.Blocked && r.Browser.Reason == "" {
		// The engine named no reason the model has, or words that cover
		// several (WebKit): the reason is not compared.
		want.Reason = ""
	}
	r.BrowserDiff = cases.Diff(want, r.Browser.Result)
	r.DiffFields = cases.DiffFields(want, r.Browser.Result)
	r.BrowserAgrees = r.BrowserDiff == ""
}
