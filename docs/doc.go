// Package docs embeds crosscheck's reference documentation in the binary,
// so that help works offline: `crosscheck findings CODE` prints a section
// of findings.md, and SARIF reports carry it as each rule's help.
package docs

import (
	_ "embed"
	"strings"
)

// Findings is docs/findings.md: every finding code of `crosscheck run`, its
// severity rule, its fix, and the probes and bypass classes.
//
//go:embed findings.md
var Findings string

// Section returns the section of findings.md whose level-2 heading is
// title (a finding code such as "origin-reflected", or a heading such as
// "Severity"; case-insensitive), from its heading to the next level-2
// heading or the horizontal rule that ends the introduction, trimmed.
func Section(title string) (string, bool) {
	for _, s := range strings.Split(Findings, "\n## ")[1:] {
		heading, _, _ := strings.Cut(s, "\n")
		if !strings.EqualFold(strings.TrimSpace(heading), title) {
			continue
		}
		body, _, _ := strings.Cut(s, "\n---\n")
		return "## " + strings.TrimSpace(body) + "\n", true
	}
	return "", false
}

// Headings lists the level-2 headings of findings.md in order.
func Headings() []string {
	var out []string
	for _, s := range strings.Split(Findings, "\n## ")[1:] {
		heading, _, _ := strings.Cut(s, "\n")
		out = append(out, strings.TrimSpace(heading))
	}
	return out
}
