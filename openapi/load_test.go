package openapi

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
)

func intp(n int) *int { return &n }

// The policies of testdata/api.yaml, as written there.
var (
	apiDefault = runner.Policy{
		AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "POST", "PUT"},
		AllowHeaders: []string{"Content-Type", "X-Request-Id"}, ExposeHeaders: []string{"X-Total-Count"},
		AllowCredentials: true, MaxAge: intp(600),
	}
	apiPublic = runner.Policy{AllowOrigins: []string{"*"}, AllowMethods: []string{"GET"}}
	apiNarrow = runner.Policy{
		AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET"},
		AllowHeaders: []string{"Content-Type", "X-Request-Id"}, ExposeHeaders: []string{"X-Total-Count"},
		AllowCredentials: true,
	}
)

const (
	docSource    = "x-cors of the document"
	deleteSkip   = "the policy does not allow DELETE cross-origin: crosscheck sends actual requests only with methods a policy allows"
	optionsSkip  = "OPTIONS is the preflight itself: every other route's probes send it"
	stagingOrder = "https://staging.api.example.com/v1"
)

func TestLoadRoutes(t *testing.T) {
	admin := runner.Policy{AllowOrigins: []string{"https://admin.example.com"}, AllowMethods: []string{"PUT"}}
	fileDefault := runner.Policy{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET", "POST", "PUT"}}
	pf, err := LoadPolicyFile(filepath.Join("testdata", "policies.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		opts Options
		want []Route
	}{
		{"3.0 YAML, x-cors on the document, a path and an operation", "api.yaml", Options{}, []Route{
			{Method: "GET", Path: "/orders", OperationID: "listOrders", URL: stagingOrder + "/orders", Policy: apiDefault, PolicySource: docSource},
			{Method: "POST", Path: "/orders", OperationID: "createOrder", URL: stagingOrder + "/orders", Policy: apiDefault, PolicySource: docSource},
			{Method: "GET", Path: "/orders/{id}", OperationID: "getOrder", URL: stagingOrder + "/orders/42", Policy: apiDefault, PolicySource: docSource},
			{Method: "PUT", Path: "/orders/{id}", OperationID: "updateOrder", URL: stagingOrder + "/orders/42", Policy: apiDefault, PolicySource: docSource},
			{Method: "DELETE", Path: "/orders/{id}", OperationID: "deleteOrder", URL: stagingOrder + "/orders/42", Policy: apiDefault, PolicySource: docSource, Skip: deleteSkip},
			{Method: "OPTIONS", Path: "/orders/{id}", URL: stagingOrder + "/orders/42", Policy: apiDefault, PolicySource: docSource, Skip: optionsSkip},
			{Method: "GET", Path: "/reflect", URL: stagingOrder + "/reflect", Policy: apiDefault, PolicySource: docSource},
			{Method: "GET", Path: "/public/items", OperationID: "listPublicItems", URL: stagingOrder + "/public/items", Policy: apiPublic, PolicySource: `x-cors of paths["/public/items"]`},
			{Method: "GET", Path: "/lax", URL: stagingOrder + "/lax", Policy: apiDefault, PolicySource: docSource},
			{Method: "GET", Path: "/lax-narrow", URL: stagingOrder + "/lax-narrow", Policy: apiNarrow, PolicySource: `x-cors of paths["/lax-narrow"].get`},
			{Method: "POST", Path: "/webhooks/payment", URL: stagingOrder + "/webhooks/payment", Skip: "x-cors: false"},
		}},
		{"--server and a policy file", "api.yaml", Options{Server: "http://127.0.0.1:8080/", Policies: pf}, []Route{
			{Method: "GET", Path: "/orders", OperationID: "listOrders", URL: "http://127.0.0.1:8080/orders", Policy: fileDefault, PolicySource: "policy file default"},
			{Method: "POST", Path: "/orders", OperationID: "createOrder", URL: "http://127.0.0.1:8080/orders", Policy: fileDefault, PolicySource: "policy file default"},
			{Method: "GET", Path: "/orders/{id}", OperationID: "getOrder", URL: "http://127.0.0.1:8080/orders/42", Policy: fileDefault, PolicySource: "policy file default"},
			{Method: "PUT", Path: "/orders/{id}", OperationID: "updateOrder", URL: "http://127.0.0.1:8080/orders/42", Policy: admin, PolicySource: "policy file routes[1] (/orders/*)"},
			{Method: "DELETE", Path: "/orders/{id}", OperationID: "deleteOrder", URL: "http://127.0.0.1:8080/orders/42", Policy: fileDefault, PolicySource: "policy file default", Skip: deleteSkip},
			{Method: "OPTIONS", Path: "/orders/{id}", URL: "http://127.0.0.1:8080/orders/42", Policy: fileDefault, PolicySource: "policy file default", Skip: optionsSkip},
			{Method: "GET", Path: "/reflect", URL: "http://127.0.0.1:8080/reflect", Policy: fileDefault, PolicySource: "policy file default"},
			{Method: "GET", Path: "/public/items", OperationID: "listPublicItems", URL: "http://127.0.0.1:8080/public/items", Policy: apiPublic, PolicySource: `x-cors of paths["/public/items"]`},
			{Method: "GET", Path: "/lax", URL: "http://127.0.0.1:8080/lax", Policy: fileDefault, PolicySource: "policy file default"},
			{Method: "GET", Path: "/lax-narrow", URL: "http://127.0.0.1:8080/lax-narrow", Policy: apiNarrow, PolicySource: `x-cors of paths["/lax-narrow"].get`},
			{Method: "POST", Path: "/webhooks/payment", URL: "http://127.0.0.1:8080/webhooks/payment", Skip: "x-cors: false"},
		}},
		{"3.1 JSON, parameters and servers at every level", "params31.json", Options{}, []Route{
			{Method: "GET", Path: "/a/{p1}/b/{p2}", URL: "https://api.example.com/base/a/from%20param%20example/b/first%2Fby%20name",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
			{Method: "GET", Path: "/schema/{ex}/{exs}/{def}/{enum}/{const}", URL: "https://api.example.com/base/schema/schema-example/7/false/red/3.5",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
			{Method: "GET", Path: "/placeholders/{i}/{n}/{b}/{u}/{d}/{s}/{none}",
				URL:    "https://api.example.com/base/placeholders/1/1/true/00000000-0000-4000-8000-000000000000/2024-01-01/crosscheck/5",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
			{Method: "GET", Path: "/styles/{label}/{matrix}/{list}", URL: "https://api.example.com/base/styles/.x/;matrix=9/1,two,3",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
			{Method: "GET", Path: "/servers", URL: "https://path-level.example.com/servers",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
			{Method: "PUT", Path: "/servers", URL: "https://operation-level.example.com/x/servers",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"PUT"}}, PolicySource: `x-cors of paths["/servers"].put`},
			{Method: "TRACE", Path: "/servers", URL: "https://path-level.example.com/servers",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource, Skip: "TRACE is a forbidden method: browsers never send it"},
		}},
		{"a $ref to a local file", "split/openapi.yaml", Options{}, []Route{
			{Method: "GET", Path: "/users/{userId}", URL: "https://api.example.com/users/00000000-0000-4000-8000-000000000000",
				Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}}, PolicySource: docSource},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load(filepath.Join("testdata", tt.file), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, doc.Routes); diff != "" {
				t.Errorf("Load(%s) routes mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestLoadDocumentFacts(t *testing.T) {
	doc, err := Load(filepath.Join("testdata", "api.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{doc.Source, doc.Version, doc.Title, doc.Server}
	want := []string{"testdata/api.yaml", "3.0.3", "Orders API", "https://staging.api.example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document facts mismatch (-want +got):\n%s", diff)
	}
}

// TestParseErrors feeds malformed documents and wants every problem, with
// its line where the parser records one, and never a panic.
func TestParseErrors(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
	const cors = "x-cors: {allowOrigins: ['https://app.example.com']}\n"
	tests := []struct {
		name, doc string
		opts      Options
		want      []string // lines of the error, or prefixes ending in "…"
	}{
		{"not YAML", "openapi: [\n", Options{}, []string{"doc.yaml: not a valid OpenAPI document: …"}},
		{"a JSON array", "[1, 2]", Options{}, []string{"doc.yaml: not a valid OpenAPI document: …"}},
		{"empty", "", Options{}, []string{"doc.yaml: openapi: missing: not an OpenAPI 3 document"}},
		{"Swagger 2.0", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n", Options{},
			[]string{"doc.yaml:1: swagger: a Swagger 2.0 document: crosscheck reads OpenAPI 3.0 and 3.1; convert it first"}},
		{"OpenAPI 4", "openapi: 4.0.0\npaths: {}\n", Options{}, []string{`doc.yaml:1: openapi: "4.0.0": crosscheck reads OpenAPI 3.0 and 3.1`}},
		{"no paths", head + cors + "servers: [{url: 'https://a.example'}]\n", Options{}, []string{"doc.yaml: paths: no paths: nothing to certify"}},
		{"a path item that is not an object", head + "paths:\n  /a: 5\n", Options{}, []string{"doc.yaml: not a valid OpenAPI document: …"}},
		{"bad x-cors policy, every problem at once", head + "servers: [{url: 'https://a.example'}]\n" +
			"x-cors:\n  allowOrigins: ['https://App.example.com/', '*']\n  allowCredentials: yes please\n  alowMethods: [GET]\n" +
			"paths:\n  /a:\n    get:\n      x-cors: true\n      responses: {'200': {description: ok}}\n    put:\n      x-cors: {allowOrigins: ['null', 'null']}\n      responses: {'200': {description: ok}}\n", Options{},
			[]string{
				"doc.yaml:4: x-cors.alowMethods: unknown field (known: allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials, maxAge)",
				"doc.yaml:4: x-cors.allowCredentials: want true or false",
				"doc.yaml:4: x-cors.allowOrigins[0]: \"https://App.example.com/\" is not a serialized origin: …",
				"doc.yaml:4: x-cors.allowOrigins[1]: \"*\" allows every origin; it cannot be combined with other entries",
				`doc.yaml:11: paths["/a"].get.x-cors: want a policy object (allowOrigins, allowMethods…) or false, not true`,
				`doc.yaml:14: paths["/a"].put.x-cors.allowOrigins[1]: "null" repeats allowOrigins[0]`,
			}},
		{"x-cors of the wrong type", head + "servers: [{url: 'https://a.example'}]\n" + cors +
			"paths:\n  /a:\n    x-cors: 'https://app.example.com'\n    get:\n      x-cors: true\n      responses: {'200': {description: ok}}\n    put:\n      x-cors: {allowOrigins: ['null', 'null']}\n      responses: {'200': {description: ok}}\n", Options{},
			[]string{
				`doc.yaml:7: paths["/a"].x-cors: want a policy object (allowOrigins, allowMethods…) or false, not a string`,
				`doc.yaml:9: paths["/a"].get.x-cors: want a policy object (allowOrigins, allowMethods…) or false, not true`,
				`doc.yaml:12: paths["/a"].put.x-cors.allowOrigins[1]: "null" repeats allowOrigins[0]`,
			}},
		{"x-cors: false on the document", head + "x-cors: false\npaths: {}\n", Options{},
			[]string{
				"doc.yaml:3: x-cors: false is for a path or an operation; to certify nothing, do not run crosscheck",
				"doc.yaml:4: paths: no paths: nothing to certify",
			}},
		{"undeclared path parameter and a relative server", head + cors + "servers: [{url: /v1}]\npaths:\n  /a/{id}:\n    get:\n      responses: {'200': {description: ok}}\n", Options{},
			[]string{
				`doc.yaml:4: servers[0].url: "/v1" is relative (to where the document is served): give --server URL`,
				`doc.yaml:7: paths["/a/{id}"].get: path parameter {id} is not declared (a parameter with in: path and name: id)`,
			}},
		{"undeclared path parameter", head + cors + "paths:\n  /a/{id}/{x}:\n    get:\n      parameters: [{name: id, in: path, required: true}]\n      responses: {'200': {description: ok}}\n",
			Options{Server: "https://a.example"},
			[]string{`doc.yaml:6: paths["/a/{id}/{x}"].get: path parameter {x} is not declared (a parameter with in: path and name: x)`}},
		{"no servers and no --server", head + cors + "paths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n  /b:\n    get: {responses: {'200': {description: ok}}}\n", Options{},
			[]string{`doc.yaml: servers: none: the document's server is then "/", relative to where it is served; give --server URL`}},
		{"server variable without an entry", head + cors + "servers: [{url: 'https://{region}.example.com'}]\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n", Options{},
			[]string{"doc.yaml:4: servers[0].url: variable {region} has no entry in variables"}},
		{"bad --server", head + cors + "paths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n", Options{Server: "ftp://a.example"},
			[]string{`doc.yaml: --server: "ftp://a.example": want an absolute http:// or https:// URL`}},
		{"no policy anywhere", head + "servers: [{url: 'https://a.example'}]\npaths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n    put: {responses: {'200': {description: ok}}}\n  /b:\n    get: {responses: {'200': {description: ok}}}\n  /c:\n    get: {responses: {'200': {description: ok}}}\n", Options{},
			[]string{"doc.yaml: no CORS policy for 4 routes (GET /a (line 6), PUT /a (line 7), GET /b (line 9) and 1 more): add x-cors to the document, the path or the operation, or give --policy FILE"}},
		{"a $ref to another file in Parse", head + cors + "paths:\n  /a:\n    get:\n      parameters: [{$ref: 'other.yaml#/P'}]\n      responses: {'200': {description: ok}}\n", Options{Server: "https://a.example"},
			[]string{`doc.yaml: $ref "other.yaml#/P" points to another file: give the document as a file (crosscheck run --openapi FILE) so that local references resolve`}},
		{"a broken $ref", head + cors + "paths:\n  /a:\n    get:\n      parameters: [{$ref: '#/components/parameters/Nope'}]\n      responses: {'200': {description: ok}}\n", Options{Server: "https://a.example"},
			[]string{"doc.yaml: not a valid OpenAPI document: …"}},
		{"no operations", head + cors + "servers: [{url: 'https://a.example'}]\npaths:\n  /a: {summary: nothing here}\n", Options{},
			[]string{"doc.yaml:5: paths: no operations: nothing to certify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse("doc.yaml", []byte(tt.doc), tt.opts)
			if err == nil {
				t.Fatalf("Parse = %d routes, nil error; want an error", len(doc.Routes))
			}
			var de *DocumentError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v, want a *DocumentError", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				prefix, isPrefix := strings.CutSuffix(w, "…")
				if isPrefix && !strings.HasPrefix(got[i], prefix) || !isPrefix && got[i] != w {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], w)
				}
			}
		})
	}
}

// TestParseMutationsNeverPanic feeds bytes mutations of the test documents:
// each must parse or fail with a *DocumentError.
func TestParseMutationsNeverPanic(t *testing.T) {
	for _, name := range []string{"api.yaml", "params31.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(len(data))))
		for i := range 300 {
			b := append([]byte(nil), data...)
			for range 1 + rng.Intn(4) {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
			if i%3 == 0 {
				b = b[:rng.Intn(len(b))]
			}
			_, err := Parse(name, b, Options{Server: "http://127.0.0.1:1"})
			var de *DocumentError
			if err != nil && !errors.As(err, &de) {
				t.Fatalf("%s mutation %d: error %T %v, want a *DocumentError", name, i, err, err)
			}
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join("testdata", "nope.yaml"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want one wrapping os.ErrNotExist", err)
	}
}
