package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzDir is the repository's fuzz directory, seen from this package.
const fuzzDir = "../.."

// TestSeedsInSync fails when the generated seed files under fuzz/ are not
// those the case table, the bypass origins and the policy files give
// today: run `go generate ./fuzz` after changing any of them.
func TestSeedsInSync(t *testing.T) {
	c, err := derive(fuzzDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := onDisk(fuzzDir, c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(contents(c), got); diff != "" {
		t.Errorf("generated seed files under fuzz/ are stale; run go generate ./fuzz (-want +got, path to contents):\n%s", diff)
	}
}

// TestWrite checks that write creates missing files, rewrites changed ones,
// deletes generated files it no longer wants and keeps files it does not
// own (minimized failures).
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "testdata", "fuzz", "FuzzX")
	if err := os.MkdirAll(corpus, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"table-stale":      "go test fuzz v1\nstring(\"old\")\n",
		"bypass-changed":   "go test fuzz v1\nstring(\"old\")\n",
		"0123456789abcdef": "go test fuzz v1\nstring(\"found by fuzzing\")\n",
	} {
		if err := os.WriteFile(filepath.Join(corpus, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := corpora{filepath.Join("testdata", "fuzz", "FuzzX"): {
		{name: "bypass-changed", values: []any{"new", true, byte(2), 7, uint64(9), []byte("b")}},
	}}
	if err := write(dir, c); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(corpus, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got[e.Name()] = string(b)
	}
	want := map[string]string{
		"bypass-changed":   "go test fuzz v1\nstring(\"new\")\nbool(true)\nbyte('\\x02')\nint(7)\nuint64(9)\n[]byte(\"b\")\n",
		"0123456789abcdef": "go test fuzz v1\nstring(\"found by fuzzing\")\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("write mismatch (-want +got):\n%s", diff)
	}
}

// TestRun runs the command on a copy of the policy files and checks that it
// writes every corpus.
func TestRun(t *testing.T) {
	root := t.TempDir()
	policies := filepath.Join(root, "internal", "targets", "policies")
	if err := os.MkdirAll(policies, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(policies, "p.json"), []byte(`{"allowOrigins": ["https://a.example"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"-dir", filepath.Join(root, "fuzz")}, &stderr); code != 0 {
		t.Fatalf("run = %d, stderr:\n%s", code, stderr.String())
	}
	for _, target := range []string{"FuzzOrigin", "FuzzOriginNetURL", "FuzzHeaderList", "FuzzSafelist", "FuzzCORSCheck", "FuzzJudge"} {
		if entries, err := os.ReadDir(filepath.Join(root, "fuzz", "testdata", "fuzz", target)); err != nil || len(entries) == 0 {
			t.Errorf("no seeds for %s: %v", target, err)
		}
	}
	for _, target := range []string{"FuzzParsePolicy", "FuzzPolicyPattern"} {
		if entries, err := os.ReadDir(filepath.Join(root, "fuzz", "loaders", "testdata", "fuzz", target)); err != nil || len(entries) == 0 {
			t.Errorf("no seeds for %s: %v", target, err)
		}
	}
	if code := run([]string{"-dir", filepath.Join(root, "nowhere", "fuzz")}, &stderr); code != 2 || !strings.Contains(stderr.String(), "no policy files") {
		t.Errorf("run without policy files = %d, stderr %q; want 2 and a message", code, stderr.String())
	}
}
