package docs_test

import (
	"os"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/docs"
)

// TestEmbedded: the embedded text is the file in the repository.
func TestEmbedded(t *testing.T) {
	b, err := os.ReadFile("findings.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != docs.Findings {
		t.Error("the embedded findings.md differs from the file")
	}
}

func TestSection(t *testing.T) {
	tests := []struct {
		title       string
		ok          bool
		first, last string // the first line and a line the section must end before
	}{
		{"origin-reflected", true, "## origin-reflected", "## null-origin-allowed"},
		{"Severity", true, "## Severity", "## Bypass classes in the public record"},
		{"severity", true, "## Severity", "## Bypass classes"},
		{"How the runner probes", true, "## How the runner probes", "## Severity"},
		{"Bypass classes in the public record", true, "## Bypass classes in the public record", "## allowed-request-blocked"},
		{"origin-case-insensitive", true, "## origin-case-insensitive", "## What is never reported"},
		{"no-such-code", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			got, ok := docs.Section(tt.title)
			if ok != tt.ok {
				t.Fatalf("Section(%q) ok = %v", tt.title, ok)
			}
			if !ok {
				return
			}
			if first, _, _ := strings.Cut(got, "\n"); first != tt.first {
				t.Errorf("first line %q, want %q", first, tt.first)
			}
			if strings.Contains(got, "\n"+tt.last+"\n") {
				t.Errorf("section runs into %q", tt.last)
			}
		})
	}
}

func TestHeadings(t *testing.T) {
	h := docs.Headings()
	if len(h) < 20 || h[0] != "How the runner probes" || h[len(h)-1] != "What is never reported" {
		t.Errorf("headings %q", h)
	}
}
