package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crosscheck-dev/crosscheck/docs"
	"github.com/crosscheck-dev/crosscheck/runner"
)

func init() {
	register(command{name: "findings", summary: "explain a finding code of `run`, offline", run: findingsCmd})
}

const findingsUsage = `Usage: crosscheck findings [CODE | TOPIC]

Prints the documentation of a finding code of 'crosscheck run' — what it
means, why it matters, the rule that decides its severity, how to fix it, a
bad and a good response — from docs/findings.md, which is built into the
binary. Without an argument, lists the codes and the topics. TOPIC is a
section such as "severity", "bypass classes in the public record" or "how
the runner probes".

Exit codes: 0 printed, 2 unknown code or bad arguments.
`

func findingsCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crosscheck findings", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), findingsUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return exitError
	}
	if fs.NArg() == 0 {
		return listFindings(stdout)
	}
	// A topic may be given in words, unquoted.
	topic := strings.Join(fs.Args(), " ")
	sec, ok := docs.Section(topic)
	if !ok {
		fmt.Fprintf(stderr, "crosscheck findings: %q is not a finding code or a section of %s; run 'crosscheck findings' for the list\n", topic, runner.DocsPath)
		return exitError
	}
	if _, err := io.WriteString(stdout, sec); err != nil {
		return exitError
	}
	return exitOK
}

// listFindings prints every code with its title and highest severity, then
// the other sections.
func listFindings(w io.Writer) int {
	var b strings.Builder
	b.WriteString("Finding codes of 'crosscheck run' (highest severity each can take):\n\n")
	for _, c := range runner.AllCodes() {
		fmt.Fprintf(&b, "  %-26s %-7s %s\n", c, c.MaxSeverity(), c.Title())
	}
	b.WriteString("\nTopics:\n\n")
	for _, h := range docs.Headings() {
		if !runner.Code(h).Known() {
			fmt.Fprintf(&b, "  %s\n", strings.ToLower(h))
		}
	}
	fmt.Fprintf(&b, "\n'crosscheck findings CODE' prints one; the source is %s in the repository.\n", runner.DocsPath)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return exitError
	}
	return exitOK
}
