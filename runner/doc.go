// Package runner certifies a live HTTP server against a declared CORS
// policy.
//
// A [Policy] says which origins, methods and request headers a server means
// to allow, which response headers it exposes and whether credentials are
// allowed. [Certify] derives from it the requests a browser would send —
// the allowed ones, hostile origin variants (reflection, null, scheme
// downgrade, suffix, prefix, unescaped dot, unlisted subdomain, port,
// special characters), unlisted methods and headers, and requests without
// Origin — sends them to the target with a bounded HTTP client, and judges
// every real preflight and response with the spec model ([spec.Judge]).
// What a browser caches from the allowed preflights is judged with spec's
// CORS-preflight cache ([spec.PreflightCache]): how long, against the
// policy's maxAge, and which later requests it lets go without a preflight.
// The runner decides what the policy intends; whether a browser would let a
// script read a response is always spec's answer, never the runner's.
//
// Findings carry a stable [Code] (documented in docs/findings.md), a
// severity, the probe that showed them and, where a browser would block, the
// spec reason. [WriteText], [WriteJSON] and [WriteJUnit] render a [Report].
//
// The CLI front end is `crosscheck run`; package corstest certifies an
// http.Handler from a Go test.
package runner
