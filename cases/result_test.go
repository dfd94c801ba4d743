package cases

import (
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

func TestExchange(t *testing.T) {
	tests := []struct {
		name string
		c    Case
		want spec.Exchange
	}{
		{
			name: "defaults",
			c: Case{
				Request:  Request{Origin: "https://app.example", URL: "https://api.example/"},
				Response: Response{Status: 200},
			},
			want: spec.Exchange{
				Request:  spec.Request{Origin: "https://app.example", URL: "https://api.example/", Method: "GET", Credentials: spec.CredentialsSameOrigin},
				Response: spec.Response{Status: 200},
			},
		},
		{
			name: "everything",
			c: Case{
				Request: Request{
					Origin: "null", URL: "https://api.example/", Method: "put",
					Headers:     []Header{{"X-A", "1"}, {"x-a", " 2 "}},
					Credentials: "include", Body: ptr(""),
				},
				Preflight: &Response{Status: 204, Headers: []Header{{"Access-Control-Allow-Methods", "put"}}},
				Redirects: []Redirect{
					{Status: 307, Location: "/a"},
					{Status: 302, Location: "https://other.example/", Headers: []Header{{"Access-Control-Allow-Origin", "*"}}},
				},
				Response: Response{Status: 500, Headers: []Header{{"Access-Control-Allow-Origin", "null"}}},
			},
			want: spec.Exchange{
				Request: spec.Request{
					Origin: "null", URL: "https://api.example/", Method: "put",
					Headers:     []spec.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: " 2 "}},
					Credentials: spec.CredentialsInclude, HasBody: true,
				},
				Preflight: &spec.Response{Status: 204, Headers: []spec.Header{{Name: "Access-Control-Allow-Methods", Value: "put"}}},
				Redirects: []spec.Redirect{
					{Status: 307, Location: "/a"},
					{Status: 302, Location: "https://other.example/", Headers: []spec.Header{{Name: "Access-Control-Allow-Origin", Value: "*"}}},
				},
				Response: spec.Response{Status: 500, Headers: []spec.Header{{Name: "Access-Control-Allow-Origin", Value: "null"}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.c.Exchange()); diff != "" {
				t.Errorf("Exchange() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWant(t *testing.T) {
	blocked := Expect{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed}
	tests := []struct {
		name    string
		expect  Expect
		chrome  *BrowserExpect
		browser string
		want    Result
	}{
		{
			name: "spec", expect: blocked, browser: "",
			want: Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed},
		},
		{
			name: "chrome without divergence", expect: blocked, browser: "chrome",
			want: Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed},
		},
		{
			name: "chrome allows what the spec blocks", expect: blocked, browser: "chrome",
			chrome: &BrowserExpect{Outcome: spec.Allowed, Note: "n", Source: "s"},
			want:   Result{Outcome: spec.Allowed, Preflight: ptr(true)},
		},
		{
			name: "chrome blocks for another reason", expect: blocked, browser: "chrome",
			chrome: &BrowserExpect{Outcome: spec.Blocked, Reason: spec.MethodNotAllowed, Note: "n", Source: "s"},
			want:   Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed},
		},
		{
			name: "chrome sends no preflight", expect: Expect{Outcome: spec.Allowed, Preflight: ptr(true), ExposedHeaders: []string{}}, browser: "chrome",
			chrome: &BrowserExpect{Outcome: spec.Allowed, Preflight: ptr(false), Note: "n", Source: "s"},
			want:   Result{Outcome: spec.Allowed, Preflight: ptr(false), ExposedHeaders: []string{}},
		},
		{
			name: "a browser with no field", expect: blocked, browser: "firefox",
			chrome: &BrowserExpect{Outcome: spec.Allowed, Note: "n", Source: "s"},
			want:   Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Case{Expect: tt.expect}
			if tt.chrome != nil {
				c.Browsers = &Browsers{Chrome: tt.chrome}
			}
			if diff := cmp.Diff(tt.want, c.Want(tt.browser)); diff != "" {
				t.Errorf("Want(%q) mismatch (-want +got):\n%s", tt.browser, diff)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		expect Expect
		v      spec.Verdict
		fields []string // fields the diff must name; none means agreement
	}{
		{
			name:   "only outcome stated, outcome agrees",
			expect: Expect{Outcome: spec.Blocked},
			v:      spec.Verdict{Outcome: spec.Blocked, Stage: spec.StageResponse, Reason: spec.ACAOMissing, Preflight: true},
		},
		{
			name:   "only outcome stated, outcome differs",
			expect: Expect{Outcome: spec.Allowed},
			v:      spec.Verdict{Outcome: spec.Blocked, Stage: spec.StageResponse, Reason: spec.ACAOMissing},
			fields: []string{"Outcome"},
		},
		{
			name:   "empty exposed list agrees with a verdict exposing nothing",
			expect: Expect{Outcome: spec.Allowed, Preflight: ptr(false), ExposedHeaders: []string{}},
			v:      spec.Verdict{Outcome: spec.Allowed},
		},
		{
			name:   "exposed headers differ",
			expect: Expect{Outcome: spec.Allowed, ExposedHeaders: []string{"content-type"}},
			v:      spec.Verdict{Outcome: spec.Allowed, Exposed: []string{"content-type", "x-a"}},
			fields: []string{"ExposedHeaders"},
		},
		{
			name:   "preflight and reason differ",
			expect: Expect{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed},
			v:      spec.Verdict{Outcome: spec.Blocked, Stage: spec.StagePreflight, Reason: spec.HeaderNotAllowed, Preflight: false},
			fields: []string{"Preflight", "Reason"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff := Case{Expect: tt.expect}.Compare(tt.v)
			if len(tt.fields) == 0 && diff != "" {
				t.Errorf("Compare() = diff, want agreement:\n%s", diff)
			}
			if len(tt.fields) > 0 && diff == "" {
				t.Errorf("Compare() = agreement, want a diff naming %v", tt.fields)
			}
			for _, f := range tt.fields {
				if !strings.Contains(diff, f) {
					t.Errorf("Compare() diff does not name %s:\n%s", f, diff)
				}
			}
		})
	}
}

func TestPretty(t *testing.T) {
	raw := "{\"id\": \"p/x\",   \"tags\": [\"a\",\"b\"], \"request\": {\"headers\": [[\"X-A\", \"q\\\"\\u000b\u00e9\"]], \"body\": \"\"},\n \"redirects\": [{\"status\": 301}], \"e\": {}, \"n\": [1.5, true, null]}"
	want := `{
  "id": "p/x",
  "tags": ["a", "b"],
  "request": {
    "headers": [["X-A", "q\"\u000b` + "\u00e9" + `"]],
    "body": ""
  },
  "redirects": [
    {
      "status": 301
    }
  ],
  "e": {},
  "n": [1.5, true, null]
}`
	if diff := cmp.Diff(want, Case{Raw: raw}.Pretty()); diff != "" {
		t.Errorf("Pretty() mismatch (-want +got):\n%s", diff)
	}
	if got := (Case{Raw: "{not json"}).Pretty(); got != "{not json" {
		t.Errorf("Pretty() of invalid JSON = %q, want it unchanged", got)
	}
}
