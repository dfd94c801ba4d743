package runner_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
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
			{Code: runner.MissingVaryOrigin, Severity: runner.Medium, Rationale: "r1", Title: "t1", Probe: vary, Detail: "d1"},
			{Code: runner.NullOriginAllowed, Severity: runner.High, Rationale: "r2", Title: "t2", Probe: null, Detail: "d2"},
			{Code: runner.MissingVaryOrigin, Severity: runner.Medium, Rationale: "r3", Title: "t1", Probe: null, Detail: "d3"},
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
  why high: r2
  probe: hostile-origin/null GET from null
  request: > GET http://127.0.0.1:8080/
           >   Origin: null
           < 200
           <   Access-Control-Allow-Origin: null
           <   Vary: Origin
  fix: crosscheck findings null-origin-allowed (docs/findings.md#null-origin-allowed)

[medium] missing-vary-origin: t1 (2 probes)
  d1
  why medium: r1
  probe: no-origin GET
  request: > GET http://127.0.0.1:8080/
           < 200
           <   (2 other header lines)
  also: hostile-origin/null GET from null
  fix: crosscheck findings missing-vary-origin (docs/findings.md#missing-vary-origin)

FAIL  3 findings at low or above: missing-vary-origin, null-origin-allowed
`
	if diff := cmp.Diff(strings.Split(want, "\n"), strings.Split(b.String(), "\n")); diff != "" {
		t.Errorf("WriteText mismatch (-want +got):\n%s", diff)
	}
}

// TestReportThreshold: Passed, Failing and Summary apply the fail
// threshold; info findings never fail under the default one.
func TestReportThreshold(t *testing.T) {
	info := runner.Finding{Code: runner.OriginEmptyLabel, Severity: runner.Info}
	low := runner.Finding{Code: runner.UnlistedHeaderAllowed, Severity: runner.Low}
	high := runner.Finding{Code: runner.OriginReflected, Severity: runner.High}
	tests := []struct {
		name     string
		findings []runner.Finding
		failOn   runner.Severity
		passed   bool
		worst    runner.Severity
		summary  string
	}{
		{"none", nil, "", true, "", "PASS  the target conforms to its policy (0 probes)"},
		{"info only, default", []runner.Finding{info}, "", true, runner.Info,
			"PASS  1 findings, all below the fail threshold (low): origin-empty-label"},
		{"info only, fail on info", []runner.Finding{info}, runner.Info, false, runner.Info,
			"FAIL  1 findings at info or above: origin-empty-label"},
		{"low and info", []runner.Finding{info, low}, runner.Low, false, runner.Low,
			"FAIL  1 findings at low or above: unlisted-header-allowed (and 1 below: origin-empty-label)"},
		{"low, fail on high", []runner.Finding{low, info}, runner.High, true, runner.Low,
			"PASS  2 findings, all below the fail threshold (high): origin-empty-label, unlisted-header-allowed"},
		{"high, fail on medium", []runner.Finding{info, high}, runner.Medium, false, runner.High,
			"FAIL  1 findings at medium or above: origin-reflected (and 1 below: origin-empty-label)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &runner.Report{Findings: tt.findings, FailOn: tt.failOn}
			got := []any{r.Passed(), r.Worst(), r.Summary()}
			if diff := cmp.Diff([]any{tt.passed, tt.worst, tt.summary}, got); diff != "" {
				t.Errorf("Passed, Worst, Summary mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseSeverity: the four names, ordered; anything else is an error.
func TestParseSeverity(t *testing.T) {
	for i, s := range runner.Severities() {
		got, err := runner.ParseSeverity(string(s))
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %q, %v", s, got, err)
		}
		for j, u := range runner.Severities() {
			if s.AtLeast(u) != (i <= j) {
				t.Errorf("%s.AtLeast(%s) = %v", s, u, s.AtLeast(u))
			}
		}
	}
	for _, bad := range []string{"", "High", "critical", "none"} {
		if _, err := runner.ParseSeverity(bad); err == nil {
			t.Errorf("ParseSeverity(%q) accepted", bad)
		}
	}
	if runner.Severity("bogus").AtLeast(runner.Info) {
		t.Error("an unknown severity is at least info")
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

// TestWriteJUnitThreshold: a finding at or above the threshold is a
// <failure> with its severity and rationale; one below it goes to the
// testcase's <system-out> and fails nothing.
func TestWriteJUnitThreshold(t *testing.T) {
	rep := sampleReport()
	rep.Findings[0].Severity = runner.Info // missing-vary-origin on the no-origin probe
	var b bytes.Buffer
	if err := runner.WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name      string `xml:"name,attr"`
				SystemOut string `xml:"system-out"`
				Failures  []struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Failures != 1 || len(s.Cases) != 2 {
		t.Fatalf("failures %d, cases %d:\n%s", s.Failures, len(s.Cases), b.String())
	}
	noOrigin, null := s.Cases[0], s.Cases[1]
	if len(noOrigin.Failures) != 0 || !strings.Contains(noOrigin.SystemOut, "below the fail threshold (low): missing-vary-origin [info]") ||
		!strings.Contains(noOrigin.SystemOut, "why info: r1") {
		t.Errorf("no-origin case: %+v", noOrigin)
	}
	var msgs []string
	for _, f := range null.Failures {
		msgs = append(msgs, f.Message)
		if !strings.Contains(f.Text, "why ") {
			t.Errorf("failure text lacks the rationale: %q", f.Text)
		}
	}
	want := []string{"null-origin-allowed [high]: t2", "missing-vary-origin [medium]: t1"}
	if diff := cmp.Diff(want, msgs); diff != "" {
		t.Errorf("failures mismatch (-want +got):\n%s", diff)
	}
}

// TestWriteJSONSeverity: each finding carries its severity, rationale,
// whether it fails, and where its documentation is.
func TestWriteJSONSeverity(t *testing.T) {
	rep := sampleReport()
	rep.FailOn = runner.High
	var b bytes.Buffer
	if err := runner.WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FailOn   string
		Passed   bool
		Conforms bool
		Findings []struct {
			Code, Severity, Rationale, DocURL, Help string
			Fails                                   bool
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	type f = struct {
		Code, Severity, Rationale, DocURL, Help string
		Fails                                   bool
	}
	want := []f{
		{"missing-vary-origin", "medium", "r1", "docs/findings.md#missing-vary-origin", "crosscheck findings missing-vary-origin", false},
		{"null-origin-allowed", "high", "r2", "docs/findings.md#null-origin-allowed", "crosscheck findings null-origin-allowed", true},
		{"missing-vary-origin", "medium", "r3", "docs/findings.md#missing-vary-origin", "crosscheck findings missing-vary-origin", false},
	}
	if diff := cmp.Diff(want, doc.Findings); diff != "" || doc.FailOn != "high" || doc.Passed || doc.Conforms {
		t.Errorf("findings mismatch (-want +got):\n%s\nfailOn %q passed %v conforms %v", diff, doc.FailOn, doc.Passed, doc.Conforms)
	}
}
