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
