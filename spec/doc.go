// Package spec is crosscheck's reference model of the CORS parts of the
// WHATWG Fetch Standard (https://fetch.spec.whatwg.org/): request origins,
// safelisted methods and headers, the preflight decision, the CORS check,
// the preflight response checks, the preflight cache, the headers script may
// read, and redirects.
//
// Everything here is a pure function of its arguments: no I/O, no
// goroutines, no mutable package state. Every decision that blocks a fetch
// carries a stable [Reason] code, the [Stage] that decided it, the Fetch
// section it comes from and the Chrome CorsError that matches it. [Judge]
// judges a whole [Exchange]; the smaller functions expose each algorithm.
//
// The rest of crosscheck builds on this package: the case table (cases) is
// checked against it, the runner judges real server responses with it, and
// the browser verifier compares Chrome with it.
package spec
