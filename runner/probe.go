package runner

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// ProbeKind says why a probe is sent.
type ProbeKind string

// The probe kinds.
const (
	// KindAllowed: a request the policy allows, from an allowed origin.
	KindAllowed ProbeKind = "allowed"
	// KindHostileOrigin: a request from an origin the policy does not
	// allow, derived from an allowed one (see [Variant]).
	KindHostileOrigin ProbeKind = "hostile-origin"
	// KindUnlistedMethod: a preflight for a method the policy does not list.
	KindUnlistedMethod ProbeKind = "unlisted-method"
	// KindUnlistedHeader: a preflight for a request header the policy does
	// not list.
	KindUnlistedHeader ProbeKind = "unlisted-header"
	// KindNoOrigin: a plain GET without Origin, as a non-browser client or
	// a same-origin navigation sends; used for the Vary check.
	KindNoOrigin ProbeKind = "no-origin"
)

// Variant names how a hostile origin is derived from an allowed one.
type Variant string

// The hostile origin variants, for an allowed origin https://app.example.com
// (or a pattern https://*.example.com, probed as crosscheck.example.com).
const (
	VariantReflection   Variant = "reflection"    // https://attacker.example.net, unrelated to the policy
	VariantNull         Variant = "null"          // the opaque origin null
	VariantInsecure     Variant = "insecure"      // http://app.example.com
	VariantSibling      Variant = "sibling"       // https://crosscheck.example.com
	VariantChild        Variant = "child"         // https://crosscheck.app.example.com
	VariantApex         Variant = "apex"          // https://example.com for *.example.com
	VariantEmptyLabel   Variant = "empty-label"   // https://.example.com for *.example.com
	VariantSuffix       Variant = "suffix"        // https://evilapp.example.com
	VariantPrefix       Variant = "prefix"        // https://app.example.com.evil.net
	VariantSpecialChar  Variant = "special-char"  // https://app.example.com_.evil.net
	VariantPort         Variant = "port"          // https://app.example.com:8443
	VariantUnescapedDot Variant = "unescaped-dot" // https://appxexample.com
)

// variantCode is the finding a readable variant raises on its own.
var variantCode = map[Variant]Code{
	VariantReflection:   OriginReflected,
	VariantNull:         NullOriginAllowed,
	VariantInsecure:     InsecureOriginAllowed,
	VariantSibling:      SubdomainAllowed,
	VariantChild:        SubdomainAllowed,
	VariantApex:         SubdomainAllowed,
	VariantEmptyLabel:   OriginEmptyLabel,
	VariantSuffix:       OriginSuffixBypass,
	VariantPrefix:       OriginPrefixBypass,
	VariantSpecialChar:  OriginPrefixBypass,
	VariantPort:         OriginPortIgnored,
	VariantUnescapedDot: OriginUnescapedDot,
}

// variantDominators lists, broadest first, the variants whose flaw also
// explains a readable variant: a server that reflects every origin also
// lets null in; one that trusts *.example.com also trusts
// evilapp.example.com; a prefix match also accepts app.example.com_.x and
// app.example.com:8443. A readable variant is reported under the code of
// the first readable one in its list, so each flaw gets its own code once.
var variantDominators = map[Variant][]Variant{
	VariantNull:         {VariantReflection},
	VariantInsecure:     {VariantReflection},
	VariantSibling:      {VariantReflection},
	VariantChild:        {VariantReflection, VariantSibling, VariantSuffix},
	VariantApex:         {VariantReflection, VariantSuffix},
	VariantEmptyLabel:   {VariantReflection, VariantSuffix},
	VariantSuffix:       {VariantReflection, VariantSibling},
	VariantPrefix:       {VariantReflection},
	VariantSpecialChar:  {VariantReflection, VariantPrefix},
	VariantPort:         {VariantReflection, VariantPrefix},
	VariantUnescapedDot: {VariantReflection},
}

// Probe origins and values that no sensible policy allows.
const (
	attackerOrigin  = "https://attacker.example.net"
	anyOriginSample = "https://client.example.org"
	probeLabel      = "crosscheck"
	evilSuffix      = ".evil.net"
	unlistedHeader  = "X-Crosscheck-Unlisted"
	sampleHeader    = "X-Crosscheck-Probe"
)

// shape is the form of a probe request apart from its origin: "simple" is a
// GET without headers; "preflighted" is the first request the policy allows
// that needs a preflight.
type shape string

const (
	shapeSimple      shape = "simple"
	shapePreflighted shape = "preflighted"
)

// probe is one planned browser request.
type probe struct {
	id            string
	kind          ProbeKind
	variant       Variant
	base          string // the policy entry a hostile origin derives from
	shape         shape
	intended      bool // the policy allows the request
	preflightOnly bool // send the preflight only, never the actual request
	req           spec.Request
	// What spec says a browser does before sending req: refuse it
	// (StageRequest), or send a preflight first.
	refused   spec.Verdict
	preflight bool
}

// plan derives the probes from the policy. The first probe is always the
// request without Origin, sent alone to check that the target answers.
func plan(target string, p Policy) []probe {
	creds := spec.CredentialsOmit
	if p.AllowCredentials {
		creds = spec.CredentialsInclude
	}
	targetOrigin, _ := spec.URLOrigin(target)
	var out []probe
	seen := map[string]bool{}
	add := func(pr probe) {
		pr.req.URL = target
		key := pr.req.Origin + "|" + pr.req.Method + "|" + headerKey(pr.req.Headers) + "|" + strconv.FormatBool(pr.preflightOnly)
		if seen[key] {
			return
		}
		seen[key] = true
		if pr.id == "" {
			pr.id = probeID(pr)
		}
		out = append(out, pr)
	}
	add(probe{kind: KindNoOrigin, shape: shapeSimple, intended: true, req: spec.Request{Method: "GET"}})

	methods := p.AllowMethods
	switch {
	case len(methods) == 0:
		methods = []string{"GET"}
	case slices.Contains(methods, "*"):
		methods = []string{"GET", "PUT"}
	}
	var headers []spec.Header
	for _, h := range p.AllowHeaders {
		if h == "*" {
			h = sampleHeader
		}
		headers = append(headers, spec.Header{Name: h, Value: headerValue(h)})
	}
	samples := sampleOrigins(p)

	// Requests the policy allows.
	for _, o := range samples {
		for _, m := range methods {
			add(probe{kind: KindAllowed, intended: true, req: spec.Request{Origin: o, Method: m, Credentials: creds}})
			if len(headers) > 0 {
				add(probe{kind: KindAllowed, intended: true, req: spec.Request{Origin: o, Method: m, Headers: headers, Credentials: creds}})
			}
		}
	}

	// Hostile origins, each in the simple shape and, when the policy allows
	// a request that needs a preflight, in that shape too.
	shapes := []spec.Request{{Method: "GET"}}
	if pre, ok := preflightedShape(methods, headers); ok {
		shapes = append(shapes, pre)
	}
	hostiles := hostileOrigins(p)
	for _, h := range hostiles {
		if p.AllowsOrigin(h.origin) {
			continue
		}
		if o, err := spec.ParseOrigin(h.origin); err == nil && o.SameOrigin(targetOrigin) {
			continue // same-origin with the target: not a CORS request
		}
		for i, s := range shapes {
			r := s
			r.Origin = h.origin
			r.Credentials = spec.CredentialsOmit
			sh := shapeSimple
			if i > 0 {
				sh = shapePreflighted
			}
			add(probe{kind: KindHostileOrigin, variant: h.variant, base: h.base, shape: sh, req: r})
		}
	}

	// Unlisted methods and headers, from the first allowed origin.
	if len(samples) > 0 {
		o := samples[0]
		if !slices.Contains(p.AllowMethods, "*") {
			for _, m := range []string{"PUT", "DELETE", "PATCH"} {
				if !p.allowsMethod(m) {
					add(probe{kind: KindUnlistedMethod, preflightOnly: true, req: spec.Request{Origin: o, Method: m, Credentials: creds}})
					break
				}
			}
		}
		if !slices.Contains(p.AllowHeaders, "*") {
			add(probe{kind: KindUnlistedHeader, preflightOnly: true, req: spec.Request{Origin: o, Method: "GET",
				Headers: []spec.Header{{Name: unlistedHeader, Value: "1"}}, Credentials: creds}})
		}
	}
	// Ask the model whether a browser sends a preflight first (the
	// stand-in answer then fails it, which does not matter here). For
	// cross-origin requests that depends on the method, headers and
	// credentials mode, not on which origin: ask once per shape.
	type shapeKey struct {
		sameOrigin   bool
		method, hdrs string
		creds        spec.Credentials
	}
	decided := map[shapeKey]spec.Verdict{}
	for i := range out {
		pr := &out[i]
		if pr.shape == "" && pr.req.Method == "GET" && len(pr.req.Headers) == 0 && !pr.preflightOnly {
			pr.shape = shapeSimple
		}
		if pr.kind == KindNoOrigin {
			continue
		}
		o, err := spec.ParseOrigin(pr.req.Origin)
		k := shapeKey{err == nil && o.SameOrigin(targetOrigin), pr.req.Method, headerKey(pr.req.Headers), pr.req.Credentials}
		v, ok := decided[k]
		if !ok {
			v = spec.Judge(spec.Exchange{Request: pr.req})
			decided[k] = v
		}
		if v.Stage == spec.StageRequest {
			pr.refused = v
		}
		pr.preflight = v.Preflight
	}
	return out
}

// preflightedShape is the first allowed request that is not a simple GET
// and carries something a preflight must approve: a method other than
// GET/HEAD/POST, or the allowed request headers. Whether it really needs a
// preflight is spec's call when the probe runs.
func preflightedShape(methods []string, headers []spec.Header) (spec.Request, bool) {
	for _, m := range methods {
		if !spec.IsSafelistedMethod(spec.NormalizeMethod(m)) {
			return spec.Request{Method: m}, true
		}
	}
	if len(headers) > 0 {
		return spec.Request{Method: methods[0], Headers: headers}, true
	}
	return spec.Request{}, false
}

// headerValue is the value a probe sends for an allowed request header: a
// JSON media type for Content-Type (what APIs allow it for), else a token.
func headerValue(name string) string {
	if strings.EqualFold(name, "Content-Type") {
		return "application/json"
	}
	return probeLabel
}

func headerKey(h []spec.Header) string {
	var b strings.Builder
	for _, x := range h {
		b.WriteString(x.Name)
		b.WriteByte(':')
		b.WriteString(x.Value)
		b.WriteByte('\n')
	}
	return b.String()
}

func probeID(pr probe) string {
	var b strings.Builder
	b.WriteString(string(pr.kind))
	if pr.variant != "" {
		b.WriteString("/" + string(pr.variant))
	}
	b.WriteString(" " + pr.req.Method)
	if len(pr.req.Headers) > 0 {
		names := make([]string, len(pr.req.Headers))
		for i, h := range pr.req.Headers {
			names[i] = h.Name
		}
		b.WriteString(" +" + strings.Join(names, ","))
	}
	if pr.req.Origin != "" {
		b.WriteString(" from " + pr.req.Origin)
	}
	if pr.preflightOnly {
		b.WriteString(" (preflight only)")
	}
	return b.String()
}

// sampleOrigins returns one origin per AllowOrigins entry that the policy
// allows: the origin itself, a subdomain for a pattern, an arbitrary origin
// for "*".
func sampleOrigins(p Policy) []string {
	var out []string
	for _, a := range p.AllowOrigins {
		switch {
		case a == "*":
			out = append(out, anyOriginSample)
		case strings.Contains(a, "*"):
			pt, err := parsePattern(a)
			if err != nil {
				continue
			}
			out = append(out, pt.origin(probeLabel+"."+pt.domain, pt.port))
		default:
			out = append(out, a)
		}
	}
	return out
}

func (pt pattern) origin(host, port string) string {
	return joinOrigin(pt.scheme, host, port)
}

func joinOrigin(scheme, host, port string) string {
	if port == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

type hostile struct {
	variant Variant
	base    string
	origin  string
}

// hostileOrigins derives the hostile origins from the policy's allowed
// origins and patterns, plus the two unrelated ones (an arbitrary origin
// and null).
func hostileOrigins(p Policy) []hostile {
	if p.anyOrigin() {
		return nil
	}
	out := []hostile{
		{VariantReflection, "", attackerOrigin},
		{VariantNull, "", "null"},
	}
	for _, a := range p.AllowOrigins {
		var scheme, host, port, domain string
		isPattern := strings.Contains(a, "*")
		if isPattern {
			pt, err := parsePattern(a)
			if err != nil {
				continue
			}
			scheme, host, port, domain = pt.scheme, probeLabel+"."+pt.domain, pt.port, pt.domain
		} else {
			o, err := spec.ParseOrigin(a)
			if err != nil || o.Opaque {
				continue
			}
			scheme, host, port, domain = o.Scheme, o.Host, o.Port, o.Host
		}
		add := func(v Variant, origin string) { out = append(out, hostile{v, a, origin}) }
		isIP := strings.HasPrefix(host, "[")
		if _, err := netip.ParseAddr(host); err == nil {
			isIP = true
		}
		if scheme == "https" {
			add(VariantInsecure, joinOrigin("http", host, port))
		}
		if !isIP {
			if isPattern {
				add(VariantApex, joinOrigin(scheme, domain, port))
				add(VariantEmptyLabel, joinOrigin(scheme, "."+domain, port))
			} else {
				if labels := strings.Split(host, "."); len(labels) >= 3 {
					add(VariantSibling, joinOrigin(scheme, probeLabel+"."+strings.Join(labels[1:], "."), port))
				}
				add(VariantChild, joinOrigin(scheme, probeLabel+"."+host, port))
			}
			add(VariantSuffix, joinOrigin(scheme, "evil"+domain, port))
		}
		add(VariantPrefix, joinOrigin(scheme, host+evilSuffix, port))
		add(VariantSpecialChar, joinOrigin(scheme, host+"_"+evilSuffix, port))
		add(VariantSpecialChar, joinOrigin(scheme, host+"`"+evilSuffix, port))
		add(VariantPort, joinOrigin(scheme, host, otherPort(scheme, port)))
		if !isIP {
			// Each dot of the allowed part of the host matching any byte.
			lit := host
			start := 0
			if isPattern {
				start = len(probeLabel) + 1
			}
			for i := start; i < len(lit); i++ {
				if lit[i] == '.' {
					add(VariantUnescapedDot, joinOrigin(scheme, lit[:i]+"x"+lit[i+1:], port))
				}
			}
		}
	}
	return out
}

// otherPort returns a port that differs from port (the scheme's default when
// empty).
func otherPort(scheme, port string) string {
	if port == "" {
		if scheme == "http" {
			return "8080"
		}
		return "8443"
	}
	n, _ := strconv.Atoi(port)
	if n >= 65535 {
		return strconv.Itoa(n - 1)
	}
	return strconv.Itoa(n + 1)
}
