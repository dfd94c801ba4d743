package runner

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// ProbeResult is one probe: the request a browser would make, what the
// runner sent and received, and spec's verdict.
type ProbeResult struct {
	ID       string    // human-readable, unique within a report
	Kind     ProbeKind // why the probe was sent
	Variant  Variant   // the hostile origin variant, for KindHostileOrigin
	Intended bool      // the policy allows this request
	// Request is the fetch() a script would make (its Credentials is the
	// mode the verdict was judged in).
	Request spec.Request
	// Preflight is the CORS preflight sent, nil when spec says none is
	// needed. Actual is the actual request, nil when it was not sent: the
	// preflight failed (a browser stops there) or the probe is
	// preflight-only (unlisted methods and headers are never sent).
	Preflight *HTTPExchange
	Actual    *HTTPExchange
	// PreflightOnly marks probes whose actual request is never sent. Their
	// Verdict is judged against an empty actual response, so a Stage other
	// than preflight means the preflight passed.
	PreflightOnly bool
	// Verdict is spec.Judge over the real responses; zero for KindNoOrigin
	// (not a CORS request) and failed probes.
	Verdict spec.Verdict
	// Credentialed is the verdict with credentials mode "include" for
	// hostile origins: whether they could read credentialed responses too.
	Credentialed *spec.Verdict
	Err          string // why the probe could not be completed
}

// Finding is one way the target breaks its policy or is unsafe.
type Finding struct {
	Code     Code
	Severity Severity // who can exploit it, from this finding's evidence
	// Rationale says in one line why the finding has its severity: who can
	// produce the origin, whether credentialed responses are readable,
	// whether a cache may store the response.
	Rationale string
	Title     string
	Probe     ProbeResult // the probe that showed it
	Reason    spec.Reason // the spec reason where a browser would block, "" otherwise
	Detail    string      // what exactly was seen, for people
}

// Report is the outcome of certifying one target.
type Report struct {
	Target   string
	Policy   Policy
	Probes   []ProbeResult
	Findings []Finding
	// FailOn is the fail threshold: findings at this severity or above
	// fail the certification (see Passed). "" means DefaultFailOn.
	FailOn Severity
}

// failOn returns the threshold in force.
func (r *Report) failOn() Severity {
	if r.FailOn == "" {
		return DefaultFailOn
	}
	return r.FailOn
}

// Failing returns the findings at or above the fail threshold, in report
// order.
func (r *Report) Failing() []Finding {
	var out []Finding
	th := r.failOn()
	for _, f := range r.Findings {
		if f.Severity.AtLeast(th) {
			out = append(out, f)
		}
	}
	return out
}

// Passed reports whether no finding reaches the fail threshold: the target
// passes certification, though findings below the threshold may be
// reported.
func (r *Report) Passed() bool { return len(r.Failing()) == 0 }

// Worst returns the highest severity among the findings, "" when there are
// none.
func (r *Report) Worst() Severity {
	var w Severity
	for _, f := range r.Findings {
		if w == "" || !w.AtLeast(f.Severity) {
			w = f.Severity
		}
	}
	return w
}

// Codes returns the sorted, de-duplicated finding codes.
func (r *Report) Codes() []Code {
	seen := map[Code]bool{}
	var out []Code
	for _, f := range r.Findings {
		if !seen[f.Code] {
			seen[f.Code] = true
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

// Certify probes target (an absolute http(s) URL; every probe goes to that
// URL) against p and judges every answer with the spec model.
//
// It returns an error only when it could not run: a bad URL or policy, a
// target that does not answer the first probe, a target that fails several
// probes at the transport level (a hostile or broken server), or ctx ending.
// Findings are not errors.
func Certify(ctx context.Context, target string, p Policy, opts Options) (*Report, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if opts.FailOn == "" {
		opts.FailOn = DefaultFailOn
	} else if _, err := ParseSeverity(string(opts.FailOn)); err != nil {
		return nil, fmt.Errorf("fail threshold: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	client := opts.Client
	if client == nil {
		client = NewClient(opts.Timeout, opts.Concurrency)
		defer client.CloseIdleConnections()
	} else {
		c := *client
		c.CheckRedirect = noRedirect
		client = &c
	}
	s := &sender{client: client, timeout: opts.Timeout, extra: opts.Headers, limit: newLimiter(opts.Rate)}
	probes := plan(target, p)
	results := make([]ProbeResult, len(probes))

	// The first probe goes alone: a target that does not answer it is
	// unreachable, and the run stops at once.
	results[0] = run(ctx, s, probes[0])
	if results[0].Err != "" {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("target %s failed the first request: %s", target, results[0].Err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		failures atomic.Int32
		firstErr atomic.Value
		wg       sync.WaitGroup
		next     atomic.Int32
	)
	next.Store(1)
	for range min(opts.Concurrency, len(probes)-1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(probes) || runCtx.Err() != nil {
					return
				}
				results[i] = run(runCtx, s, probes[i])
				// Count transport failures only, not probes a browser would
				// refuse to send.
				if results[i].Err != "" && results[i].Verdict.Stage != spec.StageRequest && runCtx.Err() == nil {
					firstErr.CompareAndSwap(nil, results[i].ID+": "+results[i].Err)
					if failures.Add(1) >= maxFailures {
						cancel()
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n := failures.Load(); n >= maxFailures {
		return nil, fmt.Errorf("target %s broke during the run: %d probes failed, first %s", target, n, firstErr.Load())
	}
	rep := &Report{Target: target, Policy: p, Probes: results, FailOn: opts.FailOn}
	rep.Findings = analyze(p, probes, results)
	return rep, nil
}

// checkTarget accepts absolute http(s) URLs a browser could fetch.
func checkTarget(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("target %q: want an http:// or https:// URL", target)
	case u.Host == "":
		return fmt.Errorf("target %q: no host", target)
	case u.User != nil:
		return fmt.Errorf("target %q: browsers refuse URLs with credentials", target)
	}
	if _, ok := spec.URLOrigin(target); !ok {
		return fmt.Errorf("target %q: not an absolute URL", target)
	}
	return nil
}

// run sends one probe as a browser would and judges it.
func run(ctx context.Context, s *sender, pr probe) ProbeResult {
	res := ProbeResult{
		ID: pr.id, Kind: pr.kind, Variant: pr.variant, Intended: pr.intended,
		Request: pr.req, PreflightOnly: pr.preflightOnly,
	}
	if pr.kind == KindNoOrigin {
		ex := s.send(ctx, pr.req.Method, pr.req.URL, nil)
		res.Actual = &ex
		res.Err = ex.Err
		return res
	}
	if pr.refused.Stage == spec.StageRequest {
		res.Verdict = pr.refused
		res.Err = "a browser would refuse to send this request: " + pr.refused.Reason.Doc()
		return res
	}
	ex := spec.Exchange{Request: pr.req}
	if pr.preflight {
		// The preflight exactly as a browser sends it, from the model.
		sent, _ := spec.Preflight(pr.req)
		h := []spec.Header{{Name: "Origin", Value: sent.Origin}, {Name: "Access-Control-Request-Method", Value: sent.ACRM}}
		if sent.ACRH != "" {
			h = append(h, spec.Header{Name: "Access-Control-Request-Headers", Value: sent.ACRH})
		}
		px := s.send(ctx, "OPTIONS", pr.req.URL, h)
		res.Preflight = &px
		if px.Err != "" {
			res.Err = "preflight: " + px.Err
			return res
		}
		ex.Preflight = &spec.Response{Status: px.Response.Status, Headers: px.Response.Headers}
		// Judge the preflight alone: a browser that fails it never sends
		// the actual request.
		v := spec.Judge(ex)
		if v.Stage == spec.StagePreflight || pr.preflightOnly {
			res.Verdict = v
			res.Credentialed = credentialed(pr, ex, v)
			return res
		}
	} else if pr.preflightOnly {
		// No preflight needed: nothing for this probe to test.
		res.Verdict = spec.Judge(ex)
		return res
	}
	h := make([]spec.Header, 0, len(pr.req.Headers)+1)
	if pr.req.Origin != "" {
		h = append(h, spec.Header{Name: "Origin", Value: pr.req.Origin})
	}
	h = append(h, pr.req.Headers...)
	ax := s.send(ctx, spec.NormalizeMethod(pr.req.Method), pr.req.URL, h)
	res.Actual = &ax
	if ax.Err != "" {
		res.Err = ax.Err
		return res
	}
	ex.Response = spec.Response{Status: ax.Response.Status, Headers: ax.Response.Headers}
	res.Verdict = spec.Judge(ex)
	res.Credentialed = credentialed(pr, ex, res.Verdict)
	return res
}

// credentialed judges a hostile probe's exchange again with credentials
// included: the wire requests are the same (the runner sends no cookies),
// only the browser's checks differ. Only allowed verdicts are re-judged:
// including credentials only adds checks.
func credentialed(pr probe, ex spec.Exchange, v spec.Verdict) *spec.Verdict {
	if pr.kind != KindHostileOrigin || v.Outcome != spec.Allowed {
		return nil
	}
	ex.Request.Credentials = spec.CredentialsInclude
	cv := spec.Judge(ex)
	return &cv
}

// preflightPassed reports whether the browser would go past the preflight
// (or needs none) for a preflight-only probe.
func preflightPassed(r ProbeResult) bool {
	return r.Err == "" && r.Preflight != nil && r.Verdict.Stage != spec.StagePreflight && r.Verdict.Stage != spec.StageRequest
}

// readable reports whether a browser lets script read the response.
func readable(r ProbeResult) bool {
	return r.Err == "" && r.Actual != nil && r.Verdict.Outcome == spec.Allowed
}
