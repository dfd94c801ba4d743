// Package matrix runs crosscheck's conformance matrix: every CORS
// implementation in package targets, configured with every policy of
// internal/targets/policies, certified with runner.Certify on loopback,
// plus the regression corpus of releases with published CORS flaws. It
// renders docs/conformance.md and the per-implementation write-ups in
// docs/findings/, deterministically (no ports, dates or timings), so that
// a test can regenerate them and fail when the committed copies are stale.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/internal/targets"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// Policies are the policy files of the matrix, in column order: the names
// of internal/targets/policies/NAME.json.
var Policies = []string{"strict", "several-origins", "subdomains", "public"}

// Options configure a run.
type Options struct {
	// Root is the crosscheck repository root.
	Root string
	// BinDir holds the built Go targets, kept between runs
	// (targets.DefaultBinDir; see targets.Prepare).
	BinDir string
	// Parallel is how many targets run at once (default 4).
	Parallel int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// Cell is one implementation certified against one policy.
type Cell struct {
	Impl   targets.Impl
	Policy string // the policy's name
	// NA is why the implementation cannot serve the policy; empty when it
	// ran.
	NA     string
	Report *runner.Report // nil when NA
	// Extra holds the answers to the policy's extra probes (current
	// releases only; see extraProbes).
	Extra []ExtraResult
}

// CorpusResult is one regression-corpus entry and what crosscheck found.
type CorpusResult struct {
	Entry CorpusEntry
	// Vulnerable and Fixed are the cells of the flawed release and of the
	// current release under the same configuration.
	Vulnerable, Fixed Cell
}

// Result is a whole matrix run.
type Result struct {
	Cells  []Cell // Impls × Policies, in that order
	Corpus []CorpusResult
}

// Cell returns the cell of impl and policy.
func (r *Result) Cell(impl, policy string) (Cell, bool) {
	for _, c := range r.Cells {
		if c.Impl.Name == impl && c.Policy == policy {
			return c, true
		}
	}
	return Cell{}, false
}

// job is one target to start and certify.
type job struct {
	impl          targets.Impl
	policy        string
	configOrigins []string
	out           *Cell
}

// Run builds and starts every target, certifies each against its policy
// and returns the results. Any target that fails to start (other than
// n/a) or that the runner cannot certify fails the run: the matrix must
// not silently lose a row.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	impls, vulns := targets.Impls(), targets.VulnImpls()
	start := time.Now()
	env, err := targets.Prepare(ctx, opts.Root, opts.BinDir, append(slices.Clone(impls), vulns...))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "matrix: targets ready in %v\n", time.Since(start).Round(time.Millisecond))

	res := &Result{Cells: make([]Cell, 0, len(impls)*len(Policies))}
	for _, im := range impls {
		for _, p := range Policies {
			res.Cells = append(res.Cells, Cell{Impl: im, Policy: p})
		}
	}
	var jobs []job
	for i := range res.Cells {
		c := &res.Cells[i]
		jobs = append(jobs, job{impl: c.Impl, policy: c.Policy, out: c})
	}
	entries := Corpus()
	res.Corpus = make([]CorpusResult, len(entries))
	for i, e := range entries {
		vuln, ok := targets.Find(e.Vulnerable)
		fixed, ok2 := targets.Find(e.Fixed)
		if !ok || !ok2 {
			return nil, fmt.Errorf("corpus entry %s: unknown implementation", e.Vulnerable)
		}
		cr := &res.Corpus[i]
		cr.Entry = e
		cr.Vulnerable = Cell{Impl: vuln, Policy: e.Policy}
		cr.Fixed = Cell{Impl: fixed, Policy: e.Policy}
		jobs = append(jobs,
			job{impl: vuln, policy: e.Policy, configOrigins: e.ConfigOrigins, out: &cr.Vulnerable},
			job{impl: fixed, policy: e.Policy, configOrigins: e.ConfigOrigins, out: &cr.Fixed})
	}

	policies := map[string]runner.Policy{}
	for _, p := range Policies {
		pol, err := runner.LoadPolicy(env.PolicyPath(p))
		if err != nil {
			return nil, err
		}
		policies[p] = pol
	}

	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, opts.Parallel)
	)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := certify(ctx, env, j, policies[j.policy])
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			fmt.Fprintf(logw, "matrix: %-24s %-16s %s\n", j.impl.Name, j.policy, summary(*j.out))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "matrix: %d targets certified in %v\n", len(jobs), time.Since(start).Round(time.Millisecond))
	return res, nil
}

func certify(ctx context.Context, env *targets.Env, j job, p runner.Policy) error {
	t, err := env.Start(ctx, j.impl, env.PolicyPath(j.policy), j.configOrigins)
	var na *targets.NAError
	if errors.As(err, &na) {
		j.out.NA = na.Why
		return nil
	}
	if err != nil {
		return err
	}
	defer t.Stop()
	rep, err := runner.Certify(ctx, t.URL+"/items", p, runner.Options{Timeout: 10 * time.Second, Concurrency: 4})
	if err != nil {
		return fmt.Errorf("certifying %s with policy %s: %w", j.impl.Name, j.policy, err)
	}
	j.out.Report = rep
	if len(j.configOrigins) == 0 {
		j.out.Extra = runExtra(ctx, t.URL+"/items", j.policy)
	}
	return nil
}

func summary(c Cell) string {
	if c.NA != "" {
		return "n/a"
	}
	if len(c.Report.Findings) == 0 {
		return "clean"
	}
	return fmt.Sprint(c.Report.Codes())
}
