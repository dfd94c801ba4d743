package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// WriteText writes the report for people: the routes with findings, each
// with its runner report, the routes that could not be certified, then one
// line per route and the verdict.
func WriteText(w io.Writer, r *Report) error {
	var b bytes.Buffer
	d := r.Document
	fmt.Fprintf(&b, "Document %s (OpenAPI %s", d.Source, d.Version)
	if d.Title != "" {
		fmt.Fprintf(&b, ", %q", d.Title)
	}
	fmt.Fprintf(&b, "), %d routes\n", len(r.Routes))
	if d.Server != "" {
		fmt.Fprintf(&b, "Server   %s\n", d.Server)
	}
	for _, rr := range r.Routes {
		switch rr.Status() {
		case "fail":
			fmt.Fprintf(&b, "\n=== %s%s\n", rr.Route.Name(), opID(rr.Route))
			fmt.Fprintf(&b, "Source   %s\n", rr.Route.PolicySource)
			if err := runner.WriteText(&b, rr.Report); err != nil {
				return err
			}
		case "error":
			fmt.Fprintf(&b, "\n=== %s%s\n", rr.Route.Name(), opID(rr.Route))
			fmt.Fprintf(&b, "Target   %s\nERROR    %s\n", rr.Route.URL, rr.Err)
		}
	}
	b.WriteString("\n=== routes\n\n")
	width := len("route")
	for _, rr := range r.Routes {
		width = max(width, len(rr.Route.Name()))
	}
	fmt.Fprintf(&b, "  %-*s  %-7s  %s\n", width, "route", "result", "findings / reason")
	for _, rr := range r.Routes {
		var what string
		switch rr.Status() {
		case "pass":
			what = fmt.Sprintf("none (%d probes; policy: %s)", len(rr.Report.Probes), rr.Route.PolicySource)
		case "fail":
			what = joinCodes(rr.Report.Codes())
		case "error":
			what = firstLine(rr.Err)
		case "skipped":
			what = rr.Route.Skip
		}
		fmt.Fprintf(&b, "  %-*s  %-7s  %s\n", width, rr.Route.Name(), strings.ToUpper(rr.Status()), what)
	}
	b.WriteString("\n")
	b.WriteString(verdict(r))
	b.WriteString("\n")
	_, err := w.Write(b.Bytes())
	return err
}

// verdict is the report's last line: PASS or FAIL and the counts.
func verdict(r *Report) string {
	pass, fail, errs, skipped := r.Count("pass"), r.Count("fail"), r.Count("error"), r.Count("skipped")
	var s string
	if r.Conforms() {
		s = fmt.Sprintf("PASS  %d routes conform", pass)
	} else {
		s = fmt.Sprintf("FAIL  %d of %d probed routes have findings", fail, pass+fail+errs)
		if fail > 0 {
			s += " (" + joinCodes(r.Codes()) + ")"
		}
		if errs > 0 {
			s += fmt.Sprintf("; %d could not be certified", errs)
		}
	}
	if skipped > 0 {
		s += fmt.Sprintf("; %d not probed", skipped)
	}
	return s
}

func opID(r Route) string {
	if r.OperationID == "" {
		return ""
	}
	return "  (" + r.OperationID + ")"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func joinCodes(cs []runner.Code) string {
	if len(cs) == 0 {
		return "none"
	}
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// JSON shapes of a report. Field names are API: never rename one.
type (
	jsonReport struct {
		Document jsonDocument  `json:"document"`
		Conforms bool          `json:"conforms"`
		Codes    []runner.Code `json:"codes"`
		Summary  jsonSummary   `json:"summary"`
		Routes   []jsonRoute   `json:"routes"`
	}
	jsonDocument struct {
		Source  string `json:"source"`
		OpenAPI string `json:"openapi"`
		Title   string `json:"title,omitempty"`
		Server  string `json:"server,omitempty"`
	}
	jsonSummary struct {
		Routes  int `json:"routes"`
		Pass    int `json:"pass"`
		Fail    int `json:"fail"`
		Error   int `json:"error"`
		Skipped int `json:"skipped"`
	}
	jsonRoute struct {
		Method       string          `json:"method"`
		Path         string          `json:"path"`
		OperationID  string          `json:"operationId,omitempty"`
		URL          string          `json:"url,omitempty"`
		PolicySource string          `json:"policySource,omitempty"`
		Result       string          `json:"result"`
		Codes        []runner.Code   `json:"codes,omitempty"`
		Skip         string          `json:"skipReason,omitempty"`
		Error        string          `json:"error,omitempty"`
		Report       json.RawMessage `json:"report,omitempty"`
	}
)

// WriteJSON writes the report as one JSON object: the document, the
// verdict, the counts and one entry per route, which carries the route's
// full runner report (the shape of `crosscheck run --format json`).
func WriteJSON(w io.Writer, r *Report) error {
	d := r.Document
	out := jsonReport{
		Document: jsonDocument{Source: d.Source, OpenAPI: d.Version, Title: d.Title, Server: d.Server},
		Conforms: r.Conforms(), Codes: r.Codes(),
		Summary: jsonSummary{Routes: len(r.Routes), Pass: r.Count("pass"), Fail: r.Count("fail"),
			Error: r.Count("error"), Skipped: r.Count("skipped")},
		Routes: []jsonRoute{},
	}
	if out.Codes == nil {
		out.Codes = []runner.Code{}
	}
	for _, rr := range r.Routes {
		j := jsonRoute{Method: rr.Route.Method, Path: rr.Route.Path, OperationID: rr.Route.OperationID,
			URL: rr.Route.URL, PolicySource: rr.Route.PolicySource, Result: rr.Status(),
			Skip: rr.Route.Skip, Error: rr.Err}
		if rr.Report != nil {
			j.Codes = rr.Report.Codes()
			var b bytes.Buffer
			if err := runner.WriteJSON(&b, rr.Report); err != nil {
				return err
			}
			j.Report = b.Bytes()
		}
		out.Routes = append(out.Routes, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteJUnit writes the certified routes as JUnit XML, one testsuite per
// route (named "GET /orders/{id} <URL>") with a testcase per probe. Routes
// that were skipped or could not be certified have no suite: the text and
// JSON reports list them.
func WriteJUnit(w io.Writer, r *Report) error {
	var reports []*runner.Report
	for _, rr := range r.Routes {
		if rr.Report == nil {
			continue
		}
		rep := *rr.Report
		rep.Target = rr.Route.Name() + " " + rr.Report.Target
		reports = append(reports, &rep)
	}
	return runner.WriteJUnitAll(w, reports...)
}
