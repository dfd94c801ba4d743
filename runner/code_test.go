package runner_test

import (
	"os"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// TestCodesDocumented: every finding code has a title and a section in
// docs/findings.md with a bad and a good response.
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
		for _, want := range []string{"**Means.**", "**Why it matters.**", "**Fix.**", "Bad", "Good"} {
			if !strings.Contains(sec, want) {
				t.Errorf("%s: section lacks %q", c, want)
			}
		}
	}
}
