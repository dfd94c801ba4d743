// Package corstest certifies an http.Handler against a declared CORS
// policy from a Go test: it serves the handler on 127.0.0.1, runs the same
// probes as `crosscheck run`, and fails the test once per finding at or
// above the fail threshold (low by default; see FailOn).
//
//	func TestCORS(t *testing.T) {
//		corstest.Certify(t, api.Handler(), runner.Policy{
//			AllowOrigins:     []string{"https://app.example.com"},
//			AllowMethods:     []string{"GET", "POST"},
//			AllowCredentials: true,
//		})
//	}
package corstest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// Option tunes Certify.
type Option func(*config)

type config struct {
	failOn runner.Severity
}

// FailOn sets the fail threshold: findings at severity s or above fail the
// test (t.Errorf); findings below it are only logged (t.Logf). The default
// is runner.DefaultFailOn (low): info findings never fail unless asked.
func FailOn(s runner.Severity) Option { return func(c *config) { c.failOn = s } }

// Certify serves h on 127.0.0.1 for the time of the call, certifies it
// against p and reports each finding at or above the fail threshold with
// t.Errorf (code, severity and why, what was seen and where the fix is
// documented), the others with t.Logf. A bad policy or threshold, or a
// handler that cannot be probed, fails the test with t.Fatalf. The report
// is returned for further checks.
func Certify(t testing.TB, h http.Handler, p runner.Policy, opts ...Option) *runner.Report {
	t.Helper()
	cfg := config{failOn: runner.DefaultFailOn}
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	rep, err := runner.Certify(context.Background(), srv.URL+"/", p, runner.Options{Client: srv.Client(), FailOn: cfg.failOn})
	if err != nil {
		t.Fatalf("corstest: %v", err)
		return nil
	}
	for _, f := range rep.Findings {
		report := t.Errorf
		if !f.Severity.AtLeast(rep.FailOn) {
			report = t.Logf
		}
		report("corstest: %s [%s]: %s\n\tprobe: %s\n\t%s\n\twhy %s: %s\n\tfix: %s (%s)",
			f.Code, f.Severity, f.Title, f.Probe.ID, f.Detail, f.Severity, f.Rationale, f.Code.HelpCommand(), f.Code.DocRef())
	}
	return rep
}
