// Package har reads HTTP Archive (HAR 1.2) files exported from a browser's
// DevTools (Chrome, Firefox) and explains the cross-origin requests in them
// with crosscheck's Fetch Standard model (package spec).
//
// [Parse] reads the fields CORS depends on and reports malformed input by
// entry index and field, never panicking. [Analyze] finds every
// cross-origin fetch in the archive: it chains redirect hops (separate
// entries linked by redirectURL), takes the page origin from the request's
// Origin header (or the preflight's, the Referer, or the page the entry
// belongs to), pairs each hop with its CORS preflight when the archive has
// one, rebuilds the script's request (the browser's own headers left out),
// and judges the exchange with spec.Explain. Where the archive lacks what
// the model needs — Chrome often leaves preflights out, and a blocked
// request has no response — the verdict says so and shows the preflight the
// model predicts instead of guessing.
//
// The command `crosscheck explain --har FILE` prints the result, blocked
// fetches first. The fixtures in testdata/ were recorded from real browser
// runs by the developer tool in internal/record (see testdata/README.md).
package har
