package matrix

import "github.com/crosscheck-dev/crosscheck/runner"

// implNotes is the hand-written part of an implementation's write-up: how
// the policy is translated into the library's configuration, what the
// findings mean for this library (with the upstream issues), and fixes
// specific to it.
type implNotes struct {
	config  string
	explain string
	fixes   map[runner.Code]string
}

// fixes is the generic advice for each code.
var fixes = map[runner.Code]string{
	runner.AllowedRequestBlocked:   "answer the preflight with a 2xx status, and every allowed request with `Access-Control-Allow-Origin` equal to the request's origin (plus `Access-Control-Allow-Credentials: true` when credentials are allowed) and the method and headers listed in `Access-Control-Allow-Methods` / `-Headers`.",
	runner.OriginReflected:         "compare `Origin` with an explicit allow-list and never echo it unchecked; with credentials, list the trusted origins.",
	runner.NullOriginAllowed:       "never allow the `null` origin: sandboxed iframes and `data:` documents of any site send it.",
	runner.InsecureOriginAllowed:   "allow only the `https://` origins; an `http://` origin can be impersonated by anyone on the network path.",
	runner.SubdomainAllowed:        "list the trusted hosts exactly, or match patterns label by label (one or more non-empty labels, never the apex unless listed).",
	runner.OriginSuffixBypass:      "compare whole origins or whole labels; a host that merely ends with an allowed name (`evilapp.example.com`) is another site.",
	runner.OriginPrefixBypass:      "compare whole origins; anchor regular expressions at both ends and never treat an allowed origin as a prefix.",
	runner.OriginUnescapedDot:      "escape the dots of host names in regular expressions (`\\.`), or avoid regular expressions.",
	runner.OriginPortIgnored:       "compare scheme, host and port: an origin on another port is another origin.",
	runner.WildcardOriginAllowed:   "answer with the request's origin when it is allowed, not `*`, when the policy lists origins.",
	runner.WildcardWithCredentials: "when credentials are allowed, answer allowed origins with the origin itself, never `*` (browsers refuse `*` for credentialed requests).",
	runner.MissingVaryOrigin:       "send `Vary: Origin` on every response whose CORS headers depend on `Origin`, including responses to requests without `Origin` and to disallowed origins.",
	runner.ExposedHeaderMissing:    "list the header in `Access-Control-Expose-Headers` on the actual responses.",
	runner.UnlistedMethodAllowed:   "answer a preflight for a method outside the policy without that method in `Access-Control-Allow-Methods` (or with a non-2xx status).",
	runner.UnlistedHeaderAllowed:   "answer a preflight for a request header outside the policy without that header in `Access-Control-Allow-Headers`.",
}

// notes holds the hand-written part of each write-up. Keep it true to the
// generated results: the staleness test regenerates the documents, and a
// change in a library's behaviour shows up as a diff to re-read.
var notes = map[string]implNotes{
	"rs-cors": {
		config: "`cors.Options{AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders, AllowCredentials, MaxAge}` " +
			"straight from the policy; rs/cors takes `*` and one `*` wildcard per origin natively " +
			"(`internal/targets/go/cmd/target/impls.go`).",
		explain: "No finding on any policy: rs/cors v1.11.1 implements the four policies as declared, sends `Vary: Origin` " +
			"on every response (even with `*`), and answers refused preflights without CORS headers. Two deviations show only " +
			"outside the browser-derived probes (see the differential in [conformance.md](../conformance.md)): the subdomain " +
			"pattern also accepts the empty label `https://.example.com` (its `*` matches the empty string), and since v1.11.0 " +
			"a preflight's `Access-Control-Request-Headers` must be lower-case and sorted, as browsers send it " +
			"(rs/cors#174, #180). With the configuration of CVE-2018-20744 (`*` and credentials) the current release answers " +
			"`*` with `Access-Control-Allow-Credentials: true`, which browsers refuse: the regression corpus shows it as " +
			"`wildcard-with-credentials`/`wildcard-origin-allowed` against a policy that trusts one origin, no longer as " +
			"`origin-reflected`.",
	},
	"go-chi-cors": {
		config: "`cors.Options` with the same fields as rs/cors (go-chi/cors is a fork of an older rs/cors).",
		explain: "No finding on any policy. Like rs/cors, the subdomain pattern accepts the empty label " +
			"`https://.example.com` and upper-case origins are echoed; unlike rs/cors it accepts any shape of " +
			"`Access-Control-Request-Headers` and answers preflights with 200. See the differential in " +
			"[conformance.md](../conformance.md).",
	},
	"gorilla-handlers": {
		config: "`handlers.CORS(AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders, MaxAge[, AllowCredentials])`. " +
			"gorilla/handlers matches origins exactly (or `*`); a pattern would need a hand-written `AllowedOriginValidator`, " +
			"which would certify our code rather than the library, so the `subdomains` row is n/a.",
		explain: "`missing-vary-origin` on every policy: gorilla/handlers only adds `Vary: Origin` when more than one origin is " +
			"configured, and never on responses to requests without `Origin` or from refused origins (gorilla/handlers#248, open; " +
			"PR #114 added Vary for `*`, #122 reverted it). A shared cache can then store the answer for one origin (or for no " +
			"origin) and replay it to another: the legitimate origin gets a response without `Access-Control-Allow-Origin` " +
			"and its fetch fails. It also answers every OPTIONS from an allowed origin itself (400 without " +
			"`Access-Control-Request-Method`) and OPTIONS without `Origin` with an empty 200 (see the differential).",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "wrap the handler so that every response carries `Vary: Origin` (gorilla/handlers does " +
				"not; PRs #267 and #275 propose it), or move to a CORS middleware that does.",
		},
	},
	"gin-contrib-cors": {
		config: "`cors.Config{AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, AllowCredentials, MaxAge}`, with " +
			"`AllowWildcard: true` when the policy has a pattern (gin-contrib/cors takes `https://*.example.com` natively then).",
		explain: "`missing-vary-origin` on every policy: gin-contrib/cors adds `Vary: Origin` only to responses for allowed " +
			"origins, so the response to a request without `Origin` (which runs the application with no CORS headers) can be " +
			"cached and replayed to an allowed origin, whose fetch then fails. It also answers 403 to actual requests from " +
			"refused origins without running the application (gin-contrib/cors#184), treats every OPTIONS with an `Origin` " +
			"as a preflight, and its wildcard accepts the empty label `https://.example.com` (see the differential). With the " +
			"configuration of CVE-2019-25211 (`https://app.example.com/*`) the current release no longer trusts " +
			"`https://app.example.com.evil.net`, but neither does it match `https://app.example.com` any more (the `/` is " +
			"kept), hence `allowed-request-blocked` in the regression corpus: write origins without paths.",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "add `Vary: Origin` to every response in a middleware placed before `cors.New` (gin-contrib/cors " +
				"adds it only when it allows the origin).",
		},
	},
	"echo": {
		config: "`middleware.CORSWithConfig(middleware.CORSConfig{AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, " +
			"AllowCredentials, MaxAge})`; echo v4 turns `*` in an origin into a regular expression natively.",
		explain: "No finding on any policy. Outside the browser-derived probes echo v4 answers every OPTIONS itself, even " +
			"without `Origin` or `Access-Control-Request-Method` (labstack/echo#2534, fixed in v5 only), and its `*` pattern " +
			"accepts the empty label `https://.example.com` (see the differential). With `*` and credentials, v4.15.4 " +
			"answers `*` unless `UnsafeWildcardOriginWithAllowCredentials` is set; v4.9.0 reflected the origin (regression corpus).",
	},
	"fiber": {
		config: "`cors.New(cors.Config{AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, AllowCredentials, MaxAge})`, " +
			"lists joined with commas as fiber v2 wants; `https://*.example.com` is native. The target serves on fiber's own " +
			"fasthttp listener.",
		explain: "`missing-vary-origin` on `public` only: with `*`, fiber answers CORS requests with " +
			"`Access-Control-Allow-Origin: *` and requests without `Origin` with no CORS headers, and sends `Vary: Origin` " +
			"on neither, so a cache can replay the header-less response to a cross-origin page, whose fetch then fails. " +
			"With listed origins it does send `Vary: Origin`. fiber also sends `Access-Control-Expose-Headers` and " +
			"`-Max-Age` to refused origins and lists its methods and headers in refused preflights (disclosure only), and its " +
			"subdomain pattern accepts the empty label `https://.example.com` (fixed in fiber v3 only; see the differential). " +
			"The configuration of CVE-2024-25124 (`*` and credentials) makes v2.52.15 panic at start-up, which is the fix.",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "add `Vary: Origin` to every response (for example `c.Vary(\"Origin\")` in a middleware " +
				"before the CORS one), or list the origins instead of `*`.",
		},
	},
	"nethttp-cop": {
		config: "`http.NewCrossOriginProtection()` with `AddTrustedOrigin` for each policy origin, inside rs/cors configured as " +
			"in the rs-cors row. CrossOriginProtection is CSRF protection, not CORS: alone it sends no CORS headers, so every " +
			"cross-origin read would fail and the row would only say that. Deployed as intended, behind a CORS middleware, the " +
			"row shows whether it breaks the declared CORS policy. `AddTrustedOrigin` takes exact origins only and there is " +
			"no trust-everyone setting, so `subdomains` and `public` are n/a.",
		explain: "No finding: CrossOriginProtection lets through what the policy allows (safe methods always; unsafe methods " +
			"from trusted origins), so the CORS behaviour is rs/cors's. Its contribution shows in the differential: a " +
			"form-like POST from a refused origin, which CORS never stops from reaching the server, gets 403 and the " +
			"application does not run.",
	},
	"express-cors": {
		config: "`cors({origin, methods, allowedHeaders, exposedHeaders, credentials, maxAge})`: `origin` is the string for one " +
			"origin, an array for several, `'*'` for all, and for `https://*.example.com` the anchored, dot-escaped " +
			"`RegExp` a careful user writes (`^https:\\/\\/(?:[a-z0-9-]+\\.)+example\\.com$`, no `g` flag), since `cors` has no " +
			"pattern syntax of its own (`internal/targets/node/server.js`).",
		explain: "No finding on any policy. With one origin configured as a string, `cors` sends that fixed origin in " +
			"`Access-Control-Allow-Origin` to every request, allowed or not (browsers refuse the mismatch, so it is not a hole), " +
			"together with `Access-Control-Allow-Credentials`; it treats every OPTIONS as a preflight, even without `Origin` " +
			"(expressjs/cors#261). The well-known holes of `cors` (`origin: true` with credentials reflects everything, " +
			"expressjs/cors#422; unanchored or `g`-flagged regular expressions, #408, #220) are configuration mistakes that " +
			"this careful translation does not make.",
	},
	"starlette": {
		config: "`app.add_middleware(CORSMiddleware, allow_origins, allow_methods, allow_headers, expose_headers, " +
			"allow_credentials, max_age)` on a FastAPI app; a pattern becomes `allow_origin_regex` (full-matched), " +
			"`(?:[a-z0-9-]+\\.)+` for the labels. Debian bookworm's packages, served by uvicorn (`internal/targets/python/server.py`).",
		explain: "`missing-vary-origin` on every policy: Starlette 0.26 adds `Vary: Origin` only when it echoes an explicit " +
			"origin, so responses to refused origins (which still carry `Access-Control-Allow-Credentials` and " +
			"`-Expose-Headers`, Kludex/starlette#2560) and, with `*`, all responses lack it; with `*` it even echoes the " +
			"origin instead of `*` when the request has a `Cookie` (see the differential). Refused preflights get 400 with " +
			"the allowed methods and headers. Starlette also always allows the `Accept`, `Accept-Language`, " +
			"`Content-Language` and `Content-Type` request headers, whatever the configuration; the runner's unlisted-header " +
			"probe uses another name, so it does not show here.",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "add `Vary: Origin` to every response in an outer middleware (later Starlette releases " +
				"improve Vary handling, e.g. PR #3517 for preflights).",
		},
	},
}
