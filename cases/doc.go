// Package cases holds crosscheck's table of CORS cases, the JSON files under
// data/ (embedded in the binary), and the strict loader and validator for
// them and for case files users bring. Each case is one exchange (request,
// preflight answer, redirects, final response) with the outcome the Fetch
// Standard requires; the spec package is checked against the table, and the
// browser verifier checks Chrome against both.
package cases
