// Package corstest certifies an http.Handler against a declared CORS
// policy from a Go test: it serves the handler on 127.0.0.1, runs the same
// probes as `crosscheck run`, and fails the test once per finding.
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

// Certify serves h on 127.0.0.1 for the time of the call, certifies it
// against p and reports each finding with t.Errorf (code, severity, what
// was seen and where the fix is documented). A bad policy or a handler that
// cannot be probed fails the test with t.Fatalf. The report is returned for
// further checks.
func Certify(t testing.TB, h http.Handler, p runner.Policy) *runner.Report {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	rep, err := runner.Certify(context.Background(), srv.URL+"/", p, runner.Options{Client: srv.Client()})
	if err != nil {
		t.Fatalf("corstest: %v", err)
		return nil
	}
	for _, f := range rep.Findings {
		t.Errorf("corstest: %s [%s]: %s\n\tprobe: %s\n\t%s\n\tfix: %s", f.Code, f.Severity, f.Title, f.Probe.ID, f.Detail, f.Code.DocURL())
	}
	return rep
}
