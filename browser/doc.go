// Package browser is crosscheck's browser verifier: it replays case table
// entries in real browsers — Chrome (chromedp, the DevTools protocol),
// Firefox (WebDriver BiDi) and WebKit (WebKitWebDriver with the Web
// Inspector protocol attached, under Xvfb) — and compares each engine's
// verdicts, and the requests its case server received, with the table and
// with the model (package spec).
//
// Each engine is a Driver (engine.go): it starts its browser, runs batches
// of prepared cases in pages of the cases' origins, and turns what it
// observed into a verdict in the table's terms. Everything else is shared:
// the plan (plan.go), the page script (script.go), the case server
// (server.go), the comparison and the report.
//
// Every case runs with the origin and URL it names. Every host, IP
// literals included, reaches one case server on 127.0.0.1: it speaks
// HTTP/1.1 in clear text and TLS on one port and is also an HTTP proxy
// (CONNECT, absolute-form), which is how each browser is pointed at it; a
// second listener speaks HTTP/2 for Chrome's request streams. The browsers
// trust only the certificate made for the run (Chrome by its SPKI hash,
// Firefox per host and port, WebKit pinned per host). The case server
// answers each case's preflight, redirects and final response with raw
// header lines (order, duplicates, casing and padding kept), sends
// Cache-Control: no-store, and records what it received: the ground truth
// for which requests went out, compared with the model's trace (or a
// record's sent list). Each case run gets its own URL space
// (/__cc/<token>/ before the case's path), so no preflight-cache or
// HTTP-cache entry can serve another case; a steps case's requests share
// it, with the default cache mode, so its own steps share the browser's
// CORS-preflight cache, and a same-origin signal request before each step
// tells the case server which step the requests that follow belong to.
// Cases whose origin is "null" run in a page sandboxed by CSP.
//
// The browser's version decides which browsers.<engine> records of a case
// apply; a difference no record covers is a disagreement, reported with
// the fields that differ and the engine's own words for the block.
package browser
