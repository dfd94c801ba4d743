package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func init() {
	register(command{
		name:    "cases",
		summary: "list, show and count the case table; check case files against the model",
		run:     runCases,
	})
}

// Coverage goals of the embedded table, flagged by "cases stats".
const (
	casesGoalTotal     = 400
	casesGoalPerReason = 3
)

const casesUsage = `Usage: crosscheck cases <subcommand> [flags] [args]

Subcommands:
  list [--tag TAG] [FILE...]   ids and titles of the cases
  show ID [FILE...]            one case's JSON and the model's verdict, step by step
  stats [FILE...]              counts by file, catalog group, outcome and reason
  check FILE...                validate case files and judge each case with the model
  divergences [FILE...]        the browser records as Markdown (docs/browser-divergences.md)

Without FILE, list, show and stats read the embedded table (cases/data/*.json).
FILEs are read leniently: in expect, only outcome is required.
Run 'crosscheck cases <subcommand> --help' for details.
`

func runCases(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, casesUsage)
		return exitError
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, casesUsage)
		return exitOK
	case "list":
		return casesList(args[1:], stdout, stderr)
	case "show":
		return casesShow(args[1:], stdout, stderr)
	case "stats":
		return casesStats(args[1:], stdout, stderr)
	case "check":
		return casesCheck(args[1:], stdout, stderr)
	case "divergences":
		return casesDivergences(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "crosscheck cases: unknown subcommand %q\n\n", args[0])
	fmt.Fprint(stderr, casesUsage)
	return exitError
}

// casesFlags parses a subcommand's flags; done is true when the caller
// should return code (help printed, or a flag error).
func casesFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK, true
		}
		return exitError, true
	}
	return exitOK, false
}

// loadTable loads the given files leniently, or the embedded table. On
// failure it prints every problem on stderr.
func loadTable(files []string, stderr io.Writer) (*cases.Table, bool) {
	var t *cases.Table
	var err error
	if len(files) == 0 {
		t, err = cases.Embedded()
	} else {
		t, err = cases.LoadFiles(files...)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		var es cases.Errors
		if errors.As(err, &es) && len(es) > 1 {
			fmt.Fprintf(stderr, "%d problems\n", len(es))
		}
		return nil, false
	}
	return t, true
}

const casesListUsage = `Usage: crosscheck cases list [--tag TAG] [FILE...]

Prints the id and title of every case (of the embedded table, or of FILEs),
one per line, optionally only those carrying a tag.

`

func casesList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cases list", flag.ContinueOnError)
	tag := fs.String("tag", "", "list only the cases carrying `TAG` (a catalog group id or any other tag)")
	if code, done := casesFlags(fs, casesListUsage, args, stdout, stderr); done {
		return code
	}
	t, ok := loadTable(fs.Args(), stderr)
	if !ok {
		return exitError
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	n := 0
	for _, c := range t.Cases {
		if *tag != "" && !c.HasTag(*tag) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\n", c.Name(), c.Title)
		n++
	}
	tw.Flush()
	if n == 0 && *tag != "" {
		fmt.Fprintf(stderr, "crosscheck cases list: no case has tag %q\n", *tag)
	}
	return exitOK
}

const casesShowUsage = `Usage: crosscheck cases show ID [FILE...]

Prints the case's JSON, the model's verdict (outcome, stage, reason, the
offending value, preflights, exposed headers, spec link), the steps the
model took, and whether the verdict agrees with the case's expect.

`

func casesShow(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cases show", flag.ContinueOnError)
	if code, done := casesFlags(fs, casesShowUsage, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "crosscheck cases show: want a case ID")
		return exitError
	}
	id := fs.Arg(0)
	t, ok := loadTable(fs.Args()[1:], stderr)
	if !ok {
		return exitError
	}
	c, ok := t.ByID(id)
	if !ok {
		fmt.Fprintf(stderr, "crosscheck cases show: no case %q\n", id)
		var near []string
		for _, o := range t.Cases {
			if o.ID != "" && strings.Contains(o.ID, id) {
				near = append(near, o.ID)
			}
		}
		if len(near) > 0 && len(near) <= 10 {
			fmt.Fprintf(stderr, "did you mean: %s\n", strings.Join(near, ", "))
		}
		return exitError
	}

	fmt.Fprintf(stdout, "%s (%s:%d)\n", c.ID, c.File, c.Line)
	fmt.Fprintln(stdout, c.Pretty())
	fmt.Fprintln(stdout)

	if c.IsSequence() {
		explainSteps(c, false, stdout)
		return exitOK
	}
	vs, traces := c.Model()
	v, trace := vs[0], traces[0]
	writeExplanation(stdout, v, trace)
	if diff := c.Compare(v); diff != "" {
		fmt.Fprintln(stdout, "the model DISAGREES with expect (-expect +model):")
		fmt.Fprint(stdout, indent(diff, "  "))
	} else {
		fmt.Fprintln(stdout, "the model agrees with expect.")
	}
	return exitOK
}

const casesStatsUsage = `Usage: crosscheck cases stats [FILE...]

Counts the cases by file, by catalog group (a case's first tag), by outcome
and by reason code. For the embedded table it also flags what misses the
coverage goals (400 cases, every observable catalog group, every reason
code in 3 cases) and then exits 1.

`

func casesStats(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cases stats", flag.ContinueOnError)
	if code, done := casesFlags(fs, casesStatsUsage, args, stdout, stderr); done {
		return code
	}
	t, ok := loadTable(fs.Args(), stderr)
	if !ok {
		return exitError
	}
	goals := fs.NArg() == 0
	short := 0
	miss := func(cond bool, msg string) string {
		if goals && cond {
			short++
			return "  <- " + msg
		}
		return ""
	}

	fmt.Fprintf(stdout, "%s in %s%s\n", count(len(t.Cases), "case"), count(len(t.Files), "file"),
		miss(len(t.Cases) < casesGoalTotal, fmt.Sprintf("want at least %d", casesGoalTotal)))
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nby file:")
	for _, f := range t.Files {
		fmt.Fprintf(tw, "  %s\t%d\n", f.Name, len(f.Cases))
	}

	perGroup := map[string]int{}
	perOutcome := map[spec.Outcome]int{}
	perReason := map[spec.Reason]int{}
	divergent := map[string]int{} // per engine
	for _, c := range t.Cases {
		perGroup[c.Group()]++
		for _, st := range c.Exchanges() { // a steps case counts each step
			perOutcome[st.Expect.Outcome]++
			if st.Expect.Reason != "" {
				perReason[st.Expect.Reason]++
			}
		}
		for e, recs := range c.Browsers {
			if len(recs) > 0 {
				divergent[e]++
			}
		}
	}

	fmt.Fprintln(tw, "\nby catalog group (first tag):")
	known := map[string]bool{}
	for _, g := range cases.Groups() {
		known[g.ID] = true
		n := perGroup[g.ID]
		note := miss(g.Observable && n == 0, "no case")
		if !g.Observable && n == 0 {
			note = "  (not observable in one exchange)"
		}
		fmt.Fprintf(tw, "  %s\t%d%s\n", g.ID, n, note)
	}
	var other []string
	for g := range perGroup {
		if !known[g] {
			other = append(other, g)
		}
	}
	sort.Strings(other)
	for _, g := range other {
		name := g
		if name == "" {
			name = "(no tag)"
		}
		fmt.Fprintf(tw, "  %s\t%d  (not a catalog group)\n", name, perGroup[g])
	}

	fmt.Fprintln(tw, "\nby outcome:")
	for _, o := range []spec.Outcome{spec.Allowed, spec.Blocked, spec.Opaque} {
		if o != spec.Opaque || perOutcome[o] > 0 {
			fmt.Fprintf(tw, "  %s\t%d\n", o, perOutcome[o])
		}
	}
	for _, e := range cases.Engines {
		fmt.Fprintf(tw, "  with a %s divergence\t%d\n", e, divergent[e])
	}

	fmt.Fprintln(tw, "\nby reason:")
	for _, r := range spec.Reasons() {
		n := perReason[r]
		fmt.Fprintf(tw, "  %s\t%d%s\n", r, n, miss(n < casesGoalPerReason, fmt.Sprintf("want at least %d", casesGoalPerReason)))
	}
	tw.Flush()
	if short > 0 {
		fmt.Fprintf(stderr, "crosscheck cases stats: %d coverage goals missed\n", short)
		return exitFindings
	}
	return exitOK
}

const casesCheckUsage = `Usage: crosscheck cases check FILE...

Validates the case files (leniently: in expect only outcome is required;
preflight, blockedAt, reason and exposedHeaders are compared when present)
and judges every case with crosscheck's model of the Fetch Standard. Prints
each disagreement: the case, expected vs model as a diff, the model's
reason and the spec section.

Exit: 0 every case agrees, 1 a disagreement, 2 a file is unreadable or
invalid (every problem is printed on stderr).

`

func casesCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cases check", flag.ContinueOnError)
	if code, done := casesFlags(fs, casesCheckUsage, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "crosscheck cases check: want at least one FILE")
		return exitError
	}
	t, ok := loadTable(fs.Args(), stderr)
	if !ok {
		return exitError
	}
	bad := 0
	for _, c := range t.Cases {
		diff := c.ModelDiff()
		if diff == "" {
			continue
		}
		vs, _ := c.Model()
		bad++
		title := ""
		if c.Title != "" {
			title = ": " + c.Title
		}
		fmt.Fprintf(stdout, "DISAGREE %s (%s:%d)%s\n", c.Name(), c.File, c.Line, title)
		fmt.Fprintln(stdout, "  expected vs model (-expected +model):")
		fmt.Fprint(stdout, indent(diff, "    "))
		for i, v := range vs {
			step := ""
			if c.IsSequence() {
				step = fmt.Sprintf(" (step %d)", i+1)
			}
			switch v.Outcome {
			case spec.Blocked:
				detail := ""
				if v.Detail != "" {
					detail = fmt.Sprintf(" (%q)", v.Detail)
				}
				fmt.Fprintf(stdout, "  model%s: blocked at %s: %s: %s%s\n", step, v.Stage, v.Reason, v.Reason.Doc(), detail)
				fmt.Fprintf(stdout, "  model rule: %s\n", v.SpecURL())
			case spec.Opaque:
				fmt.Fprintf(stdout, "  model%s: opaque (%s response)\n", step, v.ResponseType)
			default:
				fmt.Fprintf(stdout, "  model%s: allowed, exposing [%s]\n", step, strings.Join(v.Exposed, ", "))
			}
		}
		if c.Spec != "" {
			fmt.Fprintf(stdout, "  case spec: %s\n", c.Spec)
		}
	}
	fmt.Fprintf(stdout, "%s: %d agree with the model, %d disagree\n", count(len(t.Cases), "case"), len(t.Cases)-bad, bad)
	if bad > 0 {
		return exitFindings
	}
	return exitOK
}

// indent prefixes every line of a cmp diff, with the non-breaking spaces
// go-cmp sometimes emits turned into plain spaces.
func indent(s, prefix string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l == "" {
			continue
		}
		b.WriteString(prefix)
		b.WriteString(l)
	}
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	return b.String()
}

// count formats n and a noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
