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
	// The exchange: a GET with X-Test from https://app.example, whose
	// preflight allows nothing. A browser sends the preflight only.
	preflightOnly := []Sent{{Preflight: true, Method: "OPTIONS", URL: "https://api.example/x", Origin: "https://app.example", ACRM: "GET", ACRH: "x-test"}}
	getSent := []Sent{{Method: "GET", URL: "https://api.example/x", Origin: "https://app.example"}}
	allowed := BrowserRecord{Versions: MustParseVersionRange(">=150"), Outcome: spec.Allowed, Sent: getSent, Note: "n", Source: "s"}
	otherReason := BrowserRecord{Versions: MustParseVersionRange("<150"), Outcome: spec.Blocked, Reason: spec.MethodNotAllowed, Note: "n", Source: "s"}
	noPreflight := BrowserRecord{Outcome: spec.Allowed, Preflight: ptr(false), Sent: getSent, Note: "n", Source: "s"}
	v := func(s string) Version {
		x, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	tests := []struct {
		name       string
		expect     Expect
		records    []BrowserRecord
		engine     string
		version    Version
		want       Result
		wantRecord int // index in records, -1 for none
	}{
		{
			name: "spec", expect: blocked, records: []BrowserRecord{allowed}, engine: "", version: v("156"),
			want:       Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed},
			wantRecord: -1,
		},
		{
			name: "no record: expect, and the model's requests", expect: blocked, engine: "chrome", version: v("156"),
			want:       Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed, Sent: preflightOnly},
			wantRecord: -1,
		},
		{
			name: "a record covering the version replaces the outcome", expect: blocked, engine: "chrome", version: v("156.0.8078.114"),
			records:    []BrowserRecord{otherReason, allowed},
			want:       Result{Outcome: spec.Allowed, Preflight: ptr(true), Sent: getSent},
			wantRecord: 1,
		},
		{
			name: "the record before the change", expect: blocked, engine: "chrome", version: v("148.0.7778.167"),
			records:    []BrowserRecord{otherReason, allowed},
			want:       Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed, Sent: preflightOnly},
			wantRecord: 0,
		},
		{
			name: "a version no record covers gets expect", expect: blocked, engine: "chrome", version: v("149"),
			records:    []BrowserRecord{allowed},
			want:       Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed, Sent: preflightOnly},
			wantRecord: -1,
		},
		{
			name: "a record without versions holds for all", expect: Expect{Outcome: spec.Allowed, Preflight: ptr(true), ExposedHeaders: []string{}}, engine: "chrome", version: v("1"),
			records:    []BrowserRecord{noPreflight},
			want:       Result{Outcome: spec.Allowed, Preflight: ptr(false), ExposedHeaders: []string{}, Sent: getSent},
			wantRecord: 0,
		},
		{
			name: "another engine's record does not apply", expect: blocked, engine: "firefox", version: v("156"),
			records:    []BrowserRecord{allowed},
			want:       Result{Outcome: spec.Blocked, Preflight: ptr(true), BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed, Sent: preflightOnly},
			wantRecord: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Case{
				Request:   Request{Origin: "https://app.example", URL: "https://api.example/x", Headers: []Header{{"X-Test", "1"}}},
				Preflight: &Response{Status: 204},
				Response:  Response{Status: 200},
				Expect:    tt.expect,
			}
			if tt.records != nil {
				c.Browsers = Browsers{"chrome": tt.records}
			}
			got, rec := c.Want(tt.engine, tt.version)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Want(%q, %v) mismatch (-want +got):\n%s", tt.engine, tt.version, diff)
			}
			var wantRec *BrowserRecord
			if tt.wantRecord >= 0 {
				wantRec = &c.Browsers["chrome"][tt.wantRecord]
			}
			if rec != wantRec {
				t.Errorf("Want(%q, %v) applied record %v, want %v", tt.engine, tt.version, rec, wantRec)
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
