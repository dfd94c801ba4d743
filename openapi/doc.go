// Package openapi certifies every route of an OpenAPI 3 document against
// the CORS policy each route declares: it is `crosscheck run --openapi`.
//
// [Load] reads the document (OpenAPI 3.0 or 3.1, JSON or YAML, parsed by
// github.com/getkin/kin-openapi) and turns each operation into a [Route]: a
// concrete URL — the server (--server, else the document's, with its
// variables' defaults) and the path with its parameters filled from their
// examples, defaults or enums, else a placeholder of their type — and the
// route's policy: an `x-cors` extension on the operation, else on the path
// item, else a [PolicyFile] rule, else the policy file's default, else the
// document's `x-cors`. Every problem of a document is reported at once, with
// its line.
//
// [Certify] runs runner.Certify for each route, with the concurrency, rate
// and timeout limits applied to the run as a whole, and [WriteText],
// [WriteJSON] and [WriteJUnit] render the [Report], grouped by route.
// Whether a browser would let script read an answer stays spec's decision,
// through the runner.
package openapi
