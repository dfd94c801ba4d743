package browser

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// chromeName is Chrome's engine name in case records.
const chromeName = "chrome"

func init() { register(chromeDriver{}) }

// chromeDriver runs cases in headless Chromium through chromedp. exec is
// the binary; "" means FindChromium.
type chromeDriver struct{ exec string }

func (chromeDriver) Name() string { return chromeName }

// streamsNeedH2: Chrome sends a ReadableStream body only over HTTP/2.
func (chromeDriver) streamsNeedH2() {}

func (d chromeDriver) Find() error {
	_, err := d.path()
	return err
}

func (d chromeDriver) path() (string, error) {
	if d.exec != "" {
		return d.exec, nil
	}
	return FindChromium()
}

func (d chromeDriver) Start(ctx context.Context, env *Env) (Session, error) {
	exe, err := d.path()
	if err != nil {
		return nil, err
	}
	rec := newRecorder()
	ch, err := startChrome(ctx, chromeConfig{execPath: exe, port: env.Port, spki: env.Cert.spki, listen: rec.handler()})
	if err != nil {
		return nil, err
	}
	s := &chromeSession{ch: ch, rec: rec, log: env.Log}
	v, err := chromedp.CallBrowser(ch.ctx, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		ch.close()
		return nil, fmt.Errorf("read Chrome's version: %w%s", err, ch.output())
	}
	s.product = v.Product
	// "Chrome/156.0.8078.114" (or "HeadlessChrome/…"): the version follows
	// the last slash.
	ver := v.Product[strings.LastIndexByte(v.Product, '/')+1:]
	if s.version, err = cases.ParseVersion(ver); err != nil {
		ch.close()
		return nil, fmt.Errorf("the version of %q: %w", v.Product, err)
	}
	s.tabs = make(chan *chromeTab, max(env.Parallel, 1))
	s.tabs <- &chromeTab{ctx: ch.ctx, cancel: func() {}}
	for range max(env.Parallel, 1) - 1 {
		tctx, cancel := chromedp.NewContext(ch.ctx, chromedp.WithListener(rec.handler()))
		s.tabs <- &chromeTab{ctx: tctx, cancel: cancel}
	}
	return s, nil
}

// chromeSession is a running Chromium with a pool of tabs.
type chromeSession struct {
	ch      *chrome
	rec     *recorder
	log     io.Writer
	product string
	version cases.Version
	tabs    chan *chromeTab
	once    sync.Once
}

// chromeTab is one tab: batches run in it one at a time.
type chromeTab struct {
	ctx    context.Context
	cancel context.CancelFunc
	page   pageKey
	logOn  bool
}

func (s *chromeSession) Product() string        { return s.product }
func (s *chromeSession) Version() cases.Version { return s.version }

func (s *chromeSession) Close() {
	s.once.Do(func() {
		for range cap(s.tabs) {
			select {
			case t := <-s.tabs:
				t.cancel()
			default:
			}
		}
		s.ch.close()
	})
}

func (s *chromeSession) Judge(c *cases.Case, want cases.Result, o *Observation) (Verdict, error) {
	return judgeChrome(c, want, o)
}

// Run runs one batch in a free tab.
func (s *chromeSession) Run(ctx context.Context, batch []*item) ([]Observation, error) {
	var t *chromeTab
	select {
	case t = <-s.tabs:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { s.tabs <- t }()
	obs, err := s.run(t, batch)
	if err != nil {
		return nil, fmt.Errorf("%w%s", err, s.ch.output())
	}
	return obs, nil
}

func (s *chromeSession) run(t *chromeTab, batch []*item) ([]Observation, error) {
	if t.ctx.Err() != nil {
		return nil, fmt.Errorf("the browser is gone: %w", context.Cause(t.ctx))
	}
	if !t.logOn {
		if _, err := chromedp.Call(t.ctx, cdplog.Enable, cdp.Empty{}); err != nil {
			return nil, fmt.Errorf("enable the Log domain: %w", err)
		}
		t.logOn = true
	}
	for _, it := range batch {
		s.rec.track(it.key) // a fresh log: another batch may have fetched the same URL
	}
	p := batch[0].page
	if t.page != p {
		t.page = pageKey{}
		if err := chromedp.Do(t.ctx, chromedp.Navigate(p.url)); err != nil {
			return nil, fmt.Errorf("navigate to %s: %w", p.url, err)
		}
		got, err := chromedp.Run(t.ctx, chromedp.Evaluate[string](`self.origin`))
		if err != nil {
			return nil, fmt.Errorf("read the origin of %s: %w", p.url, err)
		}
		if got != p.origin {
			return nil, &batchError{fmt.Sprintf("the page %s has origin %q, not %q", p.url, got, p.origin)}
		}
		t.page = p
		fmt.Fprintf(s.log, "chrome: page %s ready\n", p.url)
	}
	expr, err := batchScript(batch)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(t.ctx, batchDeadline(batch))
	defer cancel()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[[]JSResult](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("run a batch of %d fetches: %w", len(batch), err)
	}
	if len(js) != len(batch) {
		return nil, fmt.Errorf("a batch of %d fetches returned %d results", len(batch), len(js))
	}
	t1 := time.Now()
	keys := make([]string, len(batch))
	for i, it := range batch {
		keys[i] = it.key
	}
	s.rec.wait(keys, time.Now().Add(eventWait))
	fmt.Fprintf(s.log, "chrome: batch of %d from %s: fetches %s, events %s\n", len(batch), p.origin, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
	out := make([]Observation, len(batch))
	for i, it := range batch {
		logs := s.rec.stepLogs(it.key, len(it.steps))
		if len(it.steps) == 1 {
			out[i] = chromeObservation(js[i], logs[0])
			continue
		}
		// A multi-step item: the item's observation holds the script's
		// result; its Steps each step's, with that step's DevTools log.
		out[i].JS = js[i]
		for k := range it.steps {
			var sj JSResult
			if k < len(js[i].Steps) {
				sj = js[i].Steps[k]
			}
			out[i].Steps = append(out[i].Steps, chromeObservation(sj, logs[k]))
		}
	}
	return out, nil
}

// chromeObservation is what script and DevTools reported for one request.
func chromeObservation(js JSResult, n netLog) Observation {
	o := Observation{JS: js, Console: n.console}
	if n.cors != nil {
		o.CorsError, o.FailedParameter = string(n.cors.CorsError), n.cors.FailedParameter
	}
	o.ErrorText, o.BlockedReason, o.PreflightError = n.errorText, n.blockedReason, n.preflightError
	o.DevToolsSent, o.DevToolsPreflt, o.LoadingFailed = n.sent, n.preflight, n.failed
	return o
}
