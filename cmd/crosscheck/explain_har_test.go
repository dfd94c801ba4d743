package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// harFixture is a HAR recorded in a real browser (see har/testdata/README.md).
func harFixture(name string) string { return filepath.Join("..", "..", "har", "testdata", name) }

// derivedHAR writes a copy of a recorded HAR with its entries filtered by
// keep (nil keeps all) and changed by change, and returns its path.
func derivedHAR(t *testing.T, name string, keep func(i int) bool, change func(entries []any)) string {
	t.Helper()
	data, err := os.ReadFile(harFixture(name))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	log := top["log"].(map[string]any)
	var kept []any
	for i, e := range log["entries"].([]any) {
		if keep == nil || keep(i) {
			kept = append(kept, e)
		}
	}
	if change != nil {
		change(kept)
	}
	log["entries"] = kept
	out, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "derived.har")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExplainHAR(t *testing.T) {
	tests := []struct {
		name       string
		args       func(t *testing.T) []string
		wantCode   int
		wantStdout []string // substrings, in order
		wantStderr []string
	}{
		{
			name:     "Chromium recording: blocked first, each with its rule",
			args:     func(*testing.T) []string { return []string{"--har", harFixture("chromium-156-misconfigs.har")} },
			wantCode: exitFindings,
			wantStdout: []string{"chromium-156-misconfigs.har (WebInspector 537.36):", "19 cross-origin fetches: 12 blocked, 1 undecided, 6 allowed",
				"[1] BLOCKED  GET https://api.example/no-acao", "rule:", "acao-missing", "chrome error: MissingAllowOriginHeader",
				"spec:         https://fetch.spec.whatwg.org/#concept-cors-check", "fix:", "Access-Control-Allow-Origin: https://app.example",
				"BLOCKED  PUT https://api.example/no-method", "blocked at:   preflight (after 0 redirects)", "method-not-allowed",
				"BLOCKED  GET https://api.example/redirect-taint", "after 1 redirects", "acao-mismatch",
				"UNDECIDED  GET https://api.example/close", "net::ERR_EMPTY_RESPONSE",
				"ALLOWED  GET https://api.example/ok",
				"not judged:", "data:text/plain,hello: a data: URL"},
		},
		{
			name:     "Chromium recording without preflights: the predicted one shown",
			args:     func(*testing.T) []string { return []string{"--har", harFixture("chromium-156-cached.har")} },
			wantCode: exitFindings,
			wantStdout: []string{"[1] BLOCKED  PUT https://api.example/cached-bad", "acao-missing",
				"not in the HAR: OPTIONS https://api.example/cached-bad  Origin: https://app.example  Access-Control-Request-Method: PUT",
				"the verdict is about the actual response only", "[2] ALLOWED  PUT https://api.example/cached-ok"},
		},
		{
			name:       "Firefox recording",
			args:       func(*testing.T) []string { return []string{"--har", harFixture("firefox-153-misconfigs.har")} },
			wantCode:   exitFindings,
			wantStdout: []string{"(Firefox 153.8.0)", "[1] BLOCKED  GET https://api.example/no-acao", "header-not-allowed", "preflight-redirect"},
		},
		{
			name: "nothing blocked exits 0",
			args: func(t *testing.T) []string {
				return []string{"--har", derivedHAR(t, "chromium-156-cached.har", func(i int) bool { return i == 0 }, nil)}
			},
			wantCode:   exitOK,
			wantStdout: []string{"1 cross-origin fetches: 0 blocked, 0 undecided, 1 allowed", "ALLOWED  PUT https://api.example/cached-ok"},
		},
		{
			name: "malformed entry named",
			args: func(t *testing.T) []string {
				return []string{"--har", derivedHAR(t, "chromium-156-cached.har", nil, func(es []any) {
					delete(es[1].(map[string]any)["response"].(map[string]any), "headers")
				})}
			},
			wantCode:   exitError,
			wantStderr: []string{"derived.har is not a HAR file crosscheck can read:", "log.entries[1].response.headers: missing"},
		},
		{
			name:       "missing file",
			args:       func(*testing.T) []string { return []string{"--har", "no-such.har"} },
			wantCode:   exitError,
			wantStderr: []string{"no-such.har"},
		},
		{
			name:       "another FILE besides --har",
			args:       func(*testing.T) []string { return []string{"--har", harFixture("chromium-156-cached.har"), "x.json"} },
			wantCode:   exitError,
			wantStderr: []string{"--har takes no other FILE"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runExplain(tt.args(t), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			rest := stdout.String()
			for _, w := range tt.wantStdout {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order); stdout:\n%s", w, stdout.String())
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tt.wantStderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr %q lacks %q", stderr.String(), w)
				}
			}
		})
	}
}

func TestExplainHARJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := runExplain([]string{"--har", harFixture("chromium-156-misconfigs.har"), "--format", "json"}, &stdout, &stderr)
	if code != exitFindings {
		t.Fatalf("exit code %d; stderr %q", code, stderr.String())
	}
	var out struct {
		Blocked, Undecided, Allowed int
		Fetches                     []struct {
			Status, Method, URL, Reason, BlockedAt, ChromeError, Fix string
			Entries, Preflights                                      []int
		}
		NotJudged []struct {
			Entry int
			Why   string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if out.Blocked != 12 || out.Undecided != 1 || out.Allowed != 6 || len(out.Fetches) != 19 {
		t.Errorf("counts %d/%d/%d of %d fetches, want 12/1/6 of 19", out.Blocked, out.Undecided, out.Allowed, len(out.Fetches))
	}
	for i, f := range out.Fetches {
		if (f.Status == "blocked") != (i < 12) {
			t.Errorf("fetch %d is %s: blocked ones must come first", i, f.Status)
		}
		if f.Status == "blocked" && (f.Reason == "" || f.Fix == "") {
			t.Errorf("blocked fetch %s %s without reason or fix: %+v", f.Method, f.URL, f)
		}
		if len(f.Preflights) != len(f.Entries) {
			t.Errorf("%s %s: %d preflight slots for %d hops", f.Method, f.URL, len(f.Preflights), len(f.Entries))
		}
	}
	if len(out.NotJudged) == 0 {
		t.Error("no entry reported as not judged")
	}
}
