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
	add := func(c Code, sev Severity, why string, r ProbeResult, reason spec.Reason, detail string) {
		fs = append(fs, Finding{Code: c, Severity: sev, Rationale: why, Title: c.Title(), Probe: r, Reason: reason, Detail: detail})
	}
	const (
		brokenWhy   = "the policy's own front end cannot make this request"
		allowedOnly = "only script already running on an allowed origin can send it"
	)

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
				add(AllowedRequestBlocked, Medium, brokenWhy, r, "", "the request failed: "+r.Err)
			case r.Verdict.Outcome == spec.Blocked:
				c := AllowedRequestBlocked
				if r.Verdict.Reason == spec.ACAOWildcardWithCredentials {
					c = WildcardWithCredentials
				}
				add(c, Medium, brokenWhy, r, r.Verdict.Reason, blockedDetail(r))
			}
		case KindHostileOrigin:
			if !readable(r) {
				continue
			}
			c := variantCode[pr.variant]
			for _, d := range variantDominators[pr.variant] {
				if isReadable(pr.base, pr.shape, d) && explains(d, pr) {
					c = variantCode[d]
					break
				}
			}
			credentialed := r.Credentialed != nil && r.Credentialed.Outcome == spec.Allowed
			kind, acao := spec.ClassifyAllowOrigin(r.Actual.Response.Headers)
			var sev Severity
			var why string
			if kind == spec.AllowOriginWildcard {
				c = WildcardOriginAllowed
				sev, why = Medium, "any origin can read responses without credentials (browsers never send credentials to *)"
			} else {
				sev, why = hostileSeverity(p, pr.variant, pr.req.Origin, credentialed)
			}
			with := "without credentials"
			if credentialed {
				with = "with the user's credentials"
			}
			add(c, sev, why, r, "", fmt.Sprintf("the response to Origin %s grants it (Access-Control-Allow-Origin: %s%s): a browser lets a page on that origin read it %s",
				pr.req.Origin, acao, acacSuffix(r.Actual.Response.Headers), with))
		case KindUnlistedMethod, KindUnlistedHeader:
			if !preflightPassed(r) {
				continue
			}
			h := r.Preflight.Response.Headers
			if pr.kind == KindUnlistedMethod {
				acam, _ := spec.GetHeader(h, "Access-Control-Allow-Methods")
				add(UnlistedMethodAllowed, Low, allowedOnly, r, "", fmt.Sprintf("the preflight for %s passes (status %d, Access-Control-Allow-Methods: %q), so a browser sends the request",
					pr.req.Method, r.Preflight.Response.Status, acam))
			} else {
				acah, _ := spec.GetHeader(h, "Access-Control-Allow-Headers")
				add(UnlistedHeaderAllowed, Low, allowedOnly, r, "", fmt.Sprintf("the preflight for header %s passes (status %d, Access-Control-Allow-Headers: %q), so a browser sends the request",
					pr.req.Headers[0].Name, r.Preflight.Response.Status, acah))
			}
		}
	}
	fs = append(fs, varyFindings(probes, res)...)
	fs = append(fs, exposeFindings(p, probes, res)...)
	fs = append(fs, cacheFindings(p, probes, res)...)
	return fs
}

// explains reports whether the flaw a readable dominator variant d stands
// for also accepts probe pr's origin: a match on the end of the allowed
// host (suffix) or of its registrable domain accepts only hosts ending with
// it (https://appxexample.com, not https://app.examplexcom); a match on the
// parent domain (sibling) only its subdomains; a substring match only hosts
// containing the allowed host; a prefix match only hosts starting with it;
// a port-blind match only the same host.
func explains(d Variant, pr probe) bool {
	_, host, _, ok := splitOrigin(pr.req.Origin)
	if !ok || pr.base == "" {
		return d == VariantReflection
	}
	// The fixed part of the base: the host of an exact origin, the domain
	// of a pattern (probed as crosscheck.domain).
	_, fixedHost, _, _ := splitOrigin(pr.base)
	domain, isPattern := strings.CutPrefix(fixedHost, "*.")
	sample := fixedHost
	if isPattern {
		sample = probeLabel + "." + domain
	}
	switch d {
	case VariantSuffix, VariantSubstring:
		if d == VariantSuffix {
			return strings.HasSuffix(host, domain)
		}
		return strings.Contains(host, domain)
	case VariantRegistrableSuffix:
		reg := registrableDomain(domain)
		return reg != "" && strings.HasSuffix(host, reg)
	case VariantSibling:
		_, parent, ok := strings.Cut(domain, ".")
		return ok && strings.HasSuffix(host, "."+parent)
	case VariantPrefix:
		return strings.HasPrefix(host, sample)
	case VariantPort:
		return host == sample
	}
	return true
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
		st, why := cacheability(res[i].Actual.Request.Headers, resp.Headers, resp.Status)
		fs = append(fs, Finding{
			Code: MissingVaryOrigin, Severity: varySeverity(st), Rationale: why + "; the impact is availability: a stored answer replayed for another origin's request makes the browser block it",
			Title: MissingVaryOrigin.Title(), Probe: res[i],
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
			Code: ExposedHeaderMissing, Severity: Low, Rationale: "a feature of the policy's own front end breaks; nothing is exposed to other origins",
			Title: ExposedHeaderMissing.Title(), Probe: r,
			Detail: fmt.Sprintf("script cannot read %s (%s)", strings.Join(missing, ", "), have),
		})
	}
	return fs
}
