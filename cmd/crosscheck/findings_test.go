package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
)

func runFindings(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"findings"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// TestFindingsEveryCode: every code's section prints offline, with its
// severity rule and fix, and nothing of the next section.
func TestFindingsEveryCode(t *testing.T) {
	for _, c := range runner.AllCodes() {
		code, stdout, stderr := runFindings(string(c))
		if code != exitOK || stderr != "" {
			t.Errorf("findings %s = %d, stderr %q", c, code, stderr)
			continue
		}
		if !strings.HasPrefix(stdout, "## "+string(c)+"\n") || strings.Count(stdout, "\n## ") != 0 {
			t.Errorf("findings %s: not exactly its section:\n%s", c, stdout)
		}
		for _, want := range []string{"**Severity.**", "**Fix.**"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("findings %s lacks %s", c, want)
			}
		}
	}
}

func TestFindingsListAndTopics(t *testing.T) {
	code, stdout, _ := runFindings()
	if code != exitOK || !strings.Contains(stdout, "origin-empty-label         info    a subdomain pattern") ||
		!strings.Contains(stdout, "\n  severity\n") {
		t.Errorf("list = %d:\n%s", code, stdout)
	}
	code, stdout, _ = runFindings("bypass", "classes", "in", "the", "public", "record")
	if code != exitOK || !strings.Contains(stdout, "GHSA-vhxv-fg4m-p2w8") {
		t.Errorf("topic = %d:\n%s", code, stdout)
	}
	code, stdout, stderr := runFindings("no-such-code")
	if code != exitError || stdout != "" || !strings.Contains(stderr, `"no-such-code" is not a finding code`) {
		t.Errorf("unknown = %d, %q, %q", code, stdout, stderr)
	}
	if code, stdout, _ := runFindings("--help"); code != exitOK || !strings.Contains(stdout, "Usage: crosscheck findings") {
		t.Errorf("help = %d:\n%s", code, stdout)
	}
}
