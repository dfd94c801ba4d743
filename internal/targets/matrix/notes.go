package matrix

import "github.com/crosscheck-dev/crosscheck/runner"

// implNotes is the hand-written part of an implementation's write-up: how
// the policy is translated into the library's configuration, what the
// findings mean for this library (with the upstream issues), and fixes
// specific to it (the generic fix of each code is docs/findings.md's).
type implNotes struct {
	config  string
	explain string
	fixes   map[runner.Code]string
}

// notes holds the hand-written part of each write-up. Keep it true to the
// generated results: the staleness test regenerates the documents, and a
// change in a library's behaviour shows up as a diff to re-read.
var notes = map[string]implNotes{
	"rs-cors": {
		config: "`cors.Options{AllowedOrigins, AllowedMethods, AllowedHeaders, ExposedHeaders, AllowCredentials, MaxAge}` " +
			"straight from the policy; rs/cors takes `*` and one `*` wildcard per origin natively " +
			"(`internal/targets/go/cmd/target/impls.go`).",
		explain: "Only `info` findings, which `crosscheck run` reports without failing: rs/cors v1.11.1 implements the four " +
			"policies as declared for every origin a browser can send, sends `Vary: Origin` on every response (even with `*`), " +
			"and answers refused preflights without CORS headers. It lower-cases the request's origin before comparing " +
			"(`origin-case-insensitive`: browsers never send upper case) and its `*` matches the empty string, so the " +
			"subdomain pattern also accepts `https://.example.com` (`origin-empty-label`: no one can serve a page from a host " +
			"with an empty label). Outside the browser-derived probes (see the differential in " +
			"[conformance.md](../conformance.md)), since v1.11.0 a preflight's `Access-Control-Request-Headers` must be " +
			"lower-case and sorted, as browsers send it (rs/cors#174, #180). With the configuration of CVE-2018-20744 (`*` and credentials) the current release answers " +
			"`*` with `Access-Control-Allow-Credentials: true`, which browsers refuse: the regression corpus shows it as " +
			"`wildcard-with-credentials`/`wildcard-origin-allowed` against a policy that trusts one origin, no longer as " +
			"`origin-reflected`.",
	},
	"go-chi-cors": {
		config: "`cors.Options` with the same fields as rs/cors (go-chi/cors is a fork of an older rs/cors).",
		explain: "Only `info` findings, as for rs/cors: the subdomain pattern accepts the empty label " +
			"`https://.example.com` and upper-case origins are echoed (`origin-empty-label`, `origin-case-insensitive`); " +
			"unlike rs/cors it accepts any shape of " +
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
			"and its fetch fails. `handlers.MaxAge` caps the age at 600 s, so the `public` policy's 3600 s becomes 600 " +
			"(`max-age-mismatch`, `info`: more preflights, no opening). It also answers every OPTIONS from an allowed origin itself (400 without " +
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
			"as a preflight, and its wildcard accepts the empty label `https://.example.com` (`origin-empty-label`, `info`). With the " +
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
		explain: "Only an `info` finding: its `*` pattern accepts the empty label `https://.example.com` " +
			"(`origin-empty-label`, not exploitable). Outside the browser-derived probes echo v4 answers every OPTIONS itself, " +
			"even without `Origin` or `Access-Control-Request-Method` (labstack/echo#2534, fixed in v5 only; see the differential). With `*` and credentials, v4.16.0 " +
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
			"subdomain pattern accepts the empty label `https://.example.com` (`origin-empty-label`, `info`; fiber v3 refuses it, though not every empty " +
			"label: see [fiber-v3](fiber-v3.md)). fiber v2 runs here with fasthttp v1.69.0, the version the target module's " +
			"fiber v3 needs (Go picks one version per module). " +
			"The configuration of CVE-2024-25124 (`*` and credentials) makes v2.52.15 panic at start-up, which is the fix.",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "add `Vary: Origin` to every response (for example `c.Vary(\"Origin\")` in a middleware " +
				"before the CORS one), or mark responses that must not be cached `Cache-Control: no-store`.",
		},
	},
	"nethttp-cop": {
		config: "`http.NewCrossOriginProtection()` with `AddTrustedOrigin` for each policy origin, inside rs/cors configured as " +
			"in the rs-cors row. CrossOriginProtection is CSRF protection, not CORS: alone it sends no CORS headers, so every " +
			"cross-origin read would fail and the row would only say that. Deployed as intended, behind a CORS middleware, the " +
			"row shows whether it breaks the declared CORS policy. `AddTrustedOrigin` takes exact origins only and there is " +
			"no trust-everyone setting, so `subdomains` and `public` are n/a.",
		explain: "Only rs/cors's `info` finding `origin-case-insensitive`: CrossOriginProtection lets through what the policy allows (safe methods always; unsafe methods " +
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
	"echo-v5": {
		config: "`middleware.CORSConfig{AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, AllowCredentials, MaxAge}.ToMiddleware()`. " +
			"echo v5 compares `AllowOrigins` with the request's origin exactly (case-insensitively) and has no pattern syntax: " +
			"anything else takes a hand-written `UnsafeAllowOriginFunc`, which would certify our code, so `subdomains` is n/a. " +
			"`ToMiddleware` refuses `*` with credentials.",
		explain: "No finding on any policy it can express. v5 fixes what v4 does outside the browser-derived probes: OPTIONS " +
			"without `Access-Control-Request-Method` or without `Origin` reaches the application (labstack/echo#2534), refused " +
			"origins and refused preflights get no CORS headers at all, and an upper-case `Origin` is answered with the " +
			"configured origin (which the browser would refuse; browsers never send upper case). `Vary: Origin` is on every response.",
	},
	"fiber-v3": {
		config: "`cors.New(cors.Config{AllowOrigins, AllowMethods, AllowHeaders, ExposeHeaders, AllowCredentials, MaxAge})` with " +
			"slices, as fiber v3 wants; `https://*.example.com` is native. The constructor panics on `*` with credentials. " +
			"Served on fiber's own fasthttp listener.",
		explain: "`missing-vary-origin` on `public` only, as in fiber v2: with `*`, CORS requests get `Access-Control-Allow-Origin: *` " +
			"and requests without `Origin` none, and neither says `Vary: Origin`; with listed origins every response does. " +
			"v3 no longer accepts the empty first label `https://.example.com`, but its subdomain matcher still accepts an " +
			"empty label right before the pattern's domain (`https://a..example.com`, found by `FuzzFiberV3`; the runner's " +
			"probe of that shape raises `origin-empty-label`): it checks the part before `.example.com` for a leading dot and " +
			"for `..`, and `a.` has neither. No DNS name has an empty label, so no one can serve a page from that origin: " +
			"`info`, a soundness bug; the report for upstream is [upstream-fiber-v3-empty-label.md](upstream-fiber-v3-empty-label.md). " +
			"It lower-cases the origin before comparing and echoes it as sent (`origin-case-insensitive`, `info`). fiber v3 still sends `Access-Control-Expose-Headers` to refused origins and lists its methods and headers " +
			"in refused preflights (disclosure only), and echoes an upper-case `Origin` as sent.",
	},
	"hono": {
		config: "`cors({origin, allowMethods, allowHeaders, exposeHeaders, credentials, maxAge})` from `hono/cors` on a Hono " +
			"app served by `@hono/node-server`: `origin` is the string for one origin, the array for several, `'*'` for all; " +
			"Hono has no pattern syntax, so for `https://*.example.com` it is a function that tests the same anchored, " +
			"dot-escaped regular expression as the Express row (`internal/targets/node/server.js`).",
		explain: "No finding on any policy. Outside the browser-derived probes: Hono treats every OPTIONS as a preflight, even " +
			"without `Origin` or `Access-Control-Request-Method`, and answers it itself with 204 and every CORS header but " +
			"`Access-Control-Allow-Origin`, so an application's own OPTIONS handler never runs; it sends " +
			"`Access-Control-Allow-Credentials` and `-Expose-Headers` to refused origins (disclosure only, without " +
			"`Access-Control-Allow-Origin` they grant nothing). With `'*'` it sends no `Vary: Origin`, which is right: the " +
			"answer is `*` whatever the origin. With `origin: '*'` and `credentials: true` it answers `*` with " +
			"`Access-Control-Allow-Credentials: true`, which browsers refuse (a merged change to reflect the origin instead, " +
			"honojs/hono#4813, is not in this release).",
	},
	"koa-cors": {
		config: "`cors({origin, allowMethods, allowHeaders, exposeHeaders, credentials, maxAge})` from `@koa/cors` on Koa: " +
			"`origin` is the string for one origin and `'*'` for all; @koa/cors takes no list and no pattern, only a function " +
			"`ctx => origin or ''`, so `several-origins` and `subdomains` use a function that compares exactly with the " +
			"listed origins or tests the Express row's regular expression (`internal/targets/node/server.js`). Everything " +
			"else (headers, Vary, preflight) is the library's.",
		explain: "No finding on any policy. With one origin given as a string, @koa/cors sends that fixed origin to every " +
			"request, allowed or not, with `Access-Control-Allow-Credentials` (browsers refuse the mismatch); it answers " +
			"OPTIONS without `Access-Control-Request-Method` through the application, and sends `Vary: Origin` on every " +
			"response. Its documented rule \"if `credentials` is set, the default `origin` is the request's `Origin`\": with " +
			"`origin: '*'` (or no `origin`) and `credentials: true`, it reflects **every** origin with credentials, the " +
			"configuration CVE-2018-20744 was filed for against rs/cors; @koa/cors does it on purpose (koajs/cors#85) and " +
			"documents it, so write an explicit origin check when credentials are on (`internal/targets` tests it, beside " +
			"Hono, Express `cors` and @fastify/cors answering `*`, which browsers refuse with credentials).",
	},
	"fastify-cors": {
		config: "`fastify.register(cors, {origin, methods, allowedHeaders, exposedHeaders, credentials, maxAge})` from " +
			"`@fastify/cors` on Fastify 5: `origin` is the string for one origin, an array of strings and `RegExp`s for several " +
			"(the Express row's regular expression for `https://*.example.com`), `'*'` for all. The plugin owns OPTIONS; the " +
			"application answers the other methods (`internal/targets/node/server.js`).",
		explain: "No finding on any policy. With one origin given as a string, @fastify/cors sends that fixed origin to every " +
			"request with `Access-Control-Allow-Credentials` and no `Vary: Origin` (the answer does not depend on the origin, " +
			"and browsers refuse the mismatch). Its `strictPreflight` (on by default) answers OPTIONS without `Origin` or " +
			"without `Access-Control-Request-Method` with 400, so the application's own OPTIONS never runs. With a list it " +
			"sends `Vary: Origin` and echoes only listed origins.",
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
			"`Content-Language` and `Content-Type` request headers, whatever the configuration, and lists them in every " +
			"passing preflight answer, so a cached answer lets later requests carry them without a preflight " +
			"(`cached-header-unlisted`: `info` on `strict`, which lists `Content-Type`, since the other three are " +
			"CORS-safelisted names; `low` on the policies that do not list `Content-Type`).",
		fixes: map[runner.Code]string{
			runner.MissingVaryOrigin: "add `Vary: Origin` to every response in an outer middleware (later Starlette releases " +
				"improve Vary handling, e.g. PR #3517 for preflights).",
		},
	},
}
