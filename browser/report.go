package browser

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// Report is the result of a verification run: one Run per engine.
type Report struct {
	Runs    []*Run        `json:"runs"`
	Elapsed time.Duration `json:"elapsedNs"`
	// Strays are requests for the cases' hosts the case server could not
	// attribute to a case run.
	Strays []Received `json:"strays,omitempty"`
}

// Run is every case as one engine ran it.
type Run struct {
	// Engine is the engine's name in case records ("chrome").
	Engine string `json:"engine"`
	// Product is the browser's own name and version
	// ("Chrome/156.0.8078.114").
	Product string `json:"product"`
	// Version is the version browser records were matched against.
	Version string        `json:"version"`
	Elapsed time.Duration `json:"elapsedNs"`
	Results []Result      `json:"results"`
}

// Result is one case as an engine ran it, next to the table and the model.
// For a plain case its StepResult is the comparison. For a steps case Steps
// compare each step and the StepResult sums them up: Expect, Want, Model
// and Browser stay empty, the diffs are the steps' prefixed with "step N:",
// DiffFields are "steps[i].field", CouldNotRun is the first step's reason
// (or why the steps could not run), Observed is the whole case's evidence.
type Result struct {
	ID   string `json:"id"`
	File string `json:"file,omitempty"`
	StepResult
	// Record is the browser record applied; nil when none covers the
	// running version.
	Record        *cases.BrowserRecord `json:"record,omitempty"`
	BrowserAgrees bool                 `json:"browserAgrees"`
	ModelAgrees   bool                 `json:"modelAgrees"`
	Steps         []StepResult         `json:"steps,omitempty"`
}

// StepResult is one step of a case (a plain case is one step) as an engine
// ran it, next to the table and the model.
type StepResult struct {
	// Expect is the step's expect: what the Fetch Standard requires.
	Expect cases.Result `json:"expect"`
	// Want is what the table says this engine does at this version: the
	// record covering the version over expect, and the requests the case
	// server must receive (the record's, else the model's trace).
	Want cases.Result `json:"want"`
	// Model is spec.Explain's verdict, with the requests its trace sends.
	Model cases.Result `json:"model"`
	// Browser is the engine's verdict, with the requests the case server
	// received; nil when the step could not run.
	Browser *Verdict `json:"browser,omitempty"`
	// CouldNotRun says why the engine gave no CORS verdict.
	CouldNotRun string `json:"couldNotRun,omitempty"`
	// BrowserDiff and ModelDiff are cmp.Diff (-want +got) of the browser
	// against Want and of the model against Expect; empty when they agree.
	BrowserDiff string `json:"browserDiff,omitempty"`
	ModelDiff   string `json:"modelDiff,omitempty"`
	// DiffFields names the fields of Want the browser differs on.
	DiffFields []string `json:"diffFields,omitempty"`
	// Observed is the raw evidence: script result, the engine's report,
	// what the case server received.
	Observed *Observation `json:"observed,omitempty"`
}

// Exit codes of a report, as crosscheck's commands use them.
const (
	ExitAgree       = 0 // every case agrees
	ExitDisagree    = 1 // a browser or the model disagrees with the table on some case
	ExitCouldNotRun = 2 // some case gave no CORS verdict in a browser
)

// Counts summarizes the run.
func (r *Run) Counts() (agree, disagree, couldNotRun int) {
	for _, x := range r.Results {
		switch {
		case x.CouldNotRun != "" && x.ModelAgrees:
			couldNotRun++
		case x.BrowserAgrees && x.ModelAgrees:
			agree++
		default:
			disagree++
		}
	}
	return
}

// compared is the number of case runs whose browser verdict was compared.
func (r *Report) compared() int {
	n := 0
	for _, run := range r.Runs {
		agree, disagree, _ := run.Counts()
		n += agree + disagree
	}
	return n
}

// ExitCode is ExitDisagree when any case disagrees in any engine, else
// ExitCouldNotRun when any case could not run, else ExitAgree.
func (r *Report) ExitCode() int {
	code := ExitAgree
	for _, run := range r.Runs {
		_, disagree, couldNotRun := run.Counts()
		switch {
		case disagree > 0:
			return ExitDisagree
		case couldNotRun > 0:
			code = ExitCouldNotRun
		}
	}
	return code
}

// summary is one line about an engine's run.
func (r *Run) summary() string {
	agree, disagree, cnr := r.Counts()
	return fmt.Sprintf("%s %s: %d cases in %s: %d agree, %d disagree, %d could not run",
		r.Engine, r.Version, len(r.Results), r.Elapsed.Round(time.Millisecond), agree, disagree, cnr)
}

// WriteText writes, per engine, the disagreements and the cases that could
// not run, each with the fields that differ, its cmp.Diff (-want +got) and
// the evidence, then a summary line per engine. Agreeing cases are not
// listed.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, run := range r.Runs {
		for _, x := range run.Results {
			if x.BrowserAgrees && x.ModelAgrees {
				continue
			}
			switch {
			case x.BrowserDiff != "": // a steps case has no Browser of its own
				fmt.Fprintf(&b, "DISAGREE %s %s: %s", run.Engine, run.Version, x.ID)
			case !x.ModelAgrees:
				fmt.Fprintf(&b, "MODEL    %s", x.ID)
			default:
				fmt.Fprintf(&b, "NOT RUN  %s %s: %s", run.Engine, run.Version, x.ID)
			}
			if x.File != "" {
				fmt.Fprintf(&b, " (%s)", x.File)
			}
			b.WriteString("\n")
			if x.CouldNotRun != "" {
				fmt.Fprintf(&b, "  could not run in %s: %s\n", run.Engine, x.CouldNotRun)
			}
			if x.BrowserDiff != "" {
				want := "expect, no record covers " + run.Version
				if x.Record != nil {
					want = fmt.Sprintf("browsers.%s record %q over expect", run.Engine, x.Record.Versions)
				}
				fmt.Fprintf(&b, "  differs on: %s\n", strings.Join(x.DiffFields, ", "))
				fmt.Fprintf(&b, "  %s vs the table (%s) (-want +got):\n%s", run.Engine, want, indent(x.BrowserDiff))
			}
			if x.ModelDiff != "" {
				fmt.Fprintf(&b, "  model vs expect (-want +got):\n%s", indent(x.ModelDiff))
			}
			if x.Steps == nil {
				writeEvidence(&b, run.Engine, "  ", x.Browser, x.Observed)
			}
			for k, sr := range x.Steps {
				if sr.BrowserDiff == "" && sr.CouldNotRun == "" {
					continue
				}
				writeEvidence(&b, run.Engine, fmt.Sprintf("  step %d: ", k+1), sr.Browser, sr.Observed)
			}
		}
	}
	if len(r.Strays) > 0 {
		fmt.Fprintf(&b, "note: %d request(s) for case hosts matched no case run (a Location lost the run's path prefix?): %s\n",
			len(r.Strays), describeReceived(r.Strays))
	}
	for _, run := range r.Runs {
		b.WriteString(run.summary())
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonRun is a run in the JSON output, with its counts.
type jsonRun struct {
	*Run
	Agree       int `json:"agree"`
	Disagree    int `json:"disagree"`
	CouldNotRun int `json:"couldNotRun"`
}

// WriteJSON writes every engine's run: its engine and version, and every
// case with its expected, wanted, model and browser results (each with
// the requests sent), the evidence, and whether they agree.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		Runs    []jsonRun     `json:"runs"`
		Elapsed time.Duration `json:"elapsedNs"`
		Strays  []Received    `json:"strays,omitempty"`
	}{Elapsed: r.Elapsed, Strays: r.Strays}
	for _, run := range r.Runs {
		j := jsonRun{Run: run}
		j.Agree, j.Disagree, j.CouldNotRun = run.Counts()
		out.Runs = append(out.Runs, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeEvidence writes what the engine said and what the server received.
func writeEvidence(b *strings.Builder, engine, prefix string, v *Verdict, o *Observation) {
	if v != nil && v.Words != "" {
		fmt.Fprintf(b, "%s%s said: %s\n", prefix, engine, v.Words)
	} else if o != nil && o.ErrorText != "" {
		fmt.Fprintf(b, "%s%s said: %s\n", prefix, engine, o.ErrorText)
	}
	if o != nil {
		fmt.Fprintf(b, "%sserver received: %s\n", prefix, describeReceived(o.Received))
	}
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func describeReceived(rs []Received) string {
	if len(rs) == 0 {
		return "nothing"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		s := r.Method + " " + r.Scheme + "://" + r.Host + r.Path
		switch {
		case r.HasOrigin:
			s += " (Origin " + r.Origin
		default:
			s += " (no Origin"
		}
		if r.ACRM != "" {
			s += ", ACRM " + r.ACRM
		}
		if r.ACRH != "" {
			s += ", ACRH " + r.ACRH
		}
		parts[i] = s + ")"
	}
	return strings.Join(parts, "; ")
}
