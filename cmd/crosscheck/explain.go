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

"expect" is optional; when given, the verdict is compared with it. The
request may set "mode", "redirect", "forcePreflight" and "bodyType". Instead
of one exchange the object may hold "steps": exchanges made one after the
other from one page (each may wait "waitMs" first), which share the
CORS-preflight cache; each step is explained in turn, with whether its
preflight was sent or served by the cache, by which entry, until when.

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
	if c.IsSequence() {
		return explainSteps(c, *format == "json", stdout)
	}
	vs, traces := c.Model()
	v, trace := vs[0], traces[0]
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
		} else if r := v.Reason.ChromeReport(); r != "" {
			row("chrome", r)
		}
		row("spec", v.SpecURL())
	}
	if v.Outcome != spec.Blocked {
		row("response type", string(v.ResponseType))
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

// explanationJSON is the --format json output of explain for one exchange
// (and for each step of a sequence).
type explanationJSON struct {
	Outcome      spec.Outcome       `json:"outcome"`
	ResponseType spec.ResponseType  `json:"responseType,omitempty"`
	Stage        spec.Stage         `json:"blockedAt,omitempty"`
	Reason       spec.Reason        `json:"reason,omitempty"`
	Detail       string             `json:"detail,omitempty"`
	Spec         string             `json:"spec,omitempty"`
	ChromeError  string             `json:"chromeError,omitempty"`
	Chrome       string             `json:"chrome,omitempty"`
	Preflights   int                `json:"preflights"`
	Exposed      []string           `json:"exposedHeaders,omitempty"`
	Sent         []spec.SentRequest `json:"sent"`
	Cache        []cacheJSON        `json:"preflightCache,omitempty"`
	Steps        []spec.Step        `json:"steps"`
	Agrees       *bool              `json:"agreesWithExpect,omitempty"`
	Diff         string             `json:"diff,omitempty"`
}

// cacheJSON is one CORS-preflight cache lookup: whether it spared the
// preflight, and the entries that matched.
type cacheJSON struct {
	Hop         int              `json:"hop"`
	AtMs        int64            `json:"atMs"`
	Origin      string           `json:"origin"`
	URL         string           `json:"url"`
	Credentials bool             `json:"credentials"`
	Hit         bool             `json:"hit"`
	Entries     []cacheEntryJSON `json:"entries,omitempty"`
	Missing     []string         `json:"missing,omitempty"`
}

// cacheEntryJSON is a cache entry that matched a lookup.
type cacheEntryJSON struct {
	Method     string `json:"method,omitempty"`
	HeaderName string `json:"headerName,omitempty"`
	For        string `json:"for,omitempty"` // the request's header name the entry matched
	StoredMs   int64  `json:"storedMs"`
	MaxAge     int64  `json:"maxAge"`
	ExpiresMs  int64  `json:"expiresMs"`
}

func explanationOf(v spec.Verdict, trace spec.Trace) explanationJSON {
	out := explanationJSON{Outcome: v.Outcome, ResponseType: v.ResponseType, Stage: v.Stage, Reason: v.Reason, Detail: v.Detail,
		Spec: v.SpecURL(), ChromeError: v.ChromeError(), Preflights: v.Preflights, Exposed: v.Exposed,
		Sent: trace.Sent, Steps: trace.Steps}
	if out.ChromeError == "" {
		out.Chrome = v.Reason.ChromeReport()
	}
	if out.Sent == nil {
		out.Sent = []spec.SentRequest{}
	}
	for _, l := range trace.Cache {
		cj := cacheJSON{Hop: l.Hop, AtMs: l.Now, Origin: l.Key.Origin, URL: l.Key.URL,
			Credentials: l.Key.Credentials == spec.CredentialsInclude, Hit: !l.Needed, Missing: l.Missing}
		entry := func(e *spec.CacheEntry, name string) {
			cj.Entries = append(cj.Entries, cacheEntryJSON{Method: e.Method, HeaderName: e.HeaderName, For: name,
				StoredMs: e.Stored, MaxAge: e.MaxAge, ExpiresMs: e.Expires()})
		}
		if l.Method != nil {
			entry(l.Method, "")
		}
		for i, e := range l.Headers {
			if e != nil {
				entry(e, l.Names[i])
			}
		}
		out.Cache = append(out.Cache, cj)
	}
	return out
}

func writeExplanationJSON(w io.Writer, v spec.Verdict, trace spec.Trace, hasExpect bool, diff string) {
	out := explanationOf(v, trace)
	out.Diff = diff
	if hasExpect {
		agrees := diff == ""
		out.Agrees = &agrees
	}
	writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // a failed write to stdout has nowhere to be reported
}

// explainSteps explains a sequence: each step in turn, with its wait, the
// page's time, and what the CORS-preflight cache answered. When steps give
// expect, every step is compared; exit 1 when one disagrees.
func explainSteps(c cases.Case, asJSON bool, stdout io.Writer) int {
	vs, traces := c.Model()
	steps := c.Exchanges()
	diff := c.ModelDiff()
	hasExpect := false
	for _, s := range steps {
		hasExpect = hasExpect || s.Expect.Outcome != ""
	}
	if asJSON {
		type stepJSON struct {
			WaitMs int64 `json:"waitMs"`
			AtMs   int64 `json:"atMs"`
			explanationJSON
		}
		out := struct {
			Steps  []stepJSON `json:"steps"`
			Agrees *bool      `json:"agreesWithExpect,omitempty"`
			Diff   string     `json:"diff,omitempty"`
		}{Diff: diff}
		at := int64(0)
		for i, v := range vs {
			at += int64(steps[i].WaitMs)
			out.Steps = append(out.Steps, stepJSON{WaitMs: int64(steps[i].WaitMs), AtMs: at, explanationJSON: explanationOf(v, traces[i])})
		}
		if hasExpect {
			agrees := diff == ""
			out.Agrees = &agrees
		}
		writeJSON(stdout, out)
	} else {
		at := 0
		for i, v := range vs {
			at += steps[i].WaitMs
			fmt.Fprintf(stdout, "=== step %d of %d (page time %d ms", i+1, len(vs), at)
			if steps[i].WaitMs > 0 {
				fmt.Fprintf(stdout, ", after waiting %d ms", steps[i].WaitMs)
			}
			fmt.Fprintln(stdout, ")")
			writeCacheSummary(stdout, traces[i])
			writeExplanation(stdout, v, traces[i])
			fmt.Fprintln(stdout)
		}
		if hasExpect {
			if diff != "" {
				fmt.Fprintln(stdout, "the verdicts DISAGREE with expect (-expect +model):")
				fmt.Fprint(stdout, indent(diff, "  "))
			} else {
				fmt.Fprintln(stdout, "every step agrees with expect.")
			}
		}
	}
	if diff != "" {
		return exitFindings
	}
	return exitOK
}

// writeCacheSummary says in one line per lookup whether the step's
// preflight came from the CORS-preflight cache, and why.
func writeCacheSummary(w io.Writer, trace spec.Trace) {
	if len(trace.Cache) == 0 {
		fmt.Fprintln(w, "preflight cache: not consulted (no request needed a preflight)")
		return
	}
	for _, l := range trace.Cache {
		if l.Needed {
			fmt.Fprintf(w, "preflight cache: miss for %s (no live entry for %s): preflight sent\n", l.Key.URL, strings.Join(l.Missing, ", "))
			continue
		}
		var by []string
		if l.Method != nil {
			by = append(by, fmt.Sprintf("method %s until %d ms", l.Method.Method, l.Method.Expires()))
		}
		for i, e := range l.Headers {
			if e != nil {
				by = append(by, fmt.Sprintf("header %s (entry %s) until %d ms", l.Names[i], e.HeaderName, e.Expires()))
			}
		}
		fmt.Fprintf(w, "preflight cache: hit for %s, no preflight: %s\n", l.Key.URL, strings.Join(by, "; "))
	}
}
