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

// Variant names how a hostile origin is derived from an allowed one. Each
// variant is the probe for one class of origin-check flaw found in
// published advisories (docs/findings.md, "Bypass classes").
type Variant string

// The hostile origin variants, for an allowed origin https://app.example.com
// (or a pattern https://*.example.com, probed as crosscheck.example.com).
const (
	VariantReflection        Variant = "reflection"         // https://attacker.example.net, unrelated to the policy
	VariantNull              Variant = "null"               // the opaque origin null
	VariantInsecure          Variant = "insecure"           // http://app.example.com
	VariantSibling           Variant = "sibling"            // https://crosscheck.example.com
	VariantChild             Variant = "child"              // https://crosscheck.app.example.com
	VariantApex              Variant = "apex"               // https://example.com for *.example.com
	VariantEmptyLabel        Variant = "empty-label"        // https://.example.com, https://crosscheck..example.com for *.example.com
	VariantSuffix            Variant = "suffix"             // https://evilapp.example.com
	VariantRegistrableSuffix Variant = "registrable-suffix" // https://evilexample.com: "evil" + the allowed host's registrable domain
	VariantPrefix            Variant = "prefix"             // https://app.example.com.evil.net
	VariantSpecialChar       Variant = "special-char"       // https://app.example.com-evil.net, https://app.example.com_.evil.net
	VariantPort              Variant = "port"               // https://app.example.com:8443
	VariantPortDigits        Variant = "port-digits"        // http://localhost:30000 for http://localhost:3000
	VariantUnescapedDot      Variant = "unescaped-dot"      // https://appxexample.com
	VariantSubstring         Variant = "substring"          // https://evilapp.example.com.evil.net
	VariantCombined          Variant = "combined"           // https://adminapp.example.com for app.example.com and admin.example.com
	VariantIPLiteral         Variant = "ip-literal"         // https://203.0.113.7, https://[2001:db8::7]
	VariantLoopback          Variant = "loopback"           // http://localhost, http://127.0.0.1, http://[::1]
	VariantTrailingDot       Variant = "trailing-dot"       // https://app.example.com.
	VariantUppercase         Variant = "uppercase"          // https://APP.EXAMPLE.COM
)

// variantCode is the finding a readable variant raises on its own.
var variantCode = map[Variant]Code{
	VariantReflection:        OriginReflected,
	VariantNull:              NullOriginAllowed,
	VariantInsecure:          InsecureOriginAllowed,
	VariantSibling:           SubdomainAllowed,
	VariantChild:             SubdomainAllowed,
	VariantApex:              SubdomainAllowed,
	VariantEmptyLabel:        OriginEmptyLabel,
	VariantSuffix:            OriginSuffixBypass,
	VariantRegistrableSuffix: OriginSuffixBypass,
	VariantPrefix:            OriginPrefixBypass,
	VariantSpecialChar:       OriginPrefixBypass,
	VariantPort:              OriginPortIgnored,
	VariantPortDigits:        OriginPrefixBypass,
	VariantUnescapedDot:      OriginUnescapedDot,
	VariantSubstring:         OriginSubstringBypass,
	VariantCombined:          OriginCombinedHost,
	VariantIPLiteral:         IPOriginAllowed,
	VariantLoopback:          LoopbackOriginAllowed,
	VariantTrailingDot:       OriginTrailingDot,
	VariantUppercase:         OriginCaseInsensitive,
}

// variantDominators lists, broadest first, the variants whose flaw also
// explains a readable variant: a server that reflects every origin also
// lets null in; one that trusts every host ending with example.com also
// trusts crosscheck.example.com and evilapp.example.com; a prefix match also
// accepts app.example.com_.x and app.example.com:8443; a substring match
// accepts the prefix and suffix variants. A readable variant is reported
// under the code of the first readable one in its list (with the same base
// and shape) that explains it, so each flaw gets its own code once: the
// simplest explanation.
var variantDominators = map[Variant][]Variant{
	VariantNull:              {VariantReflection},
	VariantInsecure:          {VariantReflection, VariantSubstring},
	VariantSibling:           {VariantReflection, VariantRegistrableSuffix},
	VariantChild:             {VariantReflection, VariantRegistrableSuffix, VariantSibling, VariantSubstring, VariantSuffix},
	VariantApex:              {VariantReflection, VariantRegistrableSuffix, VariantSuffix},
	VariantEmptyLabel:        {VariantReflection, VariantRegistrableSuffix, VariantSuffix},
	VariantSuffix:            {VariantReflection, VariantRegistrableSuffix, VariantSibling, VariantSubstring},
	VariantRegistrableSuffix: {VariantReflection},
	VariantPrefix:            {VariantReflection, VariantSubstring},
	VariantSpecialChar:       {VariantReflection, VariantSubstring, VariantPrefix},
	VariantPort:              {VariantReflection, VariantSubstring, VariantPrefix},
	VariantPortDigits:        {VariantReflection, VariantSubstring, VariantPrefix, VariantPort},
	VariantUnescapedDot:      {VariantReflection, VariantRegistrableSuffix},
	VariantSubstring:         {VariantReflection},
	VariantCombined:          {VariantReflection, VariantRegistrableSuffix, VariantSibling, VariantSubstring, VariantSuffix},
	VariantIPLiteral:         {VariantReflection},
	VariantLoopback:          {VariantReflection},
	VariantTrailingDot:       {VariantReflection, VariantSubstring, VariantPrefix},
	VariantUppercase:         {VariantReflection},
}

// Probe origins and values that no sensible policy allows.
const (
	probeLabel     = "crosscheck"
	evilLabel      = "evil"
	evilDomain     = "evil.net"
	unlistedHeader = "X-Crosscheck-Unlisted"
	sampleHeader   = "X-Crosscheck-Probe"
	// maxCombined bounds the combined-host probes of a policy with many
	// origins (each ordered pair of allowed hosts gives one).
	maxCombined = 16
)

// unlistedMethods are the methods the unlisted-method probe chooses from,
// the first one the policy does not list.
var unlistedMethods = []string{"PUT", "DELETE", "PATCH"}

// The origins the reflection probe may use, the first one unrelated to the
// policy's registrable domains; the sample origin for "*" policies; the
// IP-literal and loopback origins.
var (
	attackerOrigins = []string{"https://attacker.example.net", "https://attacker.example.org", "https://attacker.example"}
	anyOriginSample = "https://client.example.org"
	ipLiteralHosts  = []string{"203.0.113.7", "[2001:db8::7]"}
	loopbackOrigins = []string{"http://localhost", "http://127.0.0.1", "http://[::1]"}
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
	hostiles := hostileOrigins(p, targetOrigin)
	// Room for every probe: appending copies probes, which are large.
	out := make([]probe, 0, 2*len(hostiles)+4*len(p.AllowOrigins)*max(1, len(p.AllowMethods))+4)
	seen := make(map[string]bool, cap(out))
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
	for _, h := range hostiles {
		if p.AllowsOrigin(h.origin) {
			continue
		}
		// Same-origin with the target (scheme, host and port): not a CORS
		// request.
		if o, err := spec.ParseOrigin(h.origin); err == nil && o.SameOrigin(targetOrigin) {
			continue
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
			for _, m := range unlistedMethods {
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
	sameOrigin := map[string]bool{}
	for i := range out {
		pr := &out[i]
		if pr.shape == "" && pr.req.Method == "GET" && len(pr.req.Headers) == 0 && !pr.preflightOnly {
			pr.shape = shapeSimple
		}
		if pr.kind == KindNoOrigin {
			continue
		}
		same, ok := sameOrigin[pr.req.Origin]
		if !ok {
			o, err := spec.ParseOrigin(pr.req.Origin)
			same = err == nil && o.SameOrigin(targetOrigin)
			sameOrigin[pr.req.Origin] = same
		}
		k := shapeKey{same, pr.req.Method, headerKey(pr.req.Headers), pr.req.Credentials}
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
// origins and patterns, plus the ones unrelated to them (an arbitrary
// origin, null, IP literals, loopback). target is the target's origin: a
// port variant that would be the target itself takes another port.
func hostileOrigins(p Policy, target spec.Origin) []hostile {
	if p.anyOrigin() {
		return nil
	}
	ownDomains := p.registrableDomains()
	out := []hostile{
		{VariantReflection, "", reflectionOrigin(ownDomains)},
		{VariantNull, "", "null"},
	}
	// An origin the variant may use: not allowed by the policy, not the
	// target itself.
	usable := func(origin string) bool {
		if p.AllowsOrigin(origin) {
			return false
		}
		o, err := spec.ParseOrigin(origin)
		return err != nil || !o.SameOrigin(target)
	}
	type fixed struct {
		base, scheme, host, port, domain string
		pattern, ip                      bool
	}
	var bases []fixed
	for _, a := range p.AllowOrigins {
		if strings.Contains(a, "*") {
			pt, err := parsePattern(a)
			if err != nil {
				continue
			}
			bases = append(bases, fixed{a, pt.scheme, probeLabel + "." + pt.domain, pt.port, pt.domain, true, false})
			continue
		}
		o, err := spec.ParseOrigin(a)
		if err != nil || o.Opaque {
			continue
		}
		bases = append(bases, fixed{a, o.Scheme, o.Host, o.Port, o.Host, false, isIPHost(o.Host)})
	}
	for _, b := range bases {
		add := func(v Variant, origin string) { out = append(out, hostile{v, b.base, origin}) }
		scheme, host, port, domain := b.scheme, b.host, b.port, b.domain
		ipv6 := strings.HasPrefix(host, "[")
		if scheme == "https" {
			add(VariantInsecure, joinOrigin("http", host, port))
		}
		if !b.ip {
			if b.pattern {
				add(VariantApex, joinOrigin(scheme, domain, port))
				add(VariantEmptyLabel, joinOrigin(scheme, "."+domain, port))
				add(VariantEmptyLabel, joinOrigin(scheme, probeLabel+".."+domain, port))
			} else {
				if labels := strings.Split(host, "."); len(labels) >= 3 {
					add(VariantSibling, joinOrigin(scheme, probeLabel+"."+strings.Join(labels[1:], "."), port))
				}
				add(VariantChild, joinOrigin(scheme, probeLabel+"."+host, port))
			}
			add(VariantSuffix, joinOrigin(scheme, evilLabel+domain, port))
			if reg := registrableDomain(domain); reg != "" && reg != domain {
				add(VariantRegistrableSuffix, joinOrigin(scheme, evilLabel+reg, port))
			}
		}
		if !ipv6 {
			add(VariantPrefix, joinOrigin(scheme, host+"."+evilDomain, port))
			add(VariantSpecialChar, joinOrigin(scheme, host+"-"+evilDomain, port))
			add(VariantSpecialChar, joinOrigin(scheme, host+"_."+evilDomain, port))
			add(VariantSpecialChar, joinOrigin(scheme, host+"`."+evilDomain, port))
			add(VariantSubstring, joinOrigin(scheme, evilLabel+domain+"."+evilDomain, port))
		}
		for _, pt := range otherPorts(scheme, port) {
			if o := joinOrigin(scheme, host, pt); usable(o) {
				add(VariantPort, o)
				break
			}
		}
		if port != "" {
			for d := range 10 {
				pt := port + strconv.Itoa(d)
				if n, _ := strconv.Atoi(pt); n > 65535 {
					break
				}
				if o := joinOrigin(scheme, host, pt); usable(o) {
					add(VariantPortDigits, o)
					break
				}
			}
		}
		if !b.ip {
			// Each dot of the allowed part of the host matching any byte.
			start := 0
			if b.pattern {
				start = len(probeLabel) + 1
			}
			for i := start; i < len(host); i++ {
				if host[i] == '.' {
					add(VariantUnescapedDot, joinOrigin(scheme, host[:i]+"x"+host[i+1:], port))
				}
			}
			add(VariantTrailingDot, joinOrigin(scheme, host+".", port))
			add(VariantUppercase, joinOrigin(scheme, strings.ToUpper(host), port))
		}
	}
	// Combined hosts: the first label of one allowed host joined to another
	// allowed host (or pattern domain), both orders, reported against the
	// host it ends with.
	n := 0
	for _, b := range bases {
		for _, a := range bases {
			if a.domain == b.domain || a.pattern || a.ip || b.ip || n == maxCombined {
				continue
			}
			label, _, _ := strings.Cut(a.domain, ".")
			out = append(out, hostile{VariantCombined, b.base, joinOrigin(b.scheme, label+b.domain, b.port)})
			n++
		}
	}
	scheme := "https"
	if len(bases) > 0 {
		scheme = bases[0].scheme
	}
	for _, h := range ipLiteralHosts {
		out = append(out, hostile{VariantIPLiteral, "", scheme + "://" + h})
	}
	for _, o := range loopbackOrigins {
		out = append(out, hostile{VariantLoopback, "", o})
	}
	return out
}

// reflectionOrigin is the first attacker origin outside the policy's
// registrable domains.
func reflectionOrigin(own map[string]bool) string {
	for _, o := range attackerOrigins {
		if !own[registrableDomain(strings.TrimPrefix(o, "https://"))] {
			return o
		}
	}
	return attackerOrigins[len(attackerOrigins)-1]
}

// isIPHost reports whether a serialized host is an IP address.
func isIPHost(host string) bool {
	if strings.HasPrefix(host, "[") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}

// otherPorts returns ports that differ from port (the scheme's default
// when empty), the first choices first.
func otherPorts(scheme, port string) []string {
	if port == "" {
		if scheme == "http" {
			return []string{"8080", "8081", "8000"}
		}
		return []string{"8443", "8444", "9443"}
	}
	n, _ := strconv.Atoi(port)
	var out []string
	for _, d := range []int{1, 2, 3, -1, -2} {
		if m := n + d; m > 0 && m <= 65535 {
			out = append(out, strconv.Itoa(m))
		}
	}
	return out
}
