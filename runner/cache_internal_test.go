package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// TestServed: which later requests a cached preflight answer lets go
// without a preflight, and with which credentials mode. The expectations
// are Fetch's cache-match rules: an entry made with credentials serves
// both modes, one made without serves uncredentialed requests only, a `*`
// entry serves uncredentialed requests only and never Authorization, and a
// request that needs no preflight anyway is not "let through".
func TestServed(t *testing.T) {
	const o, u = "https://app.example.com", "https://api.example.net/x"
	answer := func(creds bool, kv ...string) spec.Response {
		h := []spec.Header{{Name: "Access-Control-Allow-Origin", Value: o}}
		if creds {
			h = append(h, spec.Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
		}
		for i := 0; i+1 < len(kv); i += 2 {
			h = append(h, spec.Header{Name: kv[i], Value: kv[i+1]})
		}
		return spec.Response{Status: 204, Headers: h}
	}
	getWith := func(c spec.Credentials) spec.PreflightRequest {
		return spec.PreflightRequest{Origin: o, Method: "GET", Headers: []spec.Header{{Name: "X-A", Value: "1"}}, Credentials: c}
	}
	method := func(m string) spec.PreflightRequest { return spec.PreflightRequest{Origin: o, Method: m} }
	header := func(n, v string) spec.PreflightRequest {
		return spec.PreflightRequest{Origin: o, Method: "GET", Headers: []spec.Header{{Name: n, Value: v}}}
	}
	type want struct {
		Served, Credentialed bool
	}
	tests := []struct {
		name  string
		pre   spec.PreflightRequest
		resp  spec.Response
		later spec.PreflightRequest
		want  want
	}{
		{"credentialed entry serves both", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Methods", "GET, DELETE", "Access-Control-Allow-Headers", "X-A"),
			method("DELETE"), want{true, true}},
		{"uncredentialed entry serves uncredentialed only", getWith(spec.CredentialsOmit), answer(false, "Access-Control-Allow-Methods", "GET, DELETE", "Access-Control-Allow-Headers", "X-A"),
			method("DELETE"), want{true, false}},
		// The spec's method cache entry match takes a `*` entry whatever the
		// entry's credentials (#concept-cache-match-method), although the
		// preflight check reads `*` literally for a credentialed request.
		{"credentialed * method entry serves credentialed requests too", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "X-A"),
			method("PATCH"), want{true, true}},
		{"* header entry", getWith(spec.CredentialsOmit), answer(false, "Access-Control-Allow-Headers", "*"),
			header("X-B", "1"), want{true, false}},
		{"* never covers Authorization", getWith(spec.CredentialsOmit), answer(false, "Access-Control-Allow-Headers", "*"),
			header("Authorization", "Bearer x"), want{}},
		{"Authorization by name", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Headers", "X-A, Authorization"),
			header("Authorization", "Bearer x"), want{true, true}},
		{"a safelisted value needs no preflight anyway", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Headers", "X-A, Accept"),
			header("Accept", "text/plain"), want{}},
		{"an unsafe value of a safelisted name", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Headers", "X-A, Accept"),
			header("Accept", unsafeValue("Accept")), want{true, true}},
		{"max-age 0", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Methods", "GET, DELETE", "Access-Control-Allow-Headers", "X-A", "Access-Control-Max-Age", "0"),
			method("DELETE"), want{}},
		{"another method", getWith(spec.CredentialsInclude), answer(true, "Access-Control-Allow-Methods", "GET, DELETE", "Access-Control-Allow-Headers", "X-A"),
			method("PATCH"), want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c spec.PreflightCache
			c.Store(tt.pre, u, tt.resp, 0, 0)
			if len(c.Entries) == 0 {
				t.Fatal("the answer was not stored")
			}
			w, ok := served(&c, u, tt.later, "x")
			if diff := cmp.Diff(tt.want, want{ok, w.credentialed}); diff != "" {
				t.Errorf("served mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
