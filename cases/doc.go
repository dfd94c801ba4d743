// Package cases holds crosscheck's table of CORS cases, the JSON files under
// data/ (embedded in the binary), and the strict loader and validator for
// them and for case files users bring. Each case is one exchange (request,
// preflight answer, redirects, final response) with the outcome the Fetch
// Standard requires; the spec package is checked against the table, and the
// browser verifier checks Chrome against both.
//
// [Embedded] loads the table (strict mode), [LoadFiles] and [Parse] load
// users' files (lenient mode); every problem is reported at once as
// [Errors]. [Case.Exchange] turns a case into the model's input and
// [Case.Compare] compares a verdict with the case's expectation. The format
// is described in README.md and, as a JSON Schema, in schema.json.
package cases
