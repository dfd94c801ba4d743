package browser

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func TestJudgeChrome(t *testing.T) {
	yes, no := true, false
	oneHop := &cases.Case{Redirects: []cases.Redirect{{Status: 302, Location: "/b"}},
		Response: cases.Response{Status: 200, Headers: []cases.Header{{"Access-Control-Allow-Origin", "*"}, {"X-Custom", "1"}, {"Content-Type", "text/plain"}}}}
	plain := &cases.Case{Response: cases.Response{Status: 200}}
	get0 := Received{Method: "GET", Hop: 0}
	get1 := Received{Method: "GET", Hop: 1}
	options := Received{Method: "OPTIONS", Preflight: true}
	failed := JSResult{Name: "TypeError", Message: "Failed to fetch"}
	tests := []struct {
		name string
		c    *cases.Case
		o    Observation
		want cases.Result
	}{
		{"allowed: exposed names limited to the case's headers", oneHop,
			Observation{JS: JSResult{OK: true, Headers: []string{"cache-control", "content-length", "content-type", "x-custom"}}, Received: []Received{get0, get1}},
			cases.Result{Outcome: spec.Allowed, Preflight: &no, ExposedHeaders: []string{"content-type", "x-custom"}}},
		{"allowed with nothing exposed is an empty list", plain,
			Observation{JS: JSResult{OK: true}, Received: []Received{get0}},
			cases.Result{Outcome: spec.Allowed, Preflight: &no, ExposedHeaders: []string{}}},
		{"CORS check failed on the final response", oneHop,
			Observation{JS: failed, LoadingFailed: true, CorsError: "MissingAllowOriginHeader", Received: []Received{get0, get1}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse, Reason: spec.ACAOMissing}},
		{"same CorsError on the redirect hop: the server saw no second request", oneHop,
			Observation{JS: failed, LoadingFailed: true, CorsError: "MissingAllowOriginHeader", Received: []Received{get0}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.ACAOMissing}},
		{"preflight CorsError, preflight from the server log", plain,
			Observation{JS: failed, LoadingFailed: true, CorsError: "MethodDisallowedByPreflightResponse", FailedParameter: "PUT", Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed}},
		{"redirect with userinfo", oneHop,
			Observation{JS: failed, LoadingFailed: true, CorsError: "RedirectContainsCredentials", Received: []Received{get0}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.RedirectCredentials}},
		{"CorsDisabledScheme after a redirect is a redirect scheme failure", oneHop,
			Observation{JS: failed, LoadingFailed: true, CorsError: "CorsDisabledScheme", Received: []Received{get0}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.RedirectScheme}},
		{"request-stage TypeError", plain,
			Observation{JS: JSResult{Name: "TypeError", Message: "Failed to execute 'fetch' on 'Window': 'TRACE' HTTP method is unsupported."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.MethodForbidden}},
		{"unsupported scheme, from the console", plain,
			Observation{JS: failed, Console: []string{`Fetch API cannot load ftp://api.example/data. URL scheme "ftp" is not supported.`}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.SchemeNotHTTP}},
		{"too many redirects", oneHop,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_TOO_MANY_REDIRECTS", Received: []Received{get0, get1}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.RedirectLimit}},
		{"a data: URL Chrome cannot parse, scheme in any case", &cases.Case{Request: cases.Request{URL: " DATA:text/plain;base64,%"}},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_INVALID_URL"},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.DataURLInvalid}},
		{"a 407 to the preflight is blocked at the preflight", plain,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_UNEXPECTED_PROXY_AUTH", Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight, Reason: spec.ProxyAuthRequired}},
		{"a 407 to a redirect hop is blocked at the redirect", oneHop,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_UNEXPECTED_PROXY_AUTH", Received: []Received{get0}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.ProxyAuthRequired}},
		{"an unnamed failure after the final response: its stage, no reason", oneHop,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_ABORTED", Received: []Received{get0, get1}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse}},
		{"an unnamed failure after the preflight: its stage, no reason", plain,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_ABORTED", Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := tt.c.Want("chrome", nil)
			v, err := judgeChrome(tt.c, want, &tt.o)
			if err != nil {
				t.Fatalf("judgeChrome: %v", err)
			}
			if diff := cmp.Diff(tt.want, v.Result); diff != "" {
				t.Errorf("judgeChrome mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeChromeCouldNotRun(t *testing.T) {
	plain := &cases.Case{Response: cases.Response{Status: 200}}
	failed := JSResult{Name: "TypeError", Message: "Failed to fetch"}
	recorded := &cases.Case{Response: cases.Response{Status: 200}, Expect: cases.Expect{Outcome: spec.Allowed},
		Browsers: cases.Browsers{"chrome": {{Outcome: spec.Blocked, Note: "n", Source: "s"}}}}
	tests := []struct {
		name string
		c    *cases.Case
		o    Observation
		want string // "" = a verdict, no error
	}{
		{"connection refused is not a CORS verdict", plain,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_CONNECTION_REFUSED"}, "ERR_CONNECTION_REFUSED"},
		{"Local Network Access has no model reason", plain,
			Observation{JS: failed, LoadingFailed: true, CorsError: "LocalNetworkAccessPermissionDenied"}, "no reason in the model"},
		{"no loadingFailed in time", plain,
			Observation{JS: failed, DevToolsSent: true}, "no loadingFailed"},
		{"timeout", plain,
			Observation{JS: JSResult{Name: "TimeoutError", Message: "signal timed out"}}, "TimeoutError"},
		{"net::ERR_INVALID_URL for an https: URL is no data: URL error", plain,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_INVALID_URL"}, "without a CorsError"},
		{"a recorded reasonless Chrome block accepts a network error", recorded,
			Observation{JS: failed, LoadingFailed: true, ErrorText: "net::ERR_ABORTED"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := tt.c.Want("chrome", nil)
			_, err := judgeChrome(tt.c, want, &tt.o)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("judgeChrome error %v, want a verdict", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("judgeChrome error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestFinish compares verdicts with what the table wants, for a plain case
// and per step for a steps case: a blocked verdict with no reason is not
// compared on the reason, a steps case sums its steps' diffs up under
// "step N:" and names the fields as steps[i].field, and the text report
// shows the disagreement with the step's evidence.
func TestFinish(t *testing.T) {
	no := false
	get := cases.Request{Origin: "https://app.example", URL: "https://api.example/a"}
	acao := []cases.Header{{"Access-Control-Allow-Origin", "https://app.example"}}
	blocked := cases.Expect{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse, Reason: spec.ACAOMissing}
	allowed := cases.Expect{Outcome: spec.Allowed, Preflight: &no}
	steps := &cases.Case{ID: "t/steps", Steps: []cases.Step{
		{Request: get, Response: cases.Response{Status: 200}, Expect: blocked},
		{Request: get, Response: cases.Response{Status: 200, Headers: acao}, Expect: allowed},
	}}
	plain := &cases.Case{ID: "t/plain", Request: get, Response: cases.Response{Status: 200}, Expect: blocked}
	unnamed := &Verdict{Result: cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse}}

	run := &Run{Engine: "chrome", Version: "156"}
	for _, c := range []*cases.Case{plain, plain, steps} {
		r := baseResult(c)
		if !r.ModelAgrees {
			t.Fatalf("%s: the model disagrees with expect:\n%s", c.ID, r.ModelDiff)
		}
		run.Results = append(run.Results, r)
	}
	plainRun, plainNotRun, stepsRun := &run.Results[0], &run.Results[1], &run.Results[2]
	plainRun.Want, plainRun.Browser = blocked.Result(), unnamed
	plainNotRun.Want = blocked.Result()
	for k, e := range []cases.Expect{blocked, allowed} {
		stepsRun.Steps[k].Want = e.Result()
		stepsRun.Steps[k].Browser = unnamed
	}
	for i := range run.Results {
		finish(&run.Results[i])
	}

	if !plainRun.BrowserAgrees || plainRun.BrowserDiff != "" {
		t.Errorf("plain case blocked without a reason: agrees %v, diff:\n%s; want agreement (the reason is not compared)", plainRun.BrowserAgrees, plainRun.BrowserDiff)
	}
	if plainNotRun.CouldNotRun != "not run" || plainNotRun.BrowserAgrees {
		t.Errorf("plain case without a verdict: couldNotRun %q, agrees %v; want \"not run\", false", plainNotRun.CouldNotRun, plainNotRun.BrowserAgrees)
	}
	if diff := cmp.Diff([]string{"steps[1].outcome"}, stepsRun.DiffFields); diff != "" {
		t.Errorf("steps case DiffFields mismatch (-want +got):\n%s", diff)
	}
	if stepsRun.BrowserAgrees || stepsRun.Steps[0].BrowserDiff != "" || !strings.HasPrefix(stepsRun.BrowserDiff, "step 2:\n") ||
		!strings.Contains(stepsRun.BrowserDiff, stepsRun.Steps[1].BrowserDiff) || stepsRun.Steps[1].BrowserDiff == "" {
		t.Errorf("steps case: agrees %v, diff:\n%s\nwant step 2's diff alone", stepsRun.BrowserAgrees, stepsRun.BrowserDiff)
	}
	if a, d, n := run.Counts(); a != 1 || d != 1 || n != 1 {
		t.Errorf("Counts() = %d, %d, %d; want 1 agree, 1 disagree, 1 could not run", a, d, n)
	}

	var out strings.Builder
	if err := (&Report{Runs: []*Run{run}}).WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"NOT RUN  chrome 156: t/plain\n  could not run in chrome: not run\n",
		"DISAGREE chrome 156: t/steps\n  differs on: steps[1].outcome\n",
		"  chrome vs the table (expect, no record covers 156) (-want +got):\n    step 2:\n",
		"chrome 156: 3 cases in 0s: 1 agree, 1 disagree, 1 could not run\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("WriteText output lacks %q; got:\n%s", want, out.String())
		}
	}
}
