package runner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// TestCodesDocumented: every finding code has a title, a highest severity
// and a section in docs/findings.md with its severity rule and a bad and a
// good response.
func TestCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/findings.md")
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(doc), "\n## ")
	for _, c := range runner.AllCodes() {
		if !c.Known() || c.Title() == "" {
			t.Errorf("%s: no title", c)
		}
		if _, err := runner.ParseSeverity(string(c.MaxSeverity())); err != nil {
			t.Errorf("%s: %v", c, err)
		}
		var sec string
		for _, s := range sections {
			if strings.HasPrefix(s, string(c)+"\n") {
				sec = s
			}
		}
		if sec == "" {
			t.Errorf("%s: no section in docs/findings.md", c)
			continue
		}
		for _, want := range []string{"**Means.**", "**Why it matters.**", "**Severity.**", "**Fix.**", "Bad", "Good"} {
			if !strings.Contains(sec, want) {
				t.Errorf("%s: section lacks %q", c, want)
			}
		}
	}
}
