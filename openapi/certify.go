package openapi

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// RouteResult is the outcome of one route: its runner report, or why it
// could not be certified, or why it was skipped (Route.Skip).
type RouteResult struct {
	Route  Route
	Report *runner.Report // nil when skipped or failed
	Err    string         // why the route could not be certified
}

// Status is "pass", "fail", "error" or "skipped".
func (r RouteResult) Status() string {
	switch {
	case r.Route.Skip != "":
		return "skipped"
	case r.Err != "":
		return "error"
	case r.Report != nil && !r.Report.Conforms():
		return "fail"
	}
	return "pass"
}

// Report is the outcome of certifying a document's routes.
type Report struct {
	Document *Document
	Routes   []RouteResult
}

// Count returns how many routes have the status ("pass", "fail", "error",
// "skipped").
func (r *Report) Count(status string) int {
	n := 0
	for _, rr := range r.Routes {
		if rr.Status() == status {
			n++
		}
	}
	return n
}

// Conforms reports whether every route that was probed conforms and none
// failed to run.
func (r *Report) Conforms() bool { return r.Count("fail") == 0 && r.Count("error") == 0 }

// Codes returns the sorted, de-duplicated finding codes of every route.
func (r *Report) Codes() []runner.Code {
	var out []runner.Code
	for _, rr := range r.Routes {
		if rr.Report != nil {
			out = append(out, rr.Report.Codes()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// maxRouteFailures is how many routes in a row may fail to run before the
// rest are not tried: the server is down or refuses the runner.
const maxRouteFailures = 5

// Certify certifies every route that is not skipped, each with
// runner.Certify against its own policy, its probes going to its URL.
//
// # Methods
//
// A route is one operation, so its actual requests use its own method:
// runner.Certify is given the route's policy with AllowMethods narrowed to
// that method (it sends actual requests with every method a policy
// allows). The runner then probes an "unlisted" method from PUT, DELETE and
// PATCH that the narrowed policy leaves out; when the route's full policy
// allows that method after all, the unlisted-method finding is dropped.
// runner.Certify always sends GETs too (the request without Origin, hostile
// origins in the simple shape), so a path whose GET answers with another
// policy than its POST can show the GET's findings on the POST route. The
// runner's missing-vary-origin check compares the simple GETs of an allowed
// and of hostile origins: it is made on a path's GET route.
//
// # Limits
//
// opts apply to the whole run: at most opts.Concurrency requests are in
// flight across all routes (routes run side by side, each with its share),
// at most opts.Rate requests per second are sent in total (each concurrent
// route gets its share, and waits its share's interval before its first
// request), and opts.Timeout bounds each request. One bounded HTTP client
// (the runner's limits) is shared by all routes, so connections are reused.
//
// A route that cannot be certified (the server fails it) is reported with
// its error; after maxRouteFailures such routes in a row, the routes not yet
// run are reported as not run. Certify returns an error only when ctx ends.
func Certify(ctx context.Context, doc *Document, routes []Route, opts runner.Options) (*Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = runner.DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = runner.DefaultConcurrency
	}
	rep := &Report{Document: doc, Routes: make([]RouteResult, len(routes))}
	var todo []int
	for i, r := range routes {
		rep.Routes[i].Route = r
		if r.Skip == "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return rep, nil
	}
	workers := min(opts.Concurrency, len(todo))
	each := opts
	each.Concurrency = max(1, opts.Concurrency/workers)
	each.Rate = opts.Rate / float64(workers)
	if opts.Client == nil {
		c := runner.NewClient(opts.Timeout, opts.Concurrency)
		defer c.CloseIdleConnections()
		each.Client = c
	}

	var (
		mu      sync.Mutex
		next    int
		inARow  int
		stopped bool
		wg      sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || next >= len(todo) || ctx.Err() != nil {
			return 0, false
		}
		next++
		return todo[next-1], true
	}
	for range workers {
		wg.Go(func() {
			first := true
			for {
				i, ok := take()
				if !ok {
					return
				}
				// The runner's limiter lets a new run's first request go at
				// once: keep this worker's share of the rate across routes.
				if each.Rate > 0 && !first {
					if !sleep(ctx, time.Duration(float64(time.Second)/each.Rate)) {
						return
					}
				}
				first = false
				res := certifyRoute(ctx, routes[i], each)
				mu.Lock()
				rep.Routes[i] = res
				if res.Err != "" && ctx.Err() == nil {
					inARow++
					stopped = stopped || inARow >= maxRouteFailures
				} else {
					inARow = 0
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, i := range todo {
		if rr := &rep.Routes[i]; rr.Report == nil && rr.Err == "" {
			rr.Err = fmt.Sprintf("not run: %d routes in a row could not be certified before it", maxRouteFailures)
		}
	}
	return rep, nil
}

// certifyRoute certifies one route (see Certify on methods).
func certifyRoute(ctx context.Context, r Route, opts runner.Options) RouteResult {
	res := RouteResult{Route: r}
	p := r.Policy
	p.AllowMethods = []string{r.Method}
	rep, err := runner.Certify(ctx, r.URL, p, opts)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	kept := rep.Findings[:0]
	for _, f := range rep.Findings {
		if f.Code == runner.UnlistedMethodAllowed && allowsMethod(r.Policy, f.Probe.Request.Method) {
			continue
		}
		kept = append(kept, f)
	}
	rep.Findings = kept
	rep.Policy = r.Policy
	res.Report = rep
	return res
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Shard returns the routes of shard k of n (1 ≤ k ≤ n): every n-th route
// starting with the k-th, so that n CI jobs certify a document together,
// each route once.
func Shard(routes []Route, k, n int) []Route {
	var out []Route
	for i, r := range routes {
		if i%n == k-1 {
			out = append(out, r)
		}
	}
	return out
}
