package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// runCLI runs crosscheck with args and returns its exit code and output.
func casesCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

// normalized returns the output's lines with runs of spaces collapsed (and
// the non-breaking spaces go-cmp may print turned into spaces), so tests do
// not depend on column widths.
func normalized(s string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		lines = append(lines, strings.Join(strings.Fields(strings.ReplaceAll(l, "\u00a0", " ")), " "))
	}
	return lines
}

// section returns the normalized lines after the line heading and before
// the next blank line.
func section(s, heading string) []string {
	var out []string
	in := false
	for _, l := range normalized(s) {
		switch {
		case l == heading:
			in = true
		case in && l == "":
			return out
		case in:
			out = append(out, l)
		}
	}
	return out
}

func TestCasesHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string // first line of stdout
	}{
		{[]string{"cases", "--help"}, "Usage: crosscheck cases <subcommand> [flags] [args]"},
		{[]string{"cases", "list", "--help"}, "Usage: crosscheck cases list [--tag TAG] [FILE...]"},
		{[]string{"cases", "show", "-h"}, "Usage: crosscheck cases show ID [FILE...]"},
		{[]string{"cases", "stats", "--help"}, "Usage: crosscheck cases stats [FILE...]"},
		{[]string{"cases", "check", "--help"}, "Usage: crosscheck cases check FILE..."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, _ := casesCLI(t, tt.args...)
			if code != exitOK {
				t.Errorf("exit %d, want %d", code, exitOK)
			}
			if first, _, _ := strings.Cut(stdout, "\n"); first != tt.want {
				t.Errorf("first line %q, want %q", first, tt.want)
			}
		})
	}
}

func TestCasesUsageErrors(t *testing.T) {
	tests := []struct {
		args       []string
		wantStderr string // a line stderr must hold
	}{
		{[]string{"cases"}, "Usage: crosscheck cases <subcommand> [flags] [args]"},
		{[]string{"cases", "frobnicate"}, `crosscheck cases: unknown subcommand "frobnicate"`},
		{[]string{"cases", "check"}, "crosscheck cases check: want at least one FILE"},
		{[]string{"cases", "show"}, "crosscheck cases show: want a case ID"},
		{[]string{"cases", "list", "--nope"}, "flag provided but not defined: -nope"},
		{[]string{"cases", "show", "no/such-case"}, `crosscheck cases show: no case "no/such-case"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := casesCLI(t, tt.args...)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if !strings.Contains("\n"+stderr, "\n"+tt.wantStderr+"\n") {
				t.Errorf("stderr lacks the line %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}

func TestCasesCheck(t *testing.T) {
	tests := []struct {
		name       string
		files      []string
		wantCode   int
		wantStdout []string // normalized stdout lines, in order; go-cmp's unchanged lines are skipped
		wantStderr []string // stderr lines
	}{
		{
			name:       "all agree",
			files:      []string{"testdata/cases-agree.json"},
			wantCode:   exitOK,
			wantStdout: []string{"3 cases: 3 agree with the model, 0 disagree"},
		},
		{
			name:     "a disagreement",
			files:    []string{"testdata/cases-disagree.json"},
			wantCode: exitFindings,
			wantStdout: []string{
				"DISAGREE u/uppercase (testdata/cases-disagree.json:7): Claims an uppercase ACAO passes",
				"expected vs model (-expected +model):",
				"cases.Result{",
				`- Outcome: "allowed",`,
				`+ Outcome: "blocked",`,
				"}",
				"model: blocked at response: acao-mismatch: " + spec.ACAOMismatch.Doc() + ` ("HTTPS://APP.EXAMPLE")`,
				"model rule: " + spec.ACAOMismatch.SpecURL(),
				"case spec: https://fetch.spec.whatwg.org/#concept-cors-check",
				"2 cases: 1 agree with the model, 1 disagree",
			},
		},
		{
			name:     "several files, one disagreeing",
			files:    []string{"testdata/cases-agree.json", "testdata/cases-disagree.json"},
			wantCode: exitFindings,
		},
		{
			name:     "invalid file",
			files:    []string{"testdata/cases-invalid.json"},
			wantCode: exitError,
			wantStderr: []string{
				`testdata/cases-invalid.json:4: case "u/no-outcome": expect.outcome: missing: required`,
				`testdata/cases-invalid.json:5: case "u/bad-header": request.headers[0]: want a [name, value] pair of strings, got 1 element`,
				"2 problems",
			},
		},
		{
			name:     "unreadable file next to a valid one",
			files:    []string{"testdata/cases-agree.json", "testdata/no-such-file.json"},
			wantCode: exitError,
			wantStderr: []string{
				"testdata/no-such-file.json: cannot read: open testdata/no-such-file.json: no such file or directory",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := casesCLI(t, append([]string{"cases", "check"}, tt.files...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			if tt.wantStdout != nil {
				if diff := cmp.Diff(tt.wantStdout, withoutCmpContext(normalized(stdout))); diff != "" {
					t.Errorf("stdout mismatch (-want +got):\n%s", diff)
				}
			}
			if tt.wantStderr != nil {
				if diff := cmp.Diff(tt.wantStderr, strings.Split(strings.TrimRight(stderr, "\n"), "\n")); diff != "" {
					t.Errorf("stderr mismatch (-want +got):\n%s", diff)
				}
			}
			if tt.wantCode == exitError && stdout != "" {
				t.Errorf("stdout = %q, want nothing when the files cannot be used", stdout)
			}
		})
	}
}

// withoutCmpContext drops the unchanged lines inside a go-cmp diff (field
// lines without a -/+ mark, "... // n identical" notes), whose layout
// go-cmp does not promise to keep.
func withoutCmpContext(lines []string) []string {
	var out []string
	inDiff := false
	for _, l := range lines {
		switch {
		case strings.HasSuffix(l, "{") && strings.HasPrefix(l, "cases.Result"):
			inDiff = true
		case l == "}":
			inDiff = false
		case inDiff && !strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "+"):
			continue
		}
		out = append(out, l)
	}
	return out
}

func TestCasesListFile(t *testing.T) {
	code, stdout, _ := casesCLI(t, "cases", "list", "testdata/cases-agree.json")
	want := []string{
		"u/star ACAO * without credentials",
		"u/missing No ACAO",
		"testdata/cases-agree.json#2",
	}
	if code != exitOK {
		t.Errorf("exit %d, want 0", code)
	}
	if diff := cmp.Diff(want, normalized(stdout)); diff != "" {
		t.Errorf("list mismatch (-want +got):\n%s", diff)
	}

	code, stdout, _ = casesCLI(t, "cases", "list", "--tag", "wildcard", "testdata/cases-agree.json")
	if diff := cmp.Diff([]string{"u/star ACAO * without credentials"}, normalized(stdout)); code != exitOK || diff != "" {
		t.Errorf("list --tag wildcard: exit %d, mismatch (-want +got):\n%s", code, diff)
	}
}

// TestCasesListEmbedded checks list --tag against the table itself.
func TestCasesListEmbedded(t *testing.T) {
	tab, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	const tag = "preflight-redirect"
	var want []string
	for _, c := range tab.Cases {
		if c.HasTag(tag) {
			want = append(want, c.ID)
		}
	}
	code, stdout, _ := casesCLI(t, "cases", "list", "--tag", tag)
	var got []string
	for _, l := range normalized(stdout) {
		id, _, _ := strings.Cut(l, " ")
		got = append(got, id)
	}
	if code != exitOK || len(want) == 0 {
		t.Errorf("exit %d with %d cases tagged %q", code, len(want), tag)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("list --tag %s ids mismatch (-want +got):\n%s", tag, diff)
	}
}

func TestCasesShow(t *testing.T) {
	code, stdout, stderr := casesCLI(t, "cases", "show", "u/uppercase", "testdata/cases-disagree.json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := normalized(stdout)
	want := []string{
		"u/uppercase (testdata/cases-disagree.json:7)",
		"{",
		`"id": "u/uppercase",`,
		`"title": "Claims an uppercase ACAO passes",`,
	}
	if len(lines) < len(want) || !cmp.Equal(want, lines[:len(want)]) {
		t.Errorf("show starts with %q, want %q", lines[:min(len(lines), len(want))], want)
	}
	for _, l := range []string{
		"verdict:",
		"outcome: blocked",
		"reason: acao-mismatch: " + spec.ACAOMismatch.Doc(),
		`detail: "HTTPS://APP.EXAMPLE"`,
		"spec: " + spec.ACAOMismatch.SpecURL(),
		"the model DISAGREES with expect (-expect +model):",
	} {
		if !contains(lines, l) {
			t.Errorf("show output lacks %q:\n%s", l, stdout)
		}
	}

	code, stdout, _ = casesCLI(t, "cases", "show", "u/ok", "testdata/cases-disagree.json")
	if lines := normalized(stdout); code != exitOK || lines[len(lines)-1] != "the model agrees with expect." {
		t.Errorf("show u/ok: exit %d, last line %q", code, lines[len(lines)-1])
	}
}

func TestCasesShowEmbedded(t *testing.T) {
	tab, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	c := tab.Cases[len(tab.Cases)/2]
	code, stdout, _ := casesCLI(t, "cases", "show", c.ID)
	if first := normalized(stdout)[0]; code != exitOK || !strings.HasPrefix(first, c.ID+" (cases/data/") {
		t.Errorf("show %s: exit %d, first line %q", c.ID, code, first)
	}
}

func contains(lines []string, l string) bool {
	for _, x := range lines {
		if x == l {
			return true
		}
	}
	return false
}

func TestCasesStatsFile(t *testing.T) {
	code, stdout, stderr := casesCLI(t, "cases", "stats", "testdata/cases-agree.json")
	if code != exitOK {
		t.Errorf("exit %d, want 0 (goals apply to the embedded table only); stderr:\n%s", code, stderr)
	}
	if first := normalized(stdout)[0]; first != "3 cases in 1 file" {
		t.Errorf("first line %q, want %q", first, "3 cases in 1 file")
	}
	if diff := cmp.Diff([]string{"testdata/cases-agree.json 3"}, section(stdout, "by file:")); diff != "" {
		t.Errorf("by file mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"allowed 2", "blocked 1", "with a chrome divergence 0", "with a firefox divergence 0", "with a webkit divergence 0"}, section(stdout, "by outcome:")); diff != "" {
		t.Errorf("by outcome mismatch (-want +got):\n%s", diff)
	}
	var wantReasons []string
	for _, r := range spec.Reasons() {
		n := "0"
		if r == spec.ACAOMissing {
			n = "1"
		}
		wantReasons = append(wantReasons, string(r)+" "+n)
	}
	if diff := cmp.Diff(wantReasons, section(stdout, "by reason:")); diff != "" {
		t.Errorf("by reason mismatch (-want +got):\n%s", diff)
	}
	groups := section(stdout, "by catalog group (first tag):")
	for _, l := range []string{"acao-missing 1", "acao-exact-match 1", "origin-header 0", "vary-origin 0 (not observable in one exchange)", "(no tag) 1 (not a catalog group)"} {
		if !contains(groups, l) {
			t.Errorf("by catalog group lacks %q:\n%s", l, strings.Join(groups, "\n"))
		}
	}
}

// TestCasesStatsEmbedded: the embedded table meets its coverage goals, so
// stats flags nothing and exits 0.
func TestCasesStatsEmbedded(t *testing.T) {
	code, stdout, stderr := casesCLI(t, "cases", "stats")
	if code != exitOK || strings.Contains(stdout, "<-") {
		t.Errorf("stats: exit %d, want 0 and no flagged line; stderr: %s\n%s", code, stderr, stdout)
	}
}

// TestDivergencesDocFresh keeps docs/browser-divergences.md in step with
// the table's browser records: regenerate it with
// `crosscheck cases divergences > docs/browser-divergences.md`.
func TestDivergencesDocFresh(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch([]string{"cases", "divergences"}, &out, &errb); code != exitOK {
		t.Fatalf("cases divergences: exit %d: %s", code, errb.String())
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(divergencesDoc)))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(doc) {
		t.Errorf("%s is stale: run `go run ./cmd/crosscheck cases divergences > %s`", divergencesDoc, divergencesDoc)
	}
	// Every case with a record is on the page, once per record.
	tbl, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tbl.Cases {
		for _, e := range cases.Engines {
			if n := len(c.Browsers[e]); n > 0 && strings.Count(out.String(), "- `"+c.ID+"` ("+e+" ") != n {
				t.Errorf("%s: %d %s records, not all listed with their notes", c.ID, n, e)
			}
		}
	}
}

func TestDescribeResult(t *testing.T) {
	yes := true
	tests := []struct {
		r    cases.Result
		want string
	}{
		{cases.Result{Outcome: spec.Allowed}, "allowed"},
		{cases.Result{Outcome: spec.Allowed, Preflight: &yes, ExposedHeaders: []string{"x-a", "x-b"}}, "allowed, preflight, exposes x-a x-b"},
		{cases.Result{Outcome: spec.Blocked, BlockedAt: spec.StagePreflight, Reason: spec.HeaderNotAllowed, Preflight: &yes}, "blocked at preflight (`header-not-allowed`), preflight"},
	}
	for _, tt := range tests {
		if got := describeResult(tt.r); got != tt.want {
			t.Errorf("describeResult(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}
