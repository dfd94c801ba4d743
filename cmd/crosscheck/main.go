// Command crosscheck checks CORS against the Fetch Standard: it explains
// single exchanges, checks case tables, certifies servers against a declared
// policy, and replays cases in headless Chromium.
//
// Exit codes: 0 = conforms or agrees, 1 = findings or disagreement,
// 2 = could not run (bad input, unreachable target, missing Chromium).
// Results go to stdout, diagnostics to stderr.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0 // conforms / agrees
	exitFindings = 1 // findings / disagreement
	exitError    = 2 // could not run
)

// command is one subcommand. Each lives in its own file and registers
// itself from an init function.
type command struct {
	name    string
	summary string                                            // one line for the command list
	run     func(args []string, stdout, stderr io.Writer) int // returns the exit code
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func main() { os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr)) }

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "crosscheck: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitError
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "crosscheck checks CORS against the Fetch Standard.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: crosscheck <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'crosscheck <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 conforms/agrees, 1 findings/disagreement, 2 could not run.")
}
