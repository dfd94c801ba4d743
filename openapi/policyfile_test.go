package openapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
)

func TestParsePolicyFile(t *testing.T) {
	tests := []struct {
		name string
		data string
		want *PolicyFile
	}{
		{"a plain policy is the default", `{"allowOrigins": ["https://app.example.com"]}`,
			&PolicyFile{Default: &runner.Policy{AllowOrigins: []string{"https://app.example.com"}}}},
		{"routes only", `{"routes": [{"path": "/a/**", "methods": ["get"], "policy": {"allowOrigins": ["*"]}}, {"path": "/b", "skip": "internal"}]}`,
			&PolicyFile{Routes: []RouteRule{
				{Path: "/a/**", Methods: []string{"get"}, Policy: &runner.Policy{AllowOrigins: []string{"*"}}},
				{Path: "/b", Skip: "internal"},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicyFile("p.json", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePolicyFile mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParsePolicyFileErrors wants every problem of a file at once, each
// naming the file and the field.
func TestParsePolicyFileErrors(t *testing.T) {
	tests := []struct {
		name, data string
		want       []string
	}{
		{"not JSON", `{"routes": [`, []string{"p.json: not a JSON object: unexpected EOF"}},
		{"an array", `[]`, []string{"p.json: not a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"}},
		{"a plain policy with a mistake", `{"allowOrigins": []}`, []string{"p.json: allowOrigins: must list at least one origin"}},
		{"everything wrong", `{"default": {"allowOrigins": ["*"], "allowCredentials": true}, "rutes": [], "routes": [
			{"path": "orders/*"},
			{"path": "/a/x*", "methods": [], "policy": {"allowOrigins": ["https://a.example"]}, "skip": "no"},
			{"path": "/b", "methods": ["GET", "G T"], "skip": ""},
			{"methods": "GET", "policy": {"allowOrigins": ["https://a.example"], "allowMethods": ["TRACE"]}, "extra": 1},
			"/c"
		]}`, []string{
			"p.json: rutes: unknown field (known: default, routes)",
			`p.json: default.allowCredentials: cannot be true when allowOrigins holds "*": browsers never send credentials to a wildcard; list the origins instead`,
			`p.json: routes[0].path: "orders/*": a pattern starts with "/"`,
			`p.json: routes[0]: want "policy" (the routes' CORS policy) or "skip" (why they are not certified)`,
			`p.json: routes[1].path: "/a/x*": segment "x*": "*" and "**" stand for whole segments`,
			"p.json: routes[1].methods: empty: leave it out to match every method",
			`p.json: routes[1]: has both "policy" and "skip": a rule either gives the policy or skips the routes`,
			`p.json: routes[2].methods[1]: "G T" is not a method name (an HTTP token)`,
			"p.json: routes[2].skip: want a non-empty string: why these routes are not certified",
			"p.json: routes[3].extra: unknown field (known: path, methods, policy, skip)",
			"p.json: routes[3].path: missing: want a path pattern such as /orders/* or /admin/**",
			"p.json: routes[3].methods: want an array of method names",
			`p.json: routes[3].policy.allowMethods[0]: "TRACE" is a forbidden method: browsers refuse to send it`,
			`p.json: routes[4]: want an object with "path" and "policy" or "skip"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicyFile("p.json", []byte(tt.data))
			var pe *runner.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v, want a *runner.PolicyError", err, err)
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, template string
		want              bool
	}{
		{"/orders", "/orders", true},
		{"/orders", "/orders/{id}", false},
		{"/orders/*", "/orders/{id}", true},
		{"/orders/*", "/orders", false},
		{"/orders/*", "/orders/{id}/items", false},
		{"/orders/{id}", "/orders/{id}", true},
		{"/orders/{id}", "/orders/{orderId}", false},
		{"/orders/**", "/orders", true},
		{"/orders/**", "/orders/{id}/items/{item}", true},
		{"/**", "/anything/at/all", true},
		{"/**/items", "/orders/{id}/items", true},
		{"/**/items", "/orders/{id}/items/x", false},
		{"/*/items", "/a/b/items", false},
	}
	for _, tt := range tests {
		if got := matchPattern(tt.pattern, tt.template); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.template, got, tt.want)
		}
	}
}
