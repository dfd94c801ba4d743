package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// analyze turns judged probes into findings. The runner decides what the
// policy intends; every "would a browser let script read this" comes from
// the verdicts spec.Judge gave.
func analyze(p Policy, probes []probe, res []ProbeResult) []Finding {
	var fs []Finding
	add := func(c Code, sev Severity, r ProbeResult, reason spec.Reason, detail string) {
		if sev == "" {
			sev = codes[c].severity
		}
		fs = append(fs, Finding{Code: c, Severity: sev, Title: c.Title(), Probe: r, Reason: reason, Detail: detail})
	}

	type key struct {
		base    string
		shape   shape
		variant Variant
	}
	readableVariant := map[key]bool{}
	for i, pr := range probes {
		if pr.kind == KindHostileOrigin && readable(res[i]) {
			readableVariant[key{pr.base, pr.shape, pr.variant}] = true
		}
	}
	isReadable := func(base string, sh shape, v Variant) bool {
		if v == VariantReflection || v == VariantNull {
			base = ""
		}
		return readableVariant[key{base, sh, v}]
	}

	for i, pr := range probes {
		r := res[i]
		switch pr.kind {
		case KindAllowed:
			switch {
			case r.Verdict.Stage == spec.StageRequest:
				// The probe itself is not a request a browser sends; not
				// the server's doing.
			case r.Err != "":
				add(AllowedRequestBlocked, "", r, "", "the request failed: "+r.Err)
			case r.Verdict.Outcome == spec.Blocked:
				c := AllowedRequestBlocked
				if r.Verdict.Reason == spec.ACAOWildcardWithCredentials {
					c = WildcardWithCredentials
				}
				add(c, "", r, r.Verdict.Reason, blockedDetail(r))
			}
		case KindHostileOrigin:
			if !readable(r) {
				continue
			}
			c := variantCode[pr.variant]
			for _, d := range variantDominators[pr.variant] {
				if isReadable(pr.base, pr.shape, d) {
					c = variantCode[d]
					break
				}
			}
			kind, acao := spec.ClassifyAllowOrigin(r.Actual.Response.Headers)
			if kind == spec.AllowOriginWildcard {
				c = WildcardOriginAllowed
			}
			sev, with := Medium, "without credentials"
			if r.Credentialed != nil && r.Credentialed.Outcome == spec.Allowed {
				sev, with = High, "with credentials"
			}
			if c == OriginEmptyLabel {
				sev = codes[c].severity // no browser page has such an origin
			}
			add(c, sev, r, "", fmt.Sprintf("a browser lets script on %s read the response %s (Access-Control-Allow-Origin: %s%s)",
				pr.req.Origin, with, acao, acacSuffix(r.Actual.Response.Headers)))
		case KindUnlistedMethod, KindUnlistedHeader:
			if !preflightPassed(r) {
				continue
			}
			h := r.Preflight.Response.Headers
			if pr.kind == KindUnlistedMethod {
				acam, _ := spec.GetHeader(h, "Access-Control-Allow-Methods")
				add(UnlistedMethodAllowed, "", r, "", fmt.Sprintf("the preflight for %s passes (status %d, Access-Control-Allow-Methods: %q), so a browser sends the request",
					pr.req.Method, r.Preflight.Response.Status, acam))
			} else {
				acah, _ := spec.GetHeader(h, "Access-Control-Allow-Headers")
				add(UnlistedHeaderAllowed, "", r, "", fmt.Sprintf("the preflight for header %s passes (status %d, Access-Control-Allow-Headers: %q), so a browser sends the request",
					pr.req.Headers[0].Name, r.Preflight.Response.Status, acah))
			}
		}
	}
	fs = append(fs, varyFindings(probes, res)...)
	fs = append(fs, exposeFindings(p, probes, res)...)
	return fs
}

func blockedDetail(r ProbeResult) string {
	v := r.Verdict
	s := fmt.Sprintf("a browser blocks this allowed request at the %s stage: %s", v.Stage, v.Reason.Doc())
	if v.Detail != "" {
		s += fmt.Sprintf(" (%q)", v.Detail)
	}
	return s
}

func acacSuffix(h []spec.Header) string {
	if v, ok := spec.GetHeader(h, "Access-Control-Allow-Credentials"); ok {
		return ", Access-Control-Allow-Credentials: " + v
	}
	return ""
}

// varyFindings checks the simple GETs, which differ only in Origin (an
// allowed one, hostile ones, none): when their CORS headers differ, the
// response depends on Origin, and every successful one must say
// `Vary: Origin` (or `Vary: *`), or a shared cache may hand one origin's
// answer to another. Preflight responses are not checked: OPTIONS
// responses are not cacheable (RFC 9110 §9.3.7).
func varyFindings(probes []probe, res []ProbeResult) []Finding {
	var group []int
	sigs := map[string]int{}
	for i, pr := range probes {
		r := res[i]
		if pr.shape != shapeSimple || r.Err != "" || r.Actual == nil || r.Actual.Response == nil {
			continue
		}
		group = append(group, i)
		sig := corsSignature(r.Actual.Response.Headers)
		if _, ok := sigs[sig]; !ok {
			sigs[sig] = i
		}
	}
	if len(sigs) < 2 {
		return nil
	}
	// Two probes whose answers differ, for the explanation.
	var examples []string
	for _, i := range group {
		if sigs[corsSignature(res[i].Actual.Response.Headers)] == i {
			examples = append(examples, fmt.Sprintf("%s for %s", describeACAO(res[i].Actual.Response.Headers), originLabel(probes[i].req.Origin)))
			if len(examples) == 2 {
				break
			}
		}
	}
	var fs []Finding
	for _, i := range group {
		resp := res[i].Actual.Response
		if resp.Status < 200 || resp.Status > 299 || varies(resp.Headers) {
			continue
		}
		fs = append(fs, Finding{
			Code: MissingVaryOrigin, Severity: codes[MissingVaryOrigin].severity, Title: MissingVaryOrigin.Title(), Probe: res[i],
			Detail: fmt.Sprintf("the response depends on Origin (%s) but this %d response to %s has no Vary: Origin",
				strings.Join(examples, "; "), resp.Status, originLabel(probes[i].req.Origin)),
		})
	}
	return fs
}

// corsSignature is what a cache would wrongly share between origins.
func corsSignature(h []spec.Header) string {
	var b strings.Builder
	for _, n := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
		v, ok := spec.GetHeader(h, n)
		fmt.Fprintf(&b, "%t:%q;", ok, v)
	}
	return b.String()
}

func describeACAO(h []spec.Header) string {
	if v, ok := spec.GetHeader(h, "Access-Control-Allow-Origin"); ok {
		return "Access-Control-Allow-Origin: " + v
	}
	return "no Access-Control-Allow-Origin"
}

func originLabel(o string) string {
	if o == "" {
		return "a request without Origin"
	}
	return "Origin " + o
}

// varies reports whether a Vary header lists Origin or is `*`.
func varies(h []spec.Header) bool {
	v, ok := spec.GetHeader(h, "Vary")
	if !ok {
		return false
	}
	for _, e := range spec.GetDecodeSplit(v) {
		if e == "*" || strings.EqualFold(e, "Origin") {
			return true
		}
	}
	return false
}

// exposeFindings checks, on every readable allowed response, that script
// could read each header the policy exposes. A response need not carry
// every exposed header, so each missing one is added with a stand-in value
// before spec judges which names script can read.
func exposeFindings(p Policy, probes []probe, res []ProbeResult) []Finding {
	if len(p.ExposeHeaders) == 0 || slices.Contains(p.ExposeHeaders, "*") {
		return nil
	}
	var fs []Finding
	for i, pr := range probes {
		r := res[i]
		if pr.kind != KindAllowed || !readable(r) {
			continue
		}
		h := slices.Clone(r.Actual.Response.Headers)
		for _, name := range p.ExposeHeaders {
			if n, _ := spec.HeaderLines(h, name); n == 0 {
				h = append(h, spec.Header{Name: name, Value: probeLabel})
			}
		}
		ex := spec.Exchange{Request: pr.req, Response: spec.Response{Status: r.Actual.Response.Status, Headers: h}}
		if r.Preflight != nil {
			ex.Preflight = &spec.Response{Status: r.Preflight.Response.Status, Headers: r.Preflight.Response.Headers}
		}
		v := spec.Judge(ex)
		var missing []string
		for _, name := range p.ExposeHeaders {
			if !slices.Contains(v.Exposed, strings.ToLower(name)) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			continue
		}
		aceh, ok := spec.GetHeader(r.Actual.Response.Headers, "Access-Control-Expose-Headers")
		have := "no Access-Control-Expose-Headers"
		if ok {
			have = fmt.Sprintf("Access-Control-Expose-Headers: %q", aceh)
		}
		fs = append(fs, Finding{
			Code: ExposedHeaderMissing, Severity: codes[ExposedHeaderMissing].severity, Title: ExposedHeaderMissing.Title(), Probe: r,
			Detail: fmt.Sprintf("script cannot read %s (%s)", strings.Join(missing, ", "), have),
		})
	}
	return fs
}
