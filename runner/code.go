package runner

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
	// (`https://evilapp.example.com`) can read responses.
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
	// leading label (`https://.example.com`): the origin check splits or
	// suffix-matches labels without requiring them to be non-empty. No
	// page can be served from such a host, so it is not exploitable
	// through a browser on its own, but it shows an origin parser that
	// accepts what it should refuse. (Added to the list: rs/cors,
	// go-chi/cors, gin-contrib/cors, echo and fiber v2 have it.)
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
)

// Severity ranks a finding: High lets another origin read credentialed
// responses; Medium lets it read uncredentialed ones, or breaks requests the
// policy allows, or risks cache poisoning; Low is a smaller deviation from
// the policy.
type Severity string

// The severities.
const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// codeInfo is the static description of a finding code.
type codeInfo struct {
	severity Severity // default; hostile-origin codes become High when credentialed responses are readable
	title    string
}

var codes = map[Code]codeInfo{
	AllowedRequestBlocked:   {Medium, "a request the policy allows is blocked by the browser"},
	OriginReflected:         {Medium, "any origin is reflected in Access-Control-Allow-Origin"},
	NullOriginAllowed:       {Medium, "the null origin can read responses"},
	InsecureOriginAllowed:   {Medium, "the http:// variant of an allowed origin can read responses"},
	SubdomainAllowed:        {Medium, "an unlisted host of an allowed domain can read responses"},
	OriginSuffixBypass:      {Medium, "an origin ending with an allowed host can read responses"},
	OriginPrefixBypass:      {Medium, "an origin starting with an allowed origin can read responses"},
	OriginUnescapedDot:      {Medium, "a dot in an allowed host matches any character"},
	OriginEmptyLabel:        {Low, "a subdomain pattern matches a host with an empty label"},
	OriginPortIgnored:       {Medium, "an allowed host on another port can read responses"},
	WildcardOriginAllowed:   {Medium, "any origin can read responses through Access-Control-Allow-Origin: *"},
	WildcardWithCredentials: {Medium, "credentialed requests are answered with Access-Control-Allow-Origin: *"},
	MissingVaryOrigin:       {Medium, "an origin-dependent response lacks Vary: Origin"},
	ExposedHeaderMissing:    {Low, "a header the policy exposes cannot be read by script"},
	UnlistedMethodAllowed:   {Medium, "a method the policy does not list passes the preflight"},
	UnlistedHeaderAllowed:   {Low, "a request header the policy does not list passes the preflight"},
}

// AllCodes lists every finding code, in a stable order.
func AllCodes() []Code {
	return []Code{
		AllowedRequestBlocked, OriginReflected, NullOriginAllowed, InsecureOriginAllowed,
		SubdomainAllowed, OriginSuffixBypass, OriginPrefixBypass, OriginUnescapedDot,
		OriginEmptyLabel, OriginPortIgnored, WildcardOriginAllowed, WildcardWithCredentials, MissingVaryOrigin,
		ExposedHeaderMissing, UnlistedMethodAllowed, UnlistedHeaderAllowed,
	}
}

// Title is a one-line description of the code for people.
func (c Code) Title() string { return codes[c].title }

// Known reports whether c is one of the runner's finding codes.
func (c Code) Known() bool { _, ok := codes[c]; return ok }

// DocURL is the section of docs/findings.md that explains the code.
func (c Code) DocURL() string { return DocsBase + "#" + string(c) }

// DocsBase is where docs/findings.md is published.
const DocsBase = "https://github.com/crosscheck-dev/crosscheck/blob/main/docs/findings.md"
