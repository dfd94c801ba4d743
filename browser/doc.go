// Package browser is crosscheck's headless-Chrome verifier: it replays case
// table entries in a real Chromium and compares Chrome's verdicts with the
// table and with the model (package spec).
//
// Every case runs with the origin and URL it names. Chromium is started
// (through chromedp, over its DevTools pipe) with every host name mapped to
// one case server on 127.0.0.1 (--host-resolver-rules), trusting only the
// certificate made at start (--ignore-certificate-errors-spki-list). The case
// server speaks HTTP/1.1 in clear text and TLS on the same port, answers each
// case's preflight, redirects and final response with raw header lines (order,
// duplicates, casing and padding kept), sends Cache-Control: no-store, and
// records what it received: the ground truth for "was a preflight sent".
// Each case run gets a unique URL (/__cc/<token>/ before the case's path), and
// every fetch uses cache: "no-store", so no preflight-cache or HTTP-cache entry
// can leak between cases. Cases whose origin is "null" run in a page sandboxed
// by CSP (an opaque origin).
//
// Chrome's verdict comes from its own words: the script's result, DevTools'
// Network.loadingFailed corsErrorStatus (a CORS block, mapped with
// spec.ReasonFromChrome), its net:: error or console message when there is no
// CorsError, and the case server's log (which hop failed, whether a preflight
// went out). Cases run concurrently: batches of fetch() calls in one
// Promise.all per page.
package browser
