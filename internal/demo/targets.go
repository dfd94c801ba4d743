package demo

import (
	_ "embed"
	"net/http"
)

// PolicyJSON is the policy every demo target declares.
//
//go:embed policy.json
var PolicyJSON []byte

// Target is one demo target: a server that declares PolicyJSON and
// implements it correctly or with the flaws named.
type Target struct {
	Name     string
	About    string   // one line: what the server does
	Expected []string // the finding codes the runner must report, sorted
	Config   Config
}

// Handler returns the target's server.
func (t Target) Handler() http.Handler { return Handler(t.Config) }

// base is the demo policy as a Config (the same values as policy.json).
func base(f Flaw) Config {
	return Config{
		Origins:     []string{"https://app.example.com"},
		Methods:     []string{"GET", "POST", "PUT"},
		Headers:     []string{"Content-Type", "X-Request-Id"},
		Expose:      []string{"X-Total-Count"},
		Credentials: true,
		MaxAge:      600,
		Flaws:       f,
	}
}

func withCacheControl(c Config, v string) Config {
	c.CacheControl = v
	return c
}

// Targets returns the demo targets: a correct one, then flawed ones.
func Targets() []Target {
	return []Target{
		{"correct", "implements the policy: exact origin match, 403 on refused preflights, Vary: Origin",
			nil, base(0)},
		{"reflect-origin", "echoes any Origin with Access-Control-Allow-Credentials: true",
			[]string{"origin-reflected"}, base(ReflectOrigin)},
		{"suffix-match", "accepts any origin that ends with app.example.com (hosts in example.com: medium)",
			[]string{"origin-suffix-bypass"}, base(SuffixMatch)},
		{"domain-suffix", "accepts any https origin that ends with example.com, so https://evilexample.com (anyone's: high)",
			[]string{"origin-suffix-bypass"}, base(DomainSuffix)},
		{"wildcard-credentials", "answers Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
			[]string{"wildcard-origin-allowed", "wildcard-with-credentials"}, base(WildcardCredentials)},
		{"no-vary", "reflects allowed origins without Vary: Origin, and caches may store its answers",
			[]string{"missing-vary-origin"}, base(NoVary)},
		{"no-vary-no-store", "the same, but Cache-Control: no-store: no cache keeps an answer, so it passes (info)",
			[]string{"missing-vary-origin"}, withCacheControl(base(NoVary), "no-store")},
		{"lax-preflight", "approves whatever method and headers a preflight asks for",
			[]string{"unlisted-header-allowed", "unlisted-method-allowed"}, base(AnyMethod | AnyHeader)},
		{"forgot-credentials", "omits Access-Control-Allow-Credentials",
			[]string{"allowed-request-blocked"}, base(NoCredentialsHeader)},
		{"stale-lists", "refuses preflights for DELETE and X-Debug, but its answers to allowed ones still list them: cached, they let both through",
			[]string{"cached-header-unlisted", "cached-method-unlisted"}, base(StaleLists)},
		{"long-max-age", "caches preflights for 86400 s where the policy says 600: a withdrawn grant lives on for up to 2 h in Chrome, 24 h in Firefox",
			[]string{"max-age-mismatch"}, base(LongMaxAge)},
		{"no-max-age", "omits Access-Control-Max-Age: browsers cache preflights 5 s, more preflights and no opening, so it passes (info)",
			[]string{"max-age-mismatch"}, base(NoMaxAge)},
	}
}
