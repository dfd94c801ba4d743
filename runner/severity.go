package runner

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// reach says who can serve a page from an origin: the first input of a
// hostile-origin finding's severity (the second is whether credentialed
// responses are readable). Ordered from nobody to anyone.
type reach int

const (
	// reachNone: no page a victim's browser loads from the Internet can
	// have the origin (an empty DNS label, a host no certificate can name,
	// an origin browsers never send), or only the allowed origin's own
	// server can.
	reachNone reach = iota
	// reachLocal: a page served on the victim's own machine or local
	// network (localhost, loopback and private addresses).
	reachLocal
	// reachOwner: a host the owner controls: another host of an allowed
	// origin's registrable domain (a subdomain taken over, an XSS there),
	// another port of an allowed host, a name under a non-public top-level
	// domain.
	reachOwner
	// reachOnPath: anyone on the victim's network path (public Wi-Fi), by
	// injecting script into a plain-http page.
	reachOnPath
	// reachAnyone: anyone on the Internet: a domain anyone can register,
	// an IP address anyone can rent, the null origin, any origin.
	reachAnyone
)

// severity maps who can exploit a readable response, and whether it is
// readable with credentials, to a severity (docs/findings.md, "Severity").
func (r reach) severity(credentialed bool) Severity {
	switch r {
	case reachAnyone:
		if credentialed {
			return High
		}
		return Medium
	case reachOnPath, reachOwner:
		if credentialed {
			return Medium
		}
		return Low
	case reachLocal:
		if credentialed {
			return Low
		}
		return Info
	}
	return Info
}

// registrableDomain is host's registrable domain (eTLD+1 by the Public
// Suffix List), "" for an IP address, a public suffix itself, or a host
// with an empty label.
func registrableDomain(host string) string {
	host = strings.TrimSuffix(host, ".")
	if host == "" || isIPHost(host) || strings.Contains(host, "..") || strings.HasPrefix(host, ".") {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	return d
}

// registrableDomains returns the registrable domains of the policy's
// allowed hosts and pattern domains: the hosts the owner controls.
func (p Policy) registrableDomains() map[string]bool {
	own := map[string]bool{}
	for _, a := range p.AllowOrigins {
		var host string
		if strings.Contains(a, "*") {
			pt, err := parsePattern(a)
			if err != nil {
				continue
			}
			host = pt.domain
		} else {
			o, err := spec.ParseOrigin(a)
			if err != nil || o.Opaque {
				continue
			}
			host = o.Host
		}
		if d := registrableDomain(host); d != "" {
			own[d] = true
		} else if !isIPHost(host) {
			own[host] = true // a public suffix or a single label: the host itself
		}
	}
	return own
}

// allowedHosts returns the hosts of the policy's exact origins.
func (p Policy) allowedHosts() map[string]bool {
	hosts := map[string]bool{}
	for _, a := range p.AllowOrigins {
		if o, err := spec.ParseOrigin(a); err == nil && !o.Opaque {
			hosts[o.Host] = true
		}
	}
	return hosts
}

// splitOrigin splits a hostile origin into scheme, host and port without
// validating it (hostile origins may be what browsers never send).
func splitOrigin(origin string) (scheme, host, port string, ok bool) {
	scheme, hp, ok := strings.Cut(origin, "://")
	if !ok {
		return "", "", "", false
	}
	host = hp
	if i := strings.LastIndexByte(hp, ':'); i >= 0 && !strings.Contains(hp[i:], "]") {
		host, port = hp[:i], hp[i+1:]
	}
	return scheme, host, port, true
}

// originReach decides who can serve a page from a hostile origin, and why,
// from the origin alone and the policy: the Public Suffix List tells which
// hosts anyone can register.
func originReach(p Policy, v Variant, origin string) (reach, string) {
	switch {
	case v == VariantReflection:
		return reachAnyone, "any origin is let in, so any web page can read"
	case origin == "null":
		return reachAnyone, "any page can take the null origin (a sandboxed iframe)"
	}
	scheme, host, _, ok := splitOrigin(origin)
	if !ok {
		return reachNone, "browsers never send this origin"
	}
	r, why, ok := hostOnlyReach(p, scheme, host)
	if v == VariantInsecure && (!ok || r > reachLocal) {
		return reachOnPath, "a plain-http page of an allowed host: anyone on the victim's network path (public Wi-Fi) can inject script into it"
	}
	if ok {
		return r, why
	}
	return hostReach(p, host)
}

// hostOnlyReach decides the cases that do not depend on who owns the
// name: malformed hosts, IP addresses, loopback names.
func hostOnlyReach(p Policy, scheme, host string) (reach, string, bool) {
	switch {
	case host == "" || strings.HasPrefix(host, ".") || strings.Contains(host, ".."):
		return reachNone, "no DNS name has an empty label and browsers do not resolve one: only someone who already controls the victim's network could serve it", true
	case strings.ToLower(host) != host:
		return reachNone, "browsers lower-case host names, so no browser sends this origin", true
	}
	if isIPHost(host) {
		a, err := netip.ParseAddr(strings.Trim(host, "[]"))
		switch {
		case err != nil:
			return reachNone, "not an IP address browsers serialize", true
		case a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified():
			return reachLocal, "a loopback or private address: only a page on the victim's machine or local network has it", true
		case p.allowedHosts()[host]:
			return reachOwner, "an allowed IP address on another port or scheme: a service of the allowed host's owner", true
		}
		return reachAnyone, "a public IP address: whoever holds one (anyone can rent one) can serve a page from it", true
	}
	name := strings.TrimSuffix(host, ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return reachLocal, "a localhost name: only a page on the victim's own machine has it", true
	}
	if strings.HasSuffix(host, ".") && (p.allowedHosts()[name] || p.AllowsOrigin(scheme+"://"+name)) {
		return reachNone, "the allowed host written as an absolute DNS name: only the allowed origin's own server answers for it", true
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		for j := 0; j < len(l); j++ {
			c := l[j]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			case c == '_' && (scheme != "https" || i == 0):
				// Allowed in DNS; a wildcard certificate of the parent
				// covers a leftmost label with "_".
			case c == '_':
				return reachNone, "public certificate authorities issue no certificate for a name with \"_\" below its first label, so no https page can have this origin", true
			default:
				return reachNone, fmt.Sprintf("%q is not allowed in DNS names or certificates: no public server can have this host", string(c)), true
			}
		}
	}
	return 0, "", false
}

// hostReach decides, by the Public Suffix List, whether anyone can register
// the host's registrable domain or only the owner controls it.
func hostReach(p Policy, host string) (reach, string) {
	name := strings.TrimSuffix(host, ".")
	labels := strings.Split(name, ".")
	tld := labels[len(labels)-1]
	if _, icann := publicsuffix.PublicSuffix(tld); !icann {
		return reachOwner, fmt.Sprintf("under .%s, not a public top-level domain: only whoever runs the network's DNS can name hosts there", tld)
	}
	reg := registrableDomain(name)
	switch {
	case reg == "":
		return reachOwner, fmt.Sprintf("%s is a public suffix: only its registry operates it", name)
	case p.registrableDomains()[reg]:
		return reachOwner, fmt.Sprintf("a host in %s, an allowed origin's registrable domain: exploiting it takes a host the owner controls (a subdomain takeover, an XSS there)", reg)
	}
	return reachAnyone, fmt.Sprintf("%s is a registrable domain (Public Suffix List) outside the policy: anyone can register it", reg)
}

// hostileSeverity is the severity and rationale of a readable hostile
// origin.
func hostileSeverity(p Policy, v Variant, origin string, credentialed bool) (Severity, string) {
	r, why := originReach(p, v, origin)
	sev := r.severity(credentialed)
	if credentialed {
		return sev, why + "; responses are readable with the user's credentials"
	}
	return sev, why + "; responses are readable without credentials only"
}

// storability says which caches may store a response and reuse it.
type storability int

const (
	storeNone      storability = iota // no cache may store it
	storePrivate                      // only the user's own browser cache
	storeHeuristic                    // any cache, by heuristic freshness or after revalidation
	storeShared                       // shared caches, explicitly
)

// heuristicStatus lists the status codes a cache may store without explicit
// freshness (RFC 9110 §15.1, "heuristically cacheable").
var heuristicStatus = map[int]bool{200: true, 203: true, 204: true, 206: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true}

// cacheability decides from a response's Cache-Control and Expires (RFC
// 9111 §3, §4.2.2) and the request's Authorization (§3.5) which caches may
// store it, and says why.
func cacheability(req, resp []spec.Header, status int) (storability, string) {
	dirs := map[string]string{}
	if v, ok := spec.GetHeader(resp, "Cache-Control"); ok {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			dirs[strings.ToLower(strings.TrimSpace(name))] = strings.Trim(strings.TrimSpace(val), `"`)
		}
	}
	_, hasExpires := spec.GetHeader(resp, "Expires")
	has := func(n string) bool { _, ok := dirs[n]; return ok }
	maxAge := -1
	if v, ok := dirs["max-age"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			maxAge = n
		}
	}
	_, auth := spec.GetHeader(req, "Authorization")
	switch {
	case has("no-store"):
		return storeNone, "Cache-Control: no-store: no cache may store the response"
	case has("private"):
		return storePrivate, "Cache-Control: private: only the user's own browser cache may store it"
	case auth && !has("public") && !has("s-maxage") && !has("must-revalidate"):
		return storePrivate, "a response to a request with Authorization: shared caches do not store it (RFC 9111 §3.5)"
	case has("no-cache") || maxAge == 0:
		return storeHeuristic, "Cache-Control: no-cache or max-age=0: caches may store it and reuse it after revalidation, which does not look at Origin"
	case has("public") || has("s-maxage") || maxAge > 0 || hasExpires:
		return storeShared, "explicit freshness (Cache-Control or Expires): shared caches may store it and serve it for other origins' requests"
	case heuristicStatus[status]:
		return storeHeuristic, fmt.Sprintf("no Cache-Control: a %d response may be stored and reused with heuristic freshness (RFC 9111 §4.2.2)", status)
	}
	return storeNone, fmt.Sprintf("no explicit freshness and status %d is not heuristically cacheable: no cache may reuse it", status)
}

// varySeverity is the severity of a missing Vary: Origin: its impact is
// availability (a stored answer given to one origin breaks another's
// request), bounded by which caches may store the response.
func varySeverity(s storability) Severity {
	switch s {
	case storeShared:
		return Medium
	case storePrivate, storeHeuristic:
		return Low
	}
	return Info
}
