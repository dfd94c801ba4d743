package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings, in order
		wantStderr []string
	}{
		{
			name:     "preflighted PUT answered with a lowercase put is blocked",
			args:     []string{"put-acam-lowercase.json"},
			wantCode: exitOK,
			wantStdout: []string{"outcome:", "blocked", "blocked at:", "preflight", "reason:", "method-not-allowed",
				"chrome error:", "MethodDisallowedByPreflightResponse", "spec:", "https://fetch.spec.whatwg.org/#cors-preflight-fetch-0",
				"requests sent:", "OPTIONS https://api.example/x  Origin: https://app.example  Access-Control-Request-Method: PUT", "steps:"},
		},
		{
			name:     "credentialed GET answered with * is blocked",
			args:     []string{"credentialed-star.json"},
			wantCode: exitOK,
			wantStdout: []string{"blocked", "response", "acao-wildcard-with-credentials", "WildcardOriginNotAllowed",
				"https://fetch.spec.whatwg.org/#cors-protocol-and-credentials"},
		},
		{
			name:       "agreeing expect",
			args:       []string{"allowed-with-expect.json"},
			wantCode:   exitOK,
			wantStdout: []string{"allowed", "script can read:", "content-type, x-total-count", "agrees with expect"},
		},
		{
			name:       "disagreeing expect exits 1 with a diff",
			args:       []string{"wrong-expect.json"},
			wantCode:   exitFindings,
			wantStdout: []string{"acao-mismatch", "DISAGREES", `-`, `"allowed"`, `+`, `"blocked"`},
		},
		{
			name:       "invalid JSON",
			args:       []string{"truncated.json"},
			wantCode:   exitError,
			wantStderr: []string{"truncated.json is not a valid exchange", "invalid JSON"},
		},
		{
			name:       "unknown field named",
			args:       []string{"unknown-field.json"},
			wantCode:   exitError,
			wantStderr: []string{`request: unknown field "methd"`},
		},
		{
			name:       "header that is not a pair named",
			args:       []string{"header-not-pair.json"},
			wantCode:   exitError,
			wantStderr: []string{"request.headers[0]: want a [name, value] pair of strings, got 3 elements"},
		},
		{
			name:       "missing file",
			args:       []string{"no-such-file.json"},
			wantCode:   exitError,
			wantStderr: []string{"no-such-file.json"},
		},
		{
			name:       "bad format",
			args:       []string{"--format", "xml", "put-acam-lowercase.json"},
			wantCode:   exitError,
			wantStderr: []string{`--format "xml"`},
		},
		{
			name:     "steps: the second PUT is served by the cache, the third finds it expired",
			args:     []string{"steps-cache.json"},
			wantCode: exitOK,
			wantStdout: []string{
				"=== step 1 of 3 (page time 0 ms)", "preflight cache: miss for https://api.example/x (no live entry for method PUT, header x-trace): preflight sent",
				"preflights:", "1", "OPTIONS https://api.example/x",
				"=== step 2 of 3 (page time 1000 ms, after waiting 1000 ms)",
				"preflight cache: hit for https://api.example/x, no preflight: method PUT until 3000 ms; header x-trace (entry x-trace) until 3000 ms",
				"preflights:", "0", "requests sent:", "PUT https://api.example/x",
				"=== step 3 of 3 (page time 3000 ms, after waiting 2000 ms)", "preflight cache: miss", "OPTIONS https://api.example/x",
				"every step agrees with expect.",
			},
		},
		{
			name:     "no-cors: opaque, and the guard's drops in the steps",
			args:     []string{"no-cors.json"},
			wantCode: exitOK,
			wantStdout: []string{"outcome:", "opaque", "response type:", "opaque", "preflights:", "0",
				"POST https://api.example/img  Origin: https://app.example",
				"X-Custom is not a no-CORS-safelisted request-header", "Content-Type is not a no-CORS-safelisted request-header",
				"agrees with expect"},
		},
		{
			name:       "help",
			args:       []string{"--help"},
			wantCode:   exitOK,
			wantStdout: []string{"Usage: crosscheck explain", "--format"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"explain"}
			for _, a := range tt.args {
				if strings.HasSuffix(a, ".json") {
					a = filepath.Join("testdata", "explain", a)
				}
				args = append(args, a)
			}
			var stdout, stderr bytes.Buffer
			code := dispatch(args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			containsInOrder(t, "stdout", stdout.String(), tt.wantStdout)
			containsInOrder(t, "stderr", stderr.String(), tt.wantStderr)
		})
	}
}

func containsInOrder(t *testing.T, what, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (in order); got:\n%s", what, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestExplainJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"explain", "--format", "json", filepath.Join("testdata", "explain", "put-acam-lowercase.json")}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit code %d, stderr %s", code, stderr.String())
	}
	var got struct {
		Outcome, BlockedAt, Reason, Spec, ChromeError string
		Preflights                                    int
		Sent                                          []struct{ Method, ACRM string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if got.Outcome != "blocked" || got.BlockedAt != "preflight" || got.Reason != "method-not-allowed" ||
		got.ChromeError != "MethodDisallowedByPreflightResponse" || got.Preflights != 1 ||
		len(got.Sent) != 1 || got.Sent[0].Method != "OPTIONS" || got.Sent[0].ACRM != "PUT" {
		t.Errorf("unexpected JSON verdict: %+v", got)
	}
}

func TestExplainStepsJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"explain", "--format", "json", filepath.Join("testdata", "explain", "steps-cache.json")}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit code %d, stderr %s", code, stderr.String())
	}
	var got struct {
		Steps []struct {
			WaitMs, AtMs int64
			Preflights   int
			Sent         []struct{ Method string }
			Cache        []struct {
				Hit     bool
				Missing []string
				Entries []struct {
					Method, HeaderName, For string
					ExpiresMs               int64
				}
			} `json:"preflightCache"`
		}
		Agrees *bool `json:"agreesWithExpect"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(got.Steps) != 3 || got.Agrees == nil || !*got.Agrees {
		t.Fatalf("want 3 steps agreeing with expect, got %s", stdout.String())
	}
	s1, s2, s3 := got.Steps[0], got.Steps[1], got.Steps[2]
	if s1.Preflights != 1 || len(s1.Cache) != 1 || s1.Cache[0].Hit || len(s1.Cache[0].Missing) != 2 {
		t.Errorf("step 1: %+v; want a preflight after a miss for the method and the header", s1)
	}
	if s2.AtMs != 1000 || s2.Preflights != 0 || len(s2.Cache) != 1 || !s2.Cache[0].Hit || len(s2.Cache[0].Entries) != 2 ||
		s2.Cache[0].Entries[0].Method != "PUT" || s2.Cache[0].Entries[0].ExpiresMs != 3000 || s2.Cache[0].Entries[1].For != "x-trace" {
		t.Errorf("step 2: %+v; want a hit at 1000 ms by method PUT and header x-trace, expiring at 3000 ms", s2)
	}
	if s3.WaitMs != 2000 || s3.AtMs != 3000 || s3.Preflights != 1 || s3.Cache[0].Hit {
		t.Errorf("step 3: %+v; want a miss and a preflight at 3000 ms", s3)
	}
}
