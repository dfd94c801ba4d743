package matrix

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/docs"
	"github.com/crosscheck-dev/crosscheck/internal/targets"
	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// renderDifferential writes, per policy, the probes on which the
// implementations disagree with the policy or with each other.
func renderDifferential(d *doc, r *Result) {
	d.p("## Differential")
	d.p("")
	d.p("The same probes (derived from the policy) went through every implementation. A row appears when at least one")
	d.p("implementation's outcome differs from what the policy intends or from the others. Outcomes are the spec model's")
	d.p("verdict on the real responses: **read** (script may read the response), **blocked**, and for preflight-only probes")
	d.p("**passes** (the browser would send the request) or **refused**. Outcomes that differ from the policy are in bold;")
	d.p("each is explained below the table by the finding it raised and the implementation's write-up.")
	for _, pol := range Policies {
		var cells []Cell
		for _, c := range r.Cells {
			if c.Policy == pol {
				cells = append(cells, c)
			}
		}
		var ids []string
		byImpl := map[string]map[string]runner.ProbeResult{}
		for _, c := range cells {
			if c.Report == nil {
				continue
			}
			m := map[string]runner.ProbeResult{}
			for _, pr := range c.Report.Probes {
				m[pr.ID] = pr
				if !slices.Contains(ids, pr.ID) {
					ids = append(ids, pr.ID)
				}
			}
			byImpl[c.Impl.Name] = m
		}
		d.p("")
		d.p("### Policy %s", pol)
		d.p("")
		var head, sep strings.Builder
		head.WriteString("| Probe | Policy |")
		sep.WriteString("|---|---|")
		for _, c := range cells {
			fmt.Fprintf(&head, " %s |", c.Impl.Name)
			sep.WriteString("---|")
		}
		var rows []string
		var notes []string
		for _, id := range ids {
			var want string
			outs := map[string]string{}
			distinct := map[string]bool{}
			for _, c := range cells {
				pr, ok := byImpl[c.Impl.Name][id]
				if !ok {
					continue
				}
				if want == "" {
					want = intended(pr)
				}
				outs[c.Impl.Name] = outcome(pr)
				distinct[outcome(pr)] = true
			}
			if want == "" {
				continue // no-Origin probes: see missing-vary-origin in the matrix
			}
			deviates := false
			for _, o := range outs {
				deviates = deviates || o != want
			}
			if !deviates && len(distinct) < 2 {
				continue
			}
			var row strings.Builder
			fmt.Fprintf(&row, "| `%s` | %s |", mdEscape(id), want)
			for _, c := range cells {
				o, ok := outs[c.Impl.Name]
				switch {
				case !ok:
					row.WriteString(" n/a |")
				case o != want:
					fmt.Fprintf(&row, " **%s** |", o)
					notes = append(notes, explainDeviation(c, id, want, o))
				default:
					fmt.Fprintf(&row, " %s |", o)
				}
			}
			rows = append(rows, row.String())
		}
		if len(rows) == 0 {
			d.p("Runner probes: every implementation that can express this policy does what the policy intends on every probe.")
		} else {
			d.p("%s", head.String())
			d.p("%s", sep.String())
			for _, row := range rows {
				d.p("%s", row)
			}
			d.p("")
			for _, n := range notes {
				d.p("- %s", n)
			}
		}
		renderExtra(d, cells, pol, head.String(), sep.String())
	}
	d.p("")
}

// explainDeviation names the finding a deviating probe raised.
func explainDeviation(c Cell, id, want, got string) string {
	var codes []string
	for _, f := range c.Report.Findings {
		if f.Probe.ID == id && !slices.Contains(codes, string(f.Code)) {
			codes = append(codes, string(f.Code))
		}
	}
	what := "no finding: the runner counts this deviation under another probe of the same flaw"
	if len(codes) > 0 {
		what = "raised `" + strings.Join(codes, "`, `") + "`"
	}
	return fmt.Sprintf("%s, `%s`: %s instead of %s; %s ([write-up](findings/%s.md)).", c.Impl.Name, mdEscape(id), got, want, what, c.Impl.Name)
}

// renderImpl writes one implementation's write-up.
func renderImpl(r *Result, im targets.Impl) []byte {
	var d doc
	header(&d, fmt.Sprintf("%s: %s %s", im.Name, im.Library, im.Version))
	n := notes[im.Name]
	if n.config != "" {
		d.p("**Configuration.** %s", n.config)
		d.p("")
	}
	d.p("## Results")
	d.p("")
	d.p("| Policy | Findings |")
	d.p("|---|---|")
	var cells []Cell
	for _, c := range r.Cells {
		if c.Impl.Name == im.Name {
			cells = append(cells, c)
			d.p("| %s | %s |", c.Policy, cellCodes(c))
		}
	}
	d.p("")
	if n.explain != "" {
		d.p("## What the findings mean")
		d.p("")
		d.p("%s", strings.TrimSpace(n.explain))
		d.p("")
	}
	d.p("## Findings in detail")
	d.p("")
	d.p("One example per policy and code: the probe that showed it, the exact requests and responses (the `Date` header")
	d.p("and the port are left out), and what a browser does with them.")
	any := false
	for _, c := range cells {
		if c.Report == nil {
			continue
		}
		for _, f := range examples(c.Report) {
			any = true
			writeFinding(&d, c, f, n)
		}
	}
	if !any {
		d.p("")
		d.p("None: every probe got the answer its policy intends.")
	}
	return d.Bytes()
}

// examples returns one finding per code (the most severe, then the first
// probe by ID), in AllCodes order, with how many findings share the code.
func examples(rep *runner.Report) []exampleFinding {
	rank := func(s runner.Severity) int {
		if i := slices.Index(runner.Severities(), s); i >= 0 {
			return i
		}
		return len(runner.Severities())
	}
	var out []exampleFinding
	for _, fc := range runner.AllCodes() {
		var best *runner.Finding
		count := 0
		for i := range rep.Findings {
			f := &rep.Findings[i]
			if f.Code != fc {
				continue
			}
			count++
			if best == nil || rank(f.Severity) < rank(best.Severity) ||
				rank(f.Severity) == rank(best.Severity) && better(f, best) {
				best = f
			}
		}
		if best != nil {
			out = append(out, exampleFinding{*best, count})
		}
	}
	return out
}

// canonical is the hostile-origin variant that best illustrates a code
// (a presentation choice: which probe the write-up shows).
var canonical = map[runner.Code]runner.Variant{
	runner.OriginReflected:       runner.VariantReflection,
	runner.NullOriginAllowed:     runner.VariantNull,
	runner.InsecureOriginAllowed: runner.VariantInsecure,
	runner.SubdomainAllowed:      runner.VariantSibling,
	runner.OriginSuffixBypass:    runner.VariantSuffix,
	runner.OriginPrefixBypass:    runner.VariantPrefix,
	runner.OriginUnescapedDot:    runner.VariantUnescapedDot,
	runner.OriginPortIgnored:     runner.VariantPort,
}

// better orders two findings of one code and severity: the canonical
// variant first, then by probe ID.
func better(a, b *runner.Finding) bool {
	ca, cb := a.Probe.Variant == canonical[a.Code], b.Probe.Variant == canonical[b.Code]
	if ca != cb {
		return ca
	}
	return a.Probe.ID < b.Probe.ID
}

type exampleFinding struct {
	runner.Finding
	count int
}

func writeFinding(d *doc, c Cell, f exampleFinding, n implNotes) {
	t := c.Report.Target
	d.p("")
	d.p("### %s: `%s` (%s)", c.Policy, f.Code, f.Severity)
	d.p("")
	d.p("%s. %s.", capitalize(f.Title), capitalize(strings.TrimSuffix(scrub(f.Detail, t), ".")))
	d.p("")
	more := ""
	if f.count > 1 {
		more = fmt.Sprintf(" (%d probes raised this code; this is one)", f.count)
	}
	d.p("Probe: `%s`%s.", scrub(f.Probe.ID, t), more)
	d.p("")
	d.p("```http")
	if x := f.Probe.Preflight; x != nil {
		writeExchange(d, x, t)
		if f.Probe.Actual != nil {
			d.p("")
		}
	}
	if x := f.Probe.Actual; x != nil {
		writeExchange(d, x, t)
	}
	d.p("```")
	d.p("")
	d.p("In a browser: %s", browserSays(f.Finding))
	d.p("")
	d.p("Severity %s: %s.", f.Severity, capitalize(strings.TrimSuffix(f.Rationale, ".")))
	d.p("")
	fix, ok := n.fixes[f.Code]
	if !ok {
		fix = fixOf(f.Code)
	}
	d.p("Fix: %s", fix)
}

func writeExchange(d *doc, x *runner.HTTPExchange, target string) {
	d.p("%s %s", x.Request.Method, scrub(x.Request.URL, target))
	for _, h := range x.Request.Headers {
		d.p("%s: %s", h.Name, scrub(h.Value, target))
	}
	if x.Response == nil {
		d.p("(no response: %s)", x.Err)
		return
	}
	d.p("")
	d.p("HTTP %d", x.Response.Status)
	for _, h := range x.Response.Headers {
		if strings.EqualFold(h.Name, "Date") {
			continue
		}
		d.p("%s: %s", h.Name, scrub(h.Value, target))
	}
}

// browserSays explains the spec model's verdict on the finding's probe.
func browserSays(f runner.Finding) string {
	pr := f.Probe
	v := pr.Verdict
	switch {
	case f.Code == runner.MissingVaryOrigin:
		return "the response itself is fine for this request, but its CORS headers depend on `Origin` and it does not say `Vary: Origin`, so a shared cache may replay it for a request from another origin (or without `Origin`): a legitimate page then gets a response without its `Access-Control-Allow-Origin` and its fetch fails (the Fetch Standard's \"CORS protocol and HTTP caches\" example). The harm is availability; the cached response grants no origin more than the browser's own check allows."
	case f.Code == runner.MaxAgeMismatch:
		return "the preflight passes, and browsers keep its answer for as long as `Access-Control-Max-Age` says (each capped at its own maximum), not for the policy's `maxAge`."
	case f.Code == runner.CachedMethodUnlisted || f.Code == runner.CachedHeaderUnlisted:
		return "the preflight passes, and while its answer is cached the browser sends later requests from this origin with every method and header that answer lists, without another preflight."
	case pr.Kind == runner.KindHostileOrigin:
		s := fmt.Sprintf("script on `%s`, an origin the policy does not allow, can read this response without credentials", pr.Request.Origin)
		switch {
		case pr.Credentialed != nil && pr.Credentialed.Outcome == spec.Allowed:
			s += " and with the user's cookies (credentials mode include)"
		case pr.Credentialed != nil:
			s += fmt.Sprintf("; with credentials the browser blocks it (%s: %s)", pr.Credentialed.Reason, pr.Credentialed.Reason.Doc())
		}
		if f.Severity == runner.High {
			return s + ": a page an attacker serves from that origin reads the victim's data."
		}
		return s + "."
	case pr.PreflightOnly:
		return fmt.Sprintf("the preflight passes, so the browser goes on to send `%s` with the unlisted method or header, which the policy means to refuse.", pr.Request.Method)
	case v.Outcome == spec.Blocked:
		return fmt.Sprintf("the browser blocks this request, which the policy allows: `%s` at the %s stage (%s; %s). The page that should read the response gets a network error.",
			v.Reason, v.Stage, v.Reason.Doc(), v.Reason.SpecURL())
	case f.Code == runner.ExposedHeaderMissing:
		return fmt.Sprintf("the response is readable, but script can read only these headers: %s.", strings.Join(v.Exposed, ", "))
	}
	return fmt.Sprintf("the spec model's verdict is %s.", v.Outcome)
}

// fixOf is the fix docs/findings.md gives for code: the paragraph that
// starts with "**Fix.**" in the code's section, on one line.
func fixOf(code runner.Code) string {
	sec, ok := docs.Section(string(code))
	_, fix, found := strings.Cut(sec, "**Fix.** ")
	if !ok || !found {
		return "see [findings.md](../findings.md#" + string(code) + ")."
	}
	fix, _, _ = strings.Cut(fix, "\n\n")
	return strings.Join(strings.Fields(fix), " ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// renderCorpus writes the regression corpus write-up.
func renderCorpus(r *Result) []byte {
	var d doc
	header(&d, "Regression corpus: releases with published CORS flaws")
	d.p("Each release below is pinned in its own Go module (`internal/targets/vuln/NAME/`), configured the way its")
	d.p("advisory describes, and certified against the policy its user meant: `strict`, one trusted origin")
	d.p("(`https://app.example.com`) with credentials. The library's configuration differs from the declared policy")
	d.p("only in its origins (`-config-origins`), which is the mistake or shortcut each advisory is about. The current")
	d.p("release of the same library then runs with the very same configuration, to show what the fix changed.")
	for _, cr := range r.Corpus {
		e := cr.Entry
		d.p("")
		d.p("## %s (%s)", e.Vulnerable, e.Advisory)
		d.p("")
		d.p("Configured origins %s; declared policy `%s`. %s", code(e.ConfigOrigins), e.Policy, e.Why)
		d.p("")
		d.p("- Must raise: `%s`. Raised on %s: %s.", e.Want, e.Vulnerable, cellCodes(cr.Vulnerable))
		d.p("- Current release %s, same configuration: %s.", e.Fixed, cellCodes(cr.Fixed))
		d.p("- Result: %s.", corpusVerdict(cr))
		if cr.Vulnerable.Report != nil {
			for _, f := range examples(cr.Vulnerable.Report) {
				if f.Code == e.Want {
					writeFinding(&d, cr.Vulnerable, f, implNotes{})
				}
			}
		}
	}
	return d.Bytes()
}

// renderExtra writes the HTTP-level differences of a policy's extra probes.
func renderExtra(d *doc, cells []Cell, pol, head, sep string) {
	var probes []extraProbe
	for _, x := range extraProbes {
		if x.policy == pol {
			probes = append(probes, x)
		}
	}
	if len(probes) == 0 {
		return
	}
	d.p("")
	d.p("HTTP-level differences on requests outside the browser-derived plan (the same requests to every implementation;")
	d.p("`app ran`: the application handler was called; `ACAO=origin`: the request's origin was echoed; \"→ read\": the spec")
	d.p("model lets script read the answer, for requests a browser can make):")
	d.p("")
	d.p("%s", strings.Replace(head, " Policy |", "", 1))
	d.p("%s", strings.Replace(sep, "|---|---|", "|---|", 1))
	for i, x := range probes {
		var row strings.Builder
		fmt.Fprintf(&row, "| %d. %s |", i+1, x.name)
		for _, c := range cells {
			if c.NA != "" || i >= len(c.Extra) {
				row.WriteString(" n/a |")
				continue
			}
			fmt.Fprintf(&row, " %s |", c.Extra[i].describe())
		}
		d.p("%s", row.String())
	}
	d.p("")
	for i, x := range probes {
		d.p("%d. %s", i+1, x.why)
	}
}
