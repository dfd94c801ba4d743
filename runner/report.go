package runner

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Conforms reports whether the target produced no findings at all, at any
// severity (Passed applies the fail threshold).
func (r *Report) Conforms() bool { return len(r.Findings) == 0 }

// groups returns the findings grouped by code, most severe first.
func (r *Report) groups() [][]Finding {
	byCode := map[Code][]Finding{}
	var order []Code
	for _, f := range r.Findings {
		if _, ok := byCode[f.Code]; !ok {
			order = append(order, f.Code)
		}
		byCode[f.Code] = append(byCode[f.Code], f)
	}
	rank := func(s Severity) int { return 3 - s.rank() }
	worst := func(c Code) int {
		w := 4
		for _, f := range byCode[c] {
			w = min(w, rank(f.Severity))
		}
		return w
	}
	slices.SortStableFunc(order, func(a, b Code) int {
		if d := worst(a) - worst(b); d != 0 {
			return d
		}
		return slices.Index(AllCodes(), a) - slices.Index(AllCodes(), b)
	})
	out := make([][]Finding, len(order))
	for i, c := range order {
		g := byCode[c]
		// The most severe example first, and among those one whose probe
		// shows the code on its own (the suffix variant for a suffix
		// bypass rather than the subdomain it also lets in).
		own := func(f Finding) int {
			if variantCode[f.Probe.Variant] == f.Code {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(g, func(a, b Finding) int {
			if d := rank(a.Severity) - rank(b.Severity); d != 0 {
				return d
			}
			return own(a) - own(b)
		})
		out[i] = g
	}
	return out
}

// WriteText writes the report for people: a summary, then the findings
// grouped by code, each with the probe that showed it.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("Target   %s\n", r.Target)
	ew.printf("Policy   %s\n", describePolicy(r.Policy))
	ew.printf("Probes   %d sent, %d findings\n", len(r.Probes), len(r.Findings))
	for _, g := range r.groups() {
		f := g[0]
		ew.printf("\n[%s] %s: %s", f.Severity, f.Code, f.Title)
		if len(g) > 1 {
			ew.printf(" (%d probes)", len(g))
		}
		ew.printf("\n  %s\n", f.Detail)
		ew.printf("  why %s: %s\n", f.Severity, f.Rationale)
		ew.printf("  probe: %s\n", f.Probe.ID)
		writeExchange(ew, "preflight", f.Probe.Preflight)
		writeExchange(ew, "request", f.Probe.Actual)
		if f.Reason != "" {
			ew.printf("  spec: %s\n", f.Reason.SpecURL())
		}
		for i, o := range g[1:] {
			if i == 5 {
				ew.printf("  also: … %d more\n", len(g)-6)
				break
			}
			ew.printf("  also: %s\n", o.Probe.ID)
		}
		ew.printf("  fix: %s (%s)\n", f.Code.HelpCommand(), f.Code.DocRef())
	}
	ew.printf("\n%s\n", r.Summary())
	return ew.err
}

// Summary is the one-line verdict: PASS or FAIL under the fail threshold,
// with the codes found.
func (r *Report) Summary() string {
	failing := r.Failing()
	switch {
	case r.Conforms():
		return fmt.Sprintf("PASS  the target conforms to its policy (%d probes)", len(r.Probes))
	case len(failing) == 0:
		return fmt.Sprintf("PASS  %d findings, all below the fail threshold (%s): %s", len(r.Findings), r.failOn(), joinCodes(codesOf(r.Findings)))
	}
	s := fmt.Sprintf("FAIL  %d findings at %s or above: %s", len(failing), r.failOn(), joinCodes(codesOf(failing)))
	var below []Finding
	for _, f := range r.Findings {
		if !f.Severity.AtLeast(r.failOn()) {
			below = append(below, f)
		}
	}
	if len(below) > 0 {
		s += fmt.Sprintf(" (and %d below: %s)", len(below), joinCodes(codesOf(below)))
	}
	return s
}

// codesOf returns the sorted, de-duplicated codes of fs.
func codesOf(fs []Finding) []Code {
	return (&Report{Findings: fs}).Codes()
}

func joinCodes(cs []Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func describePolicy(p Policy) string {
	parts := []string{"origins " + strings.Join(p.AllowOrigins, ", ")}
	if len(p.AllowMethods) > 0 {
		parts = append(parts, "methods "+strings.Join(p.AllowMethods, ", "))
	}
	if len(p.AllowHeaders) > 0 {
		parts = append(parts, "headers "+strings.Join(p.AllowHeaders, ", "))
	}
	if len(p.ExposeHeaders) > 0 {
		parts = append(parts, "expose "+strings.Join(p.ExposeHeaders, ", "))
	}
	if p.AllowCredentials {
		parts = append(parts, "credentials")
	}
	if p.MaxAge != nil {
		parts = append(parts, fmt.Sprintf("max-age %d", *p.MaxAge))
	}
	return strings.Join(parts, "; ")
}

// maxShown bounds how much of one header value the text report prints.
const maxShown = 160

func writeExchange(ew *errWriter, label string, x *HTTPExchange) {
	if x == nil {
		return
	}
	ew.printf("  %s: > %s %s\n", label, x.Request.Method, x.Request.URL)
	pad := strings.Repeat(" ", len(label)+2)
	for _, h := range x.Request.Headers {
		ew.printf("  %s>   %s: %s\n", pad, h.Name, clip(h.Value))
	}
	if x.Err != "" {
		ew.printf("  %s< error: %s\n", pad, x.Err)
		return
	}
	if x.Response == nil {
		return
	}
	ew.printf("  %s< %d\n", pad, x.Response.Status)
	other := 0
	for _, h := range x.Response.Headers {
		if !corsRelevant(h.Name) {
			other++
			continue
		}
		ew.printf("  %s<   %s: %s\n", pad, h.Name, clip(h.Value))
	}
	if other > 0 {
		ew.printf("  %s<   (%d other header lines)\n", pad, other)
	}
}

// corsRelevant reports whether the text report shows a response header:
// the CORS ones, Vary and Location. JSON reports keep every header.
func corsRelevant(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "access-control-") || n == "vary" || n == "location"
}

func clip(s string) string {
	if len(s) <= maxShown {
		return s
	}
	return s[:maxShown] + "…"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// JSON shapes of a report. Field names are API: never rename one.
type (
	jsonReport struct {
		Target   string        `json:"target"`
		Policy   Policy        `json:"policy"`
		Conforms bool          `json:"conforms"`
		FailOn   Severity      `json:"failOn"`
		Passed   bool          `json:"passed"`
		Codes    []Code        `json:"codes"`
		Findings []jsonFinding `json:"findings"`
		Probes   []jsonProbe   `json:"probes"`
	}
	jsonFinding struct {
		Code      Code        `json:"code"`
		Severity  Severity    `json:"severity"`
		Rationale string      `json:"rationale"`
		Fails     bool        `json:"fails"`
		Title     string      `json:"title"`
		Detail    string      `json:"detail"`
		Reason    spec.Reason `json:"reason,omitempty"`
		SpecURL   string      `json:"specURL,omitempty"`
		DocURL    string      `json:"docURL"` // repository-relative: docs/findings.md#code
		Help      string      `json:"help"`   // the command that prints the documentation
		Probe     jsonProbe   `json:"probe"`
	}
	jsonProbe struct {
		ID            string           `json:"id"`
		Kind          ProbeKind        `json:"kind"`
		Variant       Variant          `json:"variant,omitempty"`
		Intended      bool             `json:"intended"`
		Origin        string           `json:"origin,omitempty"`
		Method        string           `json:"method"`
		URL           string           `json:"url"`
		Credentials   spec.Credentials `json:"credentials,omitempty"`
		PreflightOnly bool             `json:"preflightOnly,omitempty"`
		Preflight     *jsonExchange    `json:"preflight,omitempty"`
		Actual        *jsonExchange    `json:"actual,omitempty"`
		Verdict       *jsonVerdict     `json:"verdict,omitempty"`
		Credentialed  *jsonVerdict     `json:"credentialedVerdict,omitempty"`
		Error         string           `json:"error,omitempty"`
		Findings      []Code           `json:"findings,omitempty"`
	}
	jsonExchange struct {
		Request  jsonRequest   `json:"request"`
		Response *jsonResponse `json:"response,omitempty"`
		Error    string        `json:"error,omitempty"`
	}
	jsonRequest struct {
		Method  string       `json:"method"`
		URL     string       `json:"url"`
		Headers []jsonHeader `json:"headers"`
	}
	jsonResponse struct {
		Status        int          `json:"status"`
		Headers       []jsonHeader `json:"headers"`
		BodyBytes     int64        `json:"bodyBytes"`
		BodyTruncated bool         `json:"bodyTruncated,omitempty"`
	}
	jsonHeader struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	jsonVerdict struct {
		Outcome spec.Outcome `json:"outcome"`
		Stage   spec.Stage   `json:"stage,omitempty"`
		Reason  spec.Reason  `json:"reason,omitempty"`
		Detail  string       `json:"detail,omitempty"`
		SpecURL string       `json:"specURL,omitempty"`
		Exposed []string     `json:"exposed,omitempty"`
	}
)

// WriteJSON writes the report as one JSON object with a top-level
// `findings` array; each finding carries the probe that showed it (the
// requests sent and the responses received) and, where a browser would
// block, the spec reason and link.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toJSON(r))
}

func toJSON(r *Report) jsonReport {
	byProbe := findingsByProbe(r)
	out := jsonReport{Target: r.Target, Policy: r.Policy, Conforms: r.Conforms(), FailOn: r.failOn(), Passed: r.Passed(),
		Codes: r.Codes(), Findings: []jsonFinding{}, Probes: []jsonProbe{}}
	if out.Codes == nil {
		out.Codes = []Code{}
	}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{
			Code: f.Code, Severity: f.Severity, Rationale: f.Rationale, Fails: f.Severity.AtLeast(r.failOn()),
			Title: f.Title, Detail: f.Detail, Reason: f.Reason, SpecURL: f.Reason.SpecURL(),
			DocURL: f.Code.DocRef(), Help: f.Code.HelpCommand(), Probe: probeJSON(f.Probe, nil),
		})
	}
	for _, p := range r.Probes {
		out.Probes = append(out.Probes, probeJSON(p, byProbe[p.ID]))
	}
	return out
}

func findingsByProbe(r *Report) map[string][]Code {
	m := map[string][]Code{}
	for _, f := range r.Findings {
		if !slices.Contains(m[f.Probe.ID], f.Code) {
			m[f.Probe.ID] = append(m[f.Probe.ID], f.Code)
		}
	}
	return m
}

func probeJSON(p ProbeResult, findings []Code) jsonProbe {
	j := jsonProbe{
		ID: p.ID, Kind: p.Kind, Variant: p.Variant, Intended: p.Intended, Origin: p.Request.Origin,
		Method: p.Request.Method, URL: p.Request.URL, Credentials: p.Request.Credentials,
		PreflightOnly: p.PreflightOnly, Preflight: exchangeJSON(p.Preflight), Actual: exchangeJSON(p.Actual),
		Error: p.Err, Findings: findings,
	}
	if p.Kind != KindNoOrigin && p.Err == "" {
		j.Verdict = verdictJSON(p.Verdict)
		if p.Credentialed != nil {
			j.Credentialed = verdictJSON(*p.Credentialed)
		}
	}
	return j
}

func verdictJSON(v spec.Verdict) *jsonVerdict {
	return &jsonVerdict{Outcome: v.Outcome, Stage: v.Stage, Reason: v.Reason, Detail: v.Detail, SpecURL: v.SpecURL(), Exposed: v.Exposed}
}

func exchangeJSON(x *HTTPExchange) *jsonExchange {
	if x == nil {
		return nil
	}
	j := &jsonExchange{Request: jsonRequest{Method: x.Request.Method, URL: x.Request.URL, Headers: headersJSON(x.Request.Headers)}, Error: x.Err}
	if x.Response != nil {
		j.Response = &jsonResponse{Status: x.Response.Status, Headers: headersJSON(x.Response.Headers),
			BodyBytes: x.Response.BodyBytes, BodyTruncated: x.Response.BodyTruncated}
	}
	return j
}

func headersJSON(h []spec.Header) []jsonHeader {
	out := make([]jsonHeader, len(h))
	for i, x := range h {
		out[i] = jsonHeader{x.Name, x.Value}
	}
	return out
}

// JUnit XML shapes.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Failures  []junitResult `xml:"failure"`
		Error     *junitResult  `xml:"error"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitResult struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// WriteJUnit writes the report as JUnit XML for CI dashboards: one
// testsuite for the target and one testcase per probe, failed with one
// <failure> per finding at or above the fail threshold the probe showed
// (findings below it go to the testcase's <system-out>), or in <error> when
// the probe could not be completed.
func WriteJUnit(w io.Writer, r *Report) error { return WriteJUnitAll(w, r) }

// WriteJUnitAll writes several reports as one JUnit document, a testsuite
// per report.
func WriteJUnitAll(w io.Writer, reports ...*Report) error {
	doc := junitSuites{Name: "crosscheck run"}
	for _, r := range reports {
		byProbe := map[string][]Finding{}
		for _, f := range r.Findings {
			byProbe[f.Probe.ID] = append(byProbe[f.Probe.ID], f)
		}
		s := junitSuite{Name: r.Target, Properties: []junitProperty{{"policy", describePolicy(r.Policy)}}}
		for _, p := range r.Probes {
			c := junitCase{Name: p.ID, Classname: "crosscheck." + string(p.Kind)}
			var below strings.Builder
			for _, f := range byProbe[p.ID] {
				var b strings.Builder
				ew := &errWriter{w: &b}
				ew.printf("%s\n", f.Detail)
				ew.printf("why %s: %s\n", f.Severity, f.Rationale)
				writeExchange(ew, "preflight", p.Preflight)
				writeExchange(ew, "request", p.Actual)
				if f.Reason != "" {
					ew.printf("spec: %s\n", f.Reason.SpecURL())
				}
				ew.printf("fix: %s (%s)\n", f.Code.HelpCommand(), f.Code.DocRef())
				msg := fmt.Sprintf("%s [%s]: %s", f.Code, f.Severity, f.Title)
				if !f.Severity.AtLeast(r.failOn()) {
					fmt.Fprintf(&below, "finding below the fail threshold (%s): %s\n%s", r.failOn(), msg, b.String())
					continue
				}
				c.Failures = append(c.Failures, junitResult{Message: msg, Type: string(f.Code), Text: b.String()})
			}
			c.SystemOut = below.String()
			if p.Err != "" && len(c.Failures) == 0 {
				c.Error = &junitResult{Message: p.Err, Type: "probe-error"}
				s.Errors++
			}
			if len(c.Failures) > 0 {
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
