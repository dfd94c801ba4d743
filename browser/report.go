package browser

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Exit codes of a report, as crosscheck's commands use them.
const (
	ExitAgree       = 0 // every case agrees
	ExitDisagree    = 1 // Chrome or the model disagrees with the table on some case
	ExitCouldNotRun = 2 // some case gave no CORS verdict in Chrome
)

// ExitCode is ExitDisagree when any case disagrees, else ExitCouldNotRun
// when any case could not run in Chrome, else ExitAgree.
func (r *Report) ExitCode() int {
	_, disagree, couldNotRun := r.Counts()
	switch {
	case disagree > 0:
		return ExitDisagree
	case couldNotRun > 0:
		return ExitCouldNotRun
	}
	return ExitAgree
}

// summary is one line about the whole run.
func (r *Report) summary() string {
	agree, disagree, cnr := r.Counts()
	return fmt.Sprintf("%s: %d cases in %s: %d agree, %d disagree, %d could not run",
		r.Chrome, len(r.Results), r.Elapsed.Round(time.Millisecond), agree, disagree, cnr)
}

// WriteText writes the disagreements and the cases that could not run, each
// with its cmp.Diff (-want +got) and Chrome's evidence, then a summary line.
// Agreeing cases are not listed.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, x := range r.Results {
		if x.ChromeAgrees && x.ModelAgrees {
			continue
		}
		switch {
		case x.Chrome != nil && !x.ChromeAgrees:
			fmt.Fprintf(&b, "DISAGREE %s", x.ID)
		case !x.ModelAgrees:
			fmt.Fprintf(&b, "MODEL    %s", x.ID)
		default:
			fmt.Fprintf(&b, "NOT RUN  %s", x.ID)
		}
		if x.File != "" {
			fmt.Fprintf(&b, " (%s)", x.File)
		}
		b.WriteString("\n")
		if x.CouldNotRun != "" {
			fmt.Fprintf(&b, "  could not run in Chrome: %s\n", x.CouldNotRun)
		}
		if x.ChromeDiff != "" {
			want := "expect"
			if x.Divergence {
				want = "browsers.chrome over expect"
			}
			fmt.Fprintf(&b, "  Chrome vs the table (%s) (-want +got):\n%s", want, indent(x.ChromeDiff))
		}
		if x.ModelDiff != "" {
			fmt.Fprintf(&b, "  model vs expect (-want +got):\n%s", indent(x.ModelDiff))
		}
		if x.Chrome != nil && x.Chrome.Words != "" {
			fmt.Fprintf(&b, "  Chrome said: %s\n", x.Chrome.Words)
		} else if o := x.Observed; o != nil && o.ErrorText != "" {
			fmt.Fprintf(&b, "  Chrome said: %s\n", o.ErrorText)
		}
		if o := x.Observed; o != nil {
			fmt.Fprintf(&b, "  server received: %s\n", describeReceived(o.Received))
		}
	}
	if len(r.Strays) > 0 {
		fmt.Fprintf(&b, "note: %d request(s) for case hosts matched no case run (a Location lost the run's path prefix?): %s\n",
			len(r.Strays), describeReceived(r.Strays))
	}
	b.WriteString(r.summary())
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonReport is the JSON output: the report plus its counts.
type jsonReport struct {
	*Report
	Agree       int `json:"agree"`
	Disagree    int `json:"disagree"`
	CouldNotRun int `json:"couldNotRun"`
}

// WriteJSON writes every case with its expected, model and Chrome results,
// the evidence, and whether they agree.
func (r *Report) WriteJSON(w io.Writer) error {
	j := jsonReport{Report: r}
	j.Agree, j.Disagree, j.CouldNotRun = r.Counts()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
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
