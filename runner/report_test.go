package runner_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func sampleReport() *runner.Report {
	vary := runner.ProbeResult{ID: "no-origin GET", Kind: runner.KindNoOrigin, Actual: &runner.HTTPExchange{
		Request:  runner.HTTPRequest{Method: "GET", URL: "http://127.0.0.1:8080/"},
		Response: &runner.HTTPResponse{Status: 200, Headers: []spec.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Date", Value: "x"}}},
	}}
	null := runner.ProbeResult{ID: "hostile-origin/null GET from null", Kind: runner.KindHostileOrigin, Variant: runner.VariantNull,
		Actual: &runner.HTTPExchange{
			Request:  runner.HTTPRequest{Method: "GET", URL: "http://127.0.0.1:8080/", Headers: []spec.Header{{Name: "Origin", Value: "null"}}},
			Response: &runner.HTTPResponse{Status: 200, Headers: []spec.Header{{Name: "Access-Control-Allow-Origin", Value: "null"}, {Name: "Vary", Value: "Origin"}}},
		}}
	return &runner.Report{
		Target: "http://127.0.0.1:8080/",
		Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}},
		Probes: []runner.ProbeResult{vary, null},
		Findings: []runner.Finding{
			{Code: runner.MissingVaryOrigin, Severity: runner.Medium, Title: "t1", Probe: vary, Detail: "d1"},
			{Code: runner.NullOriginAllowed, Severity: runner.High, Title: "t2", Probe: null, Detail: "d2"},
			{Code: runner.MissingVaryOrigin, Severity: runner.Medium, Title: "t1", Probe: null, Detail: "d3"},
		},
	}
}

func TestReportCodes(t *testing.T) {
	want := []runner.Code{runner.MissingVaryOrigin, runner.NullOriginAllowed}
	if diff := cmp.Diff(want, sampleReport().Codes()); diff != "" {
		t.Errorf("Codes mismatch (-want +got):\n%s", diff)
	}
	if (&runner.Report{}).Codes() != nil || !(&runner.Report{}).Conforms() {
		t.Error("an empty report has codes or does not conform")
	}
}

// TestWriteText: findings grouped by code, the high one first, each with
// its probe exchange (CORS headers only) and the fix link.
func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := runner.WriteText(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	want := `Target   http://127.0.0.1:8080/
Policy   origins https://app.example.com
Probes   2 sent, 3 findings

[high] null-origin-allowed: t2
  d2
  probe: hostile-origin/null GET from null
  request: > GET http://127.0.0.1:8080/
           >   Origin: null
           < 200
           <   Access-Control-Allow-Origin: null
           <   Vary: Origin
  fix: https://github.com/crosscheck-dev/crosscheck/blob/main/docs/findings.md#null-origin-allowed

[medium] missing-vary-origin: t1 (2 probes)
  d1
  probe: no-origin GET
  request: > GET http://127.0.0.1:8080/
           < 200
           <   (2 other header lines)
  also: hostile-origin/null GET from null
  fix: https://github.com/crosscheck-dev/crosscheck/blob/main/docs/findings.md#missing-vary-origin

FAIL  3 findings: missing-vary-origin, null-origin-allowed
`
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(b.String(), "\n")); diff != "" {
		t.Errorf("WriteText mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	r := &runner.Report{Target: "http://127.0.0.1/", Policy: runner.Policy{AllowOrigins: []string{"*"}}}
	if err := runner.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"findings": []`, `"codes": []`, `"conforms": true`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}
