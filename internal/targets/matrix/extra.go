package matrix

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// An extraProbe is a request outside what a browser-derived probe plan
// contains, sent identically to every implementation to show how they
// differ at the HTTP level: who runs the application for a refused
// origin, who swallows OPTIONS, what leaks to disallowed origins, how
// patterns treat an empty label. Where the request is a CORS request a
// browser could make, the spec model judges the answer.
type extraProbe struct {
	policy  string
	name    string // shown in the table
	method  string
	origin  string        // "" = no Origin header
	headers []spec.Header // sent as they are
	// script is the fetch() behind the request, for the spec verdict; nil
	// when no browser sends this request as is.
	script *spec.Request
	why    string // the explanation of the disagreement (hand-written)
}

// ExtraResult is an implementation's answer to an extra probe.
type ExtraResult struct {
	Name    string
	Status  int
	Handler bool          // the application ran (X-Handler: called)
	Headers []spec.Header // the CORS response headers, in order
	Origin  string        // the Origin sent
	Verdict *spec.Verdict // nil when no browser sends this request
	Err     string
}

const attacker = "https://attacker.example.net"

var extraProbes = []extraProbe{
	{
		policy: "strict", name: "GET from a disallowed origin", method: "GET", origin: attacker,
		script: &spec.Request{Origin: attacker, Method: "GET", Credentials: spec.CredentialsInclude},
		why: "Every implementation refuses the read (no `Access-Control-Allow-Origin`), but they differ in what else they do. " +
			"gin-contrib/cors answers 403 and never runs the application (gin-contrib/cors#184): harmless for browsers, " +
			"but it breaks non-browser clients that send `Origin`. fiber v2 still sends `Access-Control-Expose-Headers` and " +
			"`Access-Control-Max-Age`, fiber v3 `-Expose-Headers`; Express `cors`, @koa/cors and @fastify/cors, configured with " +
			"one origin string, send that fixed origin in `Access-Control-Allow-Origin` to everyone, with `-Allow-Credentials` " +
			"and `-Expose-Headers` (a mismatch the browser refuses); Hono and Starlette send `Access-Control-Allow-Credentials` " +
			"and `-Expose-Headers` (Kludex/starlette#2560): without `Access-Control-Allow-Origin` these headers grant nothing, " +
			"they only disclose configuration. The others send no CORS headers, which is what the Fetch standard needs.",
	},
	{
		policy: "strict", name: "POST text/plain from a disallowed origin", method: "POST", origin: attacker,
		headers: []spec.Header{{Name: "Content-Type", Value: "text/plain"}},
		script:  &spec.Request{Origin: attacker, Method: "POST", Headers: []spec.Header{{Name: "Content-Type", Value: "text/plain"}}, Credentials: spec.CredentialsInclude, HasBody: true},
		why: "A form-like POST needs no preflight, so CORS never stops it from reaching the server: CORS only stops the " +
			"attacker from reading the answer. Only two implementations keep the application from running: " +
			"net/http CrossOriginProtection (403: the request is cross-origin and the origin is not trusted; this is what " +
			"it is for, CSRF protection) and gin-contrib/cors (403 for any disallowed origin). In every other row the " +
			"application ran and its side effects happened.",
	},
	{
		policy: "strict", name: "OPTIONS from the allowed origin, no Access-Control-Request-Method (not a preflight)", method: "OPTIONS", origin: "https://app.example.com",
		why: "Without `Access-Control-Request-Method` an OPTIONS request is not a preflight (Fetch §4.8) and belongs to the " +
			"application. gorilla/handlers answers " +
			"it itself (gorilla/handlers#111), gin-contrib/cors, echo v4 (labstack/echo#2534, fixed in v5), Express " +
			"`cors` (expressjs/cors#261) and Hono treat every OPTIONS as a preflight, and @fastify/cors answers it 400 " +
			"(`strictPreflight`), so an application's own OPTIONS handler never runs. rs/cors, go-chi, fiber v2 and v3, echo v5, " +
			"@koa/cors, Starlette and CrossOriginProtection pass it on.",
	},
	{
		policy: "strict", name: "OPTIONS without Origin", method: "OPTIONS",
		why: "A request without `Origin` is not a CORS request at all. Implementations that answer it themselves " +
			"(gorilla/handlers, echo v4, Express `cors` and Hono with 204, @fastify/cors with 400) hide the application's " +
			"OPTIONS handler from every client.",
	},
	{
		policy: "strict", name: "preflight from a disallowed origin", method: "OPTIONS", origin: attacker,
		headers: []spec.Header{{Name: "Access-Control-Request-Method", Value: "PUT"}},
		why: "All refuse (no `Access-Control-Allow-Origin`), with statuses from 200 to 403 (any is fine: a refused preflight " +
			"fails the CORS check whatever its status). fiber v2 and v3, Express `cors`, Hono, @koa/cors, @fastify/cors and " +
			"Starlette still list the allowed methods and headers (the three configured with one origin string also their " +
			"fixed `Access-Control-Allow-Origin`, Starlette with status 400): information disclosure only.",
	},
	{
		policy: "strict", name: "preflight with Access-Control-Request-Headers `X-Api-Key,Content-Type` (not lower-case, unsorted)", method: "OPTIONS", origin: "https://app.example.com",
		headers: []spec.Header{{Name: "Access-Control-Request-Method", Value: "PUT"}, {Name: "Access-Control-Request-Headers", Value: "X-Api-Key,Content-Type"}},
		why: "Browsers always send this header lower-case, sorted and without spaces, so every browser preflight passes " +
			"everywhere. rs/cors (and CrossOriginProtection, inside rs/cors) since v1.11.0 refuses any other shape " +
			"(rs/cors#174, #180): hand-written clients and some proxies that rewrite the header then fail.",
	},
	{
		policy: "strict", name: "GET from `https://APP.EXAMPLE.COM` (browsers never send upper case)", method: "GET", origin: "https://APP.EXAMPLE.COM",
		why: "A browser serializes origins in lower case, so this is never a browser request. rs/cors and go-chi lower-case " +
			"origins before comparing (a documented deviation) and echo back the upper-case value (so do CrossOriginProtection's " +
			"rs/cors and fiber v3); fiber v2 and echo v5 answer with the configured lower-case origin; Express `cors`, @koa/cors " +
			"and @fastify/cors send their fixed origin; gin-contrib/cors answers 403; the others ignore it. Not exploitable " +
			"from a browser.",
	},
	{
		policy: "subdomains", name: "GET from `https://.example.com` (empty label)", method: "GET", origin: "https://.example.com",
		script: &spec.Request{Origin: "https://.example.com", Method: "GET", Credentials: spec.CredentialsInclude},
		why: "The pattern `https://*.example.com` means one or more non-empty labels. rs/cors, go-chi, gin-contrib/cors, " +
			"echo v4 and fiber v2 turn `*` into \"any string, even empty\" and accept `https://.example.com` (the runner's " +
			"`origin-empty-label`); fiber v3 refuses it, and the npm middlewares and Starlette, configured with an anchored " +
			"regular expression of non-empty labels, refuse it too. No one can serve a page from a host with an empty label " +
			"(DNS has no such name, no public CA certifies one), so it is a matching-soundness bug, not an exploitable hole.",
	},
	{
		policy: "subdomains", name: "GET from `https://a..example.com` (empty label before the domain)", method: "GET", origin: "https://a..example.com",
		script: &spec.Request{Origin: "https://a..example.com", Method: "GET", Credentials: spec.CredentialsInclude},
		why: "The empty label need not come first. fiber v3's matcher refuses a leading dot and `..` inside the part that " +
			"stands for `*`, but not the empty label between that part and `.example.com`, so it accepts this origin along with " +
			"every library that accepts the previous one (found by `FuzzFiberV3`, [fuzzing.md](findings/fuzzing.md)). Not " +
			"exploitable either, for the same reason.",
	},
	{
		policy: "public", name: "GET with a Cookie from any origin (credentials: include)", method: "GET", origin: attacker,
		headers: []spec.Header{{Name: "Cookie", Value: "session=1"}},
		script:  &spec.Request{Origin: attacker, Method: "GET", Credentials: spec.CredentialsInclude},
		why: "With `allow_origins=[\"*\"]` and no credentials, Starlette 0.26 echoes the origin instead of `*` when the " +
			"request carries a Cookie, without `Access-Control-Allow-Credentials`, so browsers still refuse credentialed " +
			"reads, but the answer now depends on `Origin` and on the cookie: that is the `missing-vary-origin` finding on its " +
			"`public` row. Everyone else answers `*`.",
	},
}

// runExtra sends the policy's extra probes to base.
func runExtra(ctx context.Context, base, policy string) []ExtraResult {
	c := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer c.CloseIdleConnections()
	var out []ExtraResult
	for _, x := range extraProbes {
		if x.policy != policy {
			continue
		}
		res := ExtraResult{Name: x.name, Origin: x.origin}
		req, err := http.NewRequestWithContext(ctx, x.method, base, nil)
		if err != nil {
			res.Err = err.Error()
			out = append(out, res)
			continue
		}
		if x.origin != "" {
			req.Header.Set("Origin", x.origin)
		}
		for _, h := range x.headers {
			req.Header.Add(h.Name, h.Value)
		}
		resp, err := c.Do(req)
		if err != nil {
			res.Err = err.Error()
			out = append(out, res)
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		res.Status = resp.StatusCode
		res.Handler = resp.Header.Get("X-Handler") == "called"
		var all []spec.Header
		for name, vals := range resp.Header {
			for _, v := range vals {
				all = append(all, spec.Header{Name: name, Value: v})
			}
			if strings.HasPrefix(strings.ToLower(name), "access-control-") {
				for _, v := range vals {
					res.Headers = append(res.Headers, spec.Header{Name: name, Value: v})
				}
			}
		}
		sortHeaders(res.Headers)
		if x.script != nil {
			r := *x.script
			r.URL = base
			v := spec.Judge(spec.Exchange{Request: r, Response: spec.Response{Status: resp.StatusCode, Headers: all}})
			res.Verdict = &v
		}
		out = append(out, res)
	}
	return out
}

func sortHeaders(h []spec.Header) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Name < h[j-1].Name; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// abbrev shortens the CORS response header names for table cells.
var abbrev = map[string]string{
	"Access-Control-Allow-Origin":      "ACAO",
	"Access-Control-Allow-Credentials": "ACAC",
	"Access-Control-Allow-Methods":     "ACAM",
	"Access-Control-Allow-Headers":     "ACAH",
	"Access-Control-Expose-Headers":    "ACEH",
	"Access-Control-Max-Age":           "ACMA",
}

// describe renders an extra result as a table cell.
func (r ExtraResult) describe() string {
	if r.Err != "" {
		return "error"
	}
	parts := []string{fmt.Sprint(r.Status)}
	if r.Handler {
		parts = append(parts, "app ran")
	}
	for _, h := range r.Headers {
		name := abbrev[h.Name]
		if name == "" {
			name = h.Name
		}
		if name == "ACAO" {
			v := h.Value
			if v == r.Origin && v != "" {
				v = "origin"
			}
			name += "=" + v
		}
		parts = append(parts, name)
	}
	s := strings.Join(parts, " ")
	if r.Verdict != nil {
		if r.Verdict.Outcome == spec.Allowed {
			s += " → **read**"
		} else {
			s += " → blocked"
		}
	}
	return s
}
