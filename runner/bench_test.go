package runner_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// BenchmarkCertify compares certifying the correct demo target with a bare
// net/http loop that sends exactly the same requests over the same client:
// the difference is the runner's own cost (planning, judging with spec,
// analysis). Compare type=runner with type=bare at the same conc:
//
//	go test -run '^$' -bench 'Certify' -benchtime 200x -count 5 ./runner/
func BenchmarkCertify(b *testing.B) {
	srv := httptest.NewServer(demo.Handler(config(credPolicy, 0)))
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()

	// The requests one certification sends, in order.
	rep, err := runner.Certify(ctx, srv.URL, credPolicy, runner.Options{Client: client})
	if err != nil {
		b.Fatal(err)
	}
	var reqs []runner.HTTPRequest
	for _, p := range rep.Probes {
		for _, x := range []*runner.HTTPExchange{p.Preflight, p.Actual} {
			if x != nil {
				reqs = append(reqs, x.Request)
			}
		}
	}
	probes := float64(len(rep.Probes))

	for _, conc := range []int{1, 4} {
		name := "/conc=" + strconv.Itoa(conc)
		b.Run("type=runner"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := runner.Certify(ctx, srv.URL, credPolicy, runner.Options{Client: client, Concurrency: conc}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(probes*float64(b.N)/b.Elapsed().Seconds(), "probes/s")
		})
		b.Run("type=bare"+name, func(b *testing.B) {
			for b.Loop() {
				bareLoop(b, client, reqs, conc)
			}
			b.ReportMetric(probes*float64(b.N)/b.Elapsed().Seconds(), "probes/s")
		})
	}
	// Both in one loop, alternating, so that machine noise hits both
	// alike; reports the wall-time ratio runner/bare.
	for _, conc := range []int{1, 4} {
		b.Run("type=ratio/conc="+strconv.Itoa(conc), func(b *testing.B) {
			var runnerTime, bareTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := runner.Certify(ctx, srv.URL, credPolicy, runner.Options{Client: client, Concurrency: conc}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				bareLoop(b, client, reqs, conc)
				runnerTime += t1.Sub(t0)
				bareTime += time.Since(t1)
			}
			b.ReportMetric(float64(runnerTime)/float64(bareTime), "runner/bare")
			b.ReportMetric(probes*float64(b.N)/runnerTime.Seconds(), "probes/s")
		})
	}
	// The CLI's path: a fresh bounded client (new connections) per run.
	b.Run("type=runner-own-client/conc=4", func(b *testing.B) {
		for b.Loop() {
			if _, err := runner.Certify(ctx, srv.URL, credPolicy, runner.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(probes*float64(b.N)/b.Elapsed().Seconds(), "probes/s")
	})
}

// bareLoop sends reqs with conc workers, reading each body like the runner
// does.
func bareLoop(b *testing.B, client *http.Client, reqs []runner.HTTPRequest, conc int) {
	var wg sync.WaitGroup
	next := make(chan runner.HTTPRequest)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				req, err := http.NewRequest(r.Method, r.URL, nil)
				if err != nil {
					b.Error(err)
					continue
				}
				for _, h := range r.Headers {
					req.Header[h.Name] = append(req.Header[h.Name], h.Value)
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, runner.MaxBodyBytes+1))
				resp.Body.Close()
			}
		}()
	}
	for _, r := range reqs {
		next <- r
	}
	close(next)
	wg.Wait()
}
