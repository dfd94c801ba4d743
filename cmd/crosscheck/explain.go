package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func init() {
	register(command{
		name:    "explain",
		summary: "judge one exchange and show which CORS rule decides it, step by step",
		run:     runExplain,
	})
}

const explainUsage = `Usage: crosscheck explain [--format text|json] [FILE]
       crosscheck explain --har FILE [--format text|json]

Reads one exchange from FILE (or standard input when FILE is absent or "-")
and prints the verdict a browser following the Fetch Standard reaches: allowed
or blocked, the stage and reason that decided it, the spec section, the Chrome
CorsError that matches, the requests the browser sends and every step taken.

The exchange is one case object of the case table's format (see
cases/README.md), for example:

  {"request": {"origin": "https://app.example", "url": "https://api.example/x",
               "method": "PUT", "credentials": "include"},
   "preflight": {"status": 204, "headers": [
     ["Access-Control-Allow-Origin", "https://app.example"],
     ["Access-Control-Allow-Credentials", "true"],
     ["Access-Control-Allow-Methods", "put"]]},
   "response": {"status": 200, "headers": [["Access-Control-Allow-Origin", "https://app.example"]]}}

"expect" is optional; when given, the verdict is compared with it.

Exit status: 0 explained (and agrees with expect when given), 1 disagrees
with expect, 2 could not read the exchange.

Flags:
`

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	har := fs.String("har", "", "explain every cross-origin request of a HAR `FILE` saved from Chrome's or Firefox's DevTools, blocked ones first (exit 1 when one is blocked)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), explainUsage)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "crosscheck explain: --format %q: want text or json\n", *format)
		return exitError
	}
	if *har != "" {
		return runExplainHAR(*har, *format, fs.Args(), stdout, stderr)
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "crosscheck explain: want at most one FILE")
		return exitError
	}
	name, data, err := readInput(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck explain: %v\n", err)
		return exitError
	}
	c, err := cases.ParseExchange(name, data)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck explain: %s is not a valid exchange:\n", name)
		fmt.Fprintln(stderr, indent(err.Error(), "  "))
		return exitError
	}
	v, trace := spec.Explain(c.Exchange())
	hasExpect := c.Expect.Outcome != ""
	diff := ""
	if hasExpect {
		diff = c.Compare(v)
	}
	if *format == "json" {
		writeExplanationJSON(stdout, v, trace, hasExpect, diff)
	} else {
		writeExplanation(stdout, v, trace)
		if hasExpect {
			if diff != "" {
				fmt.Fprintln(stdout, "the verdict DISAGREES with expect (-expect +model):")
				fmt.Fprint(stdout, indent(diff, "  "))
			} else {
				fmt.Fprintln(stdout, "the verdict agrees with expect.")
			}
		}
	}
	if diff != "" {
		return exitFindings
	}
	return exitOK
}

// readInput reads path, or standard input when path is "" or "-".
func readInput(path string) (name string, data []byte, err error) {
	if path == "" || path == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
		return "stdin", data, err
	}
	data, err = os.ReadFile(path)
	return path, data, err
}

// writeExplanation prints a verdict, the requests sent and the steps taken.
func writeExplanation(w io.Writer, v spec.Verdict, trace spec.Trace) {
	fmt.Fprintln(w, "verdict:")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s:\t%s\n", k, v) }
	row("outcome", string(v.Outcome))
	if v.Outcome == spec.Blocked {
		row("blocked at", fmt.Sprintf("%s (after %d redirects)", v.Stage, v.Hop))
		row("reason", fmt.Sprintf("%s: %s", v.Reason, v.Reason.Doc()))
		if v.Detail != "" {
			row("detail", fmt.Sprintf("%q", v.Detail))
		}
		if ce := v.ChromeError(); ce != "" {
			row("chrome error", ce)
		}
		row("spec", v.SpecURL())
	}
	row("preflights", fmt.Sprint(v.Preflights))
	if v.Outcome == spec.Allowed {
		row("script can read", strings.Join(v.Exposed, ", "))
	}
	tw.Flush()
	if len(trace.Sent) > 0 {
		fmt.Fprintln(w, "requests sent:")
		for _, r := range trace.Sent {
			line := "  " + r.Method + " " + r.URL
			if r.Origin != "" {
				line += "  Origin: " + r.Origin
			}
			if r.ACRM != "" {
				line += "  Access-Control-Request-Method: " + r.ACRM
			}
			if r.ACRH != "" {
				line += "  Access-Control-Request-Headers: " + r.ACRH
			}
			fmt.Fprintln(w, line)
		}
	}
	if len(trace.Steps) > 0 {
		fmt.Fprintln(w, "steps:")
		for _, s := range trace.Steps {
			stage := ""
			if s.Stage != "" {
				stage = "[" + string(s.Stage) + "] "
			}
			anchor := ""
			if s.Anchor != "" {
				anchor = " (#" + s.Anchor + ")"
			}
			fmt.Fprintf(w, "  %s%s%s\n", stage, s.Text, anchor)
		}
	}
}

// explanationJSON is the --format json output of explain.
type explanationJSON struct {
	Outcome     spec.Outcome       `json:"outcome"`
	Stage       spec.Stage         `json:"blockedAt,omitempty"`
	Reason      spec.Reason        `json:"reason,omitempty"`
	Detail      string             `json:"detail,omitempty"`
	Spec        string             `json:"spec,omitempty"`
	ChromeError string             `json:"chromeError,omitempty"`
	Preflights  int                `json:"preflights"`
	Exposed     []string           `json:"exposedHeaders,omitempty"`
	Sent        []spec.SentRequest `json:"sent"`
	Steps       []spec.Step        `json:"steps"`
	Agrees      *bool              `json:"agreesWithExpect,omitempty"`
	Diff        string             `json:"diff,omitempty"`
}

func writeExplanationJSON(w io.Writer, v spec.Verdict, trace spec.Trace, hasExpect bool, diff string) {
	out := explanationJSON{Outcome: v.Outcome, Stage: v.Stage, Reason: v.Reason, Detail: v.Detail,
		Spec: v.SpecURL(), ChromeError: v.ChromeError(), Preflights: v.Preflights, Exposed: v.Exposed,
		Sent: trace.Sent, Steps: trace.Steps, Diff: diff}
	if hasExpect {
		agrees := diff == ""
		out.Agrees = &agrees
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out) //nolint:errcheck // a failed write to stdout has nowhere to be reported
}
