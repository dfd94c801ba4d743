package runner

import "fmt"

// Code is a stable, kebab-case finding code. Codes are API: they appear in
// JSON and JUnit reports and in docs/findings.md. Never rename one.
type Code string

// The finding codes. docs/findings.md explains each one with what it means,
// why it matters, how to fix it and a bad and a good server response.
const (
	// AllowedRequestBlocked: a request the policy allows would be blocked
	// by a browser (bad preflight status, missing or wrong
	// Access-Control-Allow-Origin, -Credentials, -Methods, -Headers…).
	AllowedRequestBlocked Code = "allowed-request-blocked"
	// OriginReflected: the server echoes any origin in
	// Access-Control-Allow-Origin.
	OriginReflected Code = "origin-reflected"
	// NullOriginAllowed: the `null` origin (sandboxed iframes, data: URLs)
	// can read responses.
	NullOriginAllowed Code = "null-origin-allowed"
	// InsecureOriginAllowed: the http:// variant of an allowed https
	// origin can read responses.
	InsecureOriginAllowed Code = "insecure-origin-allowed"
	// SubdomainAllowed: an unlisted host in an allowed origin's domain (a
	// subdomain or a sibling, or the apex of a `*.` pattern) can read
	// responses.
	SubdomainAllowed Code = "subdomain-allowed"
	// OriginSuffixBypass: an origin that merely ends with an allowed host
	// (`https://evilapp.example.com`) or with its registrable domain
	// (`https://evilexample.com`, which anyone can register) can read
	// responses.
	OriginSuffixBypass Code = "origin-suffix-bypass"
	// OriginPrefixBypass: an origin that merely starts with an allowed
	// origin (`https://app.example.com.evil.net`, or followed by a special
	// character such as `_`) can read responses.
	OriginPrefixBypass Code = "origin-prefix-bypass"
	// OriginUnescapedDot: a dot of an allowed host matched any character
	// (`https://appxexample.com`), as an unescaped `.` in a regular
	// expression does.
	OriginUnescapedDot Code = "origin-unescaped-dot"
	// OriginEmptyLabel: a `*.` pattern also matches a host with an empty
	// label (`https://.example.com`, `https://a..example.com`): the origin
	// check splits or suffix-matches labels without requiring them to be
	// non-empty. No DNS name has an empty label, so only someone who already
	// controls the victim's network could serve such an origin: severity
	// info. (rs/cors, go-chi/cors, gin-contrib/cors, echo and fiber v2 have
	// it.)
	OriginEmptyLabel Code = "origin-empty-label"
	// OriginPortIgnored: an allowed host on another port can read
	// responses. (Added to the list: a real class of hostname-only
	// comparisons.)
	OriginPortIgnored Code = "origin-port-ignored"
	// WildcardOriginAllowed: the policy lists origins but the server answers
	// `Access-Control-Allow-Origin: *`, so any origin can read
	// uncredentialed responses. (Added to the list.)
	WildcardOriginAllowed Code = "wildcard-origin-allowed"
	// WildcardWithCredentials: the policy allows credentialed requests but
	// the server answers them with `Access-Control-Allow-Origin: *`, which
	// browsers refuse when credentials are included.
	WildcardWithCredentials Code = "wildcard-with-credentials"
	// MissingVaryOrigin: the response depends on Origin but does not say
	// `Vary: Origin`, so a shared cache can serve it to another origin
	// (including the responses to requests without Origin).
	MissingVaryOrigin Code = "missing-vary-origin"
	// ExposedHeaderMissing: a header the policy exposes cannot be read by
	// script (it is not in Access-Control-Expose-Headers).
	ExposedHeaderMissing Code = "exposed-header-missing"
	// UnlistedMethodAllowed: a preflight for a method the policy does not
	// list passes, so the browser would send the request.
	UnlistedMethodAllowed Code = "unlisted-method-allowed"
	// UnlistedHeaderAllowed: a preflight for a request header the policy
	// does not list passes.
	UnlistedHeaderAllowed Code = "unlisted-header-allowed"
	// OriginSubstringBypass: an origin that merely contains an allowed host
	// (`https://evilapp.example.com.evil.net`) can read responses: a match
	// anchored at neither end.
	OriginSubstringBypass Code = "origin-substring-bypass"
	// OriginCombinedHost: a host made of a label of one allowed host joined
	// to another allowed host (`https://adminapp.example.com` for
	// app.example.com and admin.example.com) can read responses, as
	// matchers that index allowed hosts by suffix allowed
	// (GHSA-vhxv-fg4m-p2w8).
	OriginCombinedHost Code = "origin-combined-host"
	// IPOriginAllowed: an origin whose host is an IP address the policy does
	// not list (`https://203.0.113.7`) can read responses.
	IPOriginAllowed Code = "ip-origin-allowed"
	// LoopbackOriginAllowed: a loopback origin the policy does not list
	// (`http://localhost`, `http://127.0.0.1`, `http://[::1]`) can read
	// responses.
	LoopbackOriginAllowed Code = "loopback-origin-allowed"
	// OriginTrailingDot: an allowed host written with a trailing dot
	// (`https://app.example.com.`), a distinct origin, can read responses.
	OriginTrailingDot Code = "origin-trailing-dot"
	// OriginCaseInsensitive: an allowed origin in upper case
	// (`https://APP.EXAMPLE.COM`), which no browser sends, can read
	// responses: the origin check ignores case.
	OriginCaseInsensitive Code = "origin-case-insensitive"
	// MaxAgeMismatch: a preflight the policy allows passes, but browsers
	// cache it for another time than the policy's maxAge
	// (Access-Control-Max-Age missing or invalid — the 5 s default — or
	// another value). Longer than declared keeps a grant alive after the
	// policy withdraws it: low; shorter costs preflights only: info.
	MaxAgeMismatch Code = "max-age-mismatch"
	// CachedMethodUnlisted: the answer to a preflight the policy allows
	// lists a method the policy does not (or `*`), so once cached it lets
	// a later request with that method from the same origin go without a
	// preflight, whatever a preflight asking for it would be answered.
	CachedMethodUnlisted Code = "cached-method-unlisted"
	// CachedHeaderUnlisted: the same for a request header the policy does
	// not list.
	CachedHeaderUnlisted Code = "cached-header-unlisted"
)

// Severity ranks a finding by who can exploit it, decided per finding from
// the evidence (docs/findings.md, "Severity"):
//
//   - High: anyone on the Internet can exploit it through a victim's
//     browser and read credentialed responses (an origin an attacker can
//     register, null, any origin).
//   - Medium: anyone can read uncredentialed responses; or credentialed
//     ones, but only from a host the owner controls (a subdomain taken over)
//     or from a position on the victim's network path; or requests the
//     policy allows break; or a shared cache may serve one origin's answer
//     to another.
//   - Low: a smaller gap: reading that needs the owner's host or the
//     network path without credentials, a page on the victim's own machine,
//     more than the policy declares accepted from allowed origins, a header
//     script cannot read.
//   - Info: reported, but not exploitable through a browser (no browser
//     page can have that origin, or no cache may store the response).
//
// The zero value is not a severity.
type Severity string

// The severities, most severe first.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
	Info   Severity = "info"
)

// DefaultFailOn is the fail threshold when none is given: findings at low
// and above fail a certification; info findings are reported only.
const DefaultFailOn = Low

// Severities lists the severities, most severe first.
func Severities() []Severity { return []Severity{High, Medium, Low, Info} }

// ParseSeverity parses a severity name (high, medium, low, info).
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(s)
	if sev.rank() < 0 {
		return "", fmt.Errorf("severity %q: want high, medium, low or info", s)
	}
	return sev, nil
}

// rank orders the severities: 3 for High down to 0 for Info, -1 for
// anything else.
func (s Severity) rank() int {
	switch s {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// AtLeast reports whether s is as severe as t or more. An unknown severity
// is below every known one.
func (s Severity) AtLeast(t Severity) bool { return s.rank() >= t.rank() }

// codeInfo is the static description of a finding code.
type codeInfo struct {
	title string
	// max is the highest severity the code can take; each finding's own
	// severity comes from its evidence (docs/findings.md, "Severity").
	max Severity
}

var codes = map[Code]codeInfo{
	AllowedRequestBlocked:   {"a request the policy allows is blocked by the browser", Medium},
	OriginReflected:         {"any origin is reflected in Access-Control-Allow-Origin", High},
	NullOriginAllowed:       {"the null origin can read responses", High},
	InsecureOriginAllowed:   {"the http:// variant of an allowed origin can read responses", Medium},
	SubdomainAllowed:        {"an unlisted host of an allowed domain can read responses", High},
	OriginSuffixBypass:      {"an origin ending with an allowed host or its registrable domain can read responses", High},
	OriginPrefixBypass:      {"an origin starting with an allowed origin can read responses", High},
	OriginUnescapedDot:      {"a dot in an allowed host matches any character", High},
	OriginEmptyLabel:        {"a subdomain pattern matches a host with an empty label", Info},
	OriginPortIgnored:       {"an allowed host on another port can read responses", Medium},
	WildcardOriginAllowed:   {"any origin can read responses through Access-Control-Allow-Origin: *", Medium},
	WildcardWithCredentials: {"credentialed requests are answered with Access-Control-Allow-Origin: *", Medium},
	MissingVaryOrigin:       {"an origin-dependent response lacks Vary: Origin", Medium},
	ExposedHeaderMissing:    {"a header the policy exposes cannot be read by script", Low},
	UnlistedMethodAllowed:   {"a method the policy does not list passes the preflight", Low},
	UnlistedHeaderAllowed:   {"a request header the policy does not list passes the preflight", Low},
	OriginSubstringBypass:   {"an origin containing an allowed host can read responses", High},
	OriginCombinedHost:      {"a host combining two allowed hosts can read responses", High},
	IPOriginAllowed:         {"an IP-address origin the policy does not list can read responses", High},
	LoopbackOriginAllowed:   {"a loopback origin the policy does not list can read responses", Low},
	OriginTrailingDot:       {"an allowed host with a trailing dot can read responses", Info},
	OriginCaseInsensitive:   {"the origin check ignores case", Info},
	MaxAgeMismatch:          {"a passing preflight is cached for another time than the policy's maxAge", Low},
	CachedMethodUnlisted:    {"a cached preflight answer lets a method the policy does not list go without a preflight", Low},
	CachedHeaderUnlisted:    {"a cached preflight answer lets a request header the policy does not list go without a preflight", Low},
}

// AllCodes lists every finding code, in a stable order.
func AllCodes() []Code {
	return []Code{
		AllowedRequestBlocked, OriginReflected, NullOriginAllowed, InsecureOriginAllowed,
		SubdomainAllowed, OriginSuffixBypass, OriginPrefixBypass, OriginUnescapedDot,
		OriginEmptyLabel, OriginPortIgnored, WildcardOriginAllowed, WildcardWithCredentials, MissingVaryOrigin,
		ExposedHeaderMissing, UnlistedMethodAllowed, UnlistedHeaderAllowed,
		OriginSubstringBypass, OriginCombinedHost, IPOriginAllowed, LoopbackOriginAllowed,
		OriginTrailingDot, OriginCaseInsensitive,
		MaxAgeMismatch, CachedMethodUnlisted, CachedHeaderUnlisted,
	}
}

// Title is a one-line description of the code for people.
func (c Code) Title() string { return codes[c].title }

// Known reports whether c is one of the runner's finding codes.
func (c Code) Known() bool { _, ok := codes[c]; return ok }

// MaxSeverity is the highest severity a finding with this code can take
// (the severity of each finding is decided from its own evidence).
func (c Code) MaxSeverity() Severity { return codes[c].max }

// DocRef is where the code is explained, for reports: the section of
// docs/findings.md in the repository, which `crosscheck findings CODE`
// prints from the binary.
func (c Code) DocRef() string { return DocsPath + "#" + string(c) }

// HelpCommand is the command that prints the code's documentation offline.
func (c Code) HelpCommand() string { return "crosscheck findings " + string(c) }

// DocsPath is the repository-relative path of the findings documentation.
const DocsPath = "docs/findings.md"
