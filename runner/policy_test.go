package runner_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name string
		json string
		want runner.Policy
	}{
		{"full", `{"allowOrigins": ["https://app.example.com", "https://*.example.org:8443", "null"],
			"allowMethods": ["GET", "PATCH"], "allowHeaders": ["Content-Type"], "exposeHeaders": ["X-Total-Count"],
			"allowCredentials": true, "maxAge": 600}`,
			runner.Policy{AllowOrigins: []string{"https://app.example.com", "https://*.example.org:8443", "null"},
				AllowMethods: []string{"GET", "PATCH"}, AllowHeaders: []string{"Content-Type"},
				ExposeHeaders: []string{"X-Total-Count"}, AllowCredentials: true, MaxAge: intp(600)}},
		{"minimal", `{"allowOrigins": ["*"]}`, runner.Policy{AllowOrigins: []string{"*"}}},
		{"nulls are absent", `{"allowOrigins": ["*"], "allowMethods": null, "maxAge": null}`, runner.Policy{AllowOrigins: []string{"*"}}},
		{"wildcards", `{"allowOrigins": ["*"], "allowMethods": ["*"], "allowHeaders": ["*"], "exposeHeaders": ["*"], "maxAge": 0}`,
			runner.Policy{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, ExposeHeaders: []string{"*"}, MaxAge: intp(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runner.ParsePolicy("p.json", []byte(tt.json))
			if err != nil {
				t.Fatalf("ParsePolicy: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePolicy mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParsePolicyErrors: every problem is reported, each naming its field.
func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []runner.Problem
	}{
		{"not an object", `["https://app.example.com"]`, []runner.Problem{
			{Message: "not a JSON object: json: cannot unmarshal array into Go value of type map[string]json.RawMessage"}}},
		{"empty", `{}`, []runner.Problem{{Field: "allowOrigins", Message: "must list at least one origin"}}},
		{"unknown fields and types", `{"allowOrigin": ["x"], "allowOrigins": "https://a.example", "allowCredentials": "yes", "maxAge": 1.5, "Methods": []}`, []runner.Problem{
			{Field: "Methods", Message: "unknown field (known: allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials, maxAge)"},
			{Field: "allowOrigin", Message: "unknown field (known: allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials, maxAge)"},
			{Field: "allowOrigins", Message: "want an array of strings"},
			{Field: "allowCredentials", Message: "want true or false"},
			{Field: "maxAge", Message: "want a whole number of seconds"},
			{Field: "allowOrigins", Message: "must list at least one origin"},
		}},
		{"origins", `{"allowOrigins": ["https://App.example.com", "https://app.example.com:443", "app.example.com",
			"https://a.example.com/", "https://*.example.com", "https://*.example.com", "https://*.*.example.com",
			"https://x*.example.com", "https://*..example.com", "https://*.10.0.0.1", "ftp://*.example.com"]}`, []runner.Problem{
			{Field: "allowOrigins[0]", Message: `"https://App.example.com" is not a serialized origin: a serialized origin is lowercase`},
			{Field: "allowOrigins[1]", Message: `"https://app.example.com:443" is not a serialized origin: a serialized origin omits the scheme's default port`},
			{Field: "allowOrigins[2]", Message: `"app.example.com" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null`},
			{Field: "allowOrigins[3]", Message: `"https://a.example.com/" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null`},
			{Field: "allowOrigins[5]", Message: `"https://*.example.com" repeats allowOrigins[4]`},
			{Field: "allowOrigins[6]", Message: `"https://*.*.example.com": a pattern is scheme://*.domain[:port], with "*" only as the first label`},
			{Field: "allowOrigins[7]", Message: `"https://x*.example.com": a pattern is scheme://*.domain[:port], with "*" only as the first label`},
			{Field: "allowOrigins[8]", Message: `"https://*..example.com": the domain has an empty label`},
			{Field: "allowOrigins[9]", Message: `"https://*.10.0.0.1": an IP address has no subdomains`},
			{Field: "allowOrigins[10]", Message: `"ftp://*.example.com": patterns need an http or https scheme`},
		}},
		{"wildcard with credentials", `{"allowOrigins": ["*"], "allowCredentials": true}`, []runner.Problem{
			{Field: "allowCredentials", Message: `cannot be true when allowOrigins holds "*": browsers never send credentials to a wildcard; list the origins instead`}}},
		{"methods and headers", `{"allowOrigins": ["null"], "allowMethods": ["GET", "GET", "TRACE", "bad method", "*"],
			"allowHeaders": ["X-A", "x-a", "Cookie", "Sec-Fetch-Mode", "a b"], "exposeHeaders": ["Set-Cookie", "*", "X:Y"], "maxAge": -5}`, []runner.Problem{
			{Field: "allowMethods[1]", Message: `"GET" repeats allowMethods[0]`},
			{Field: "allowMethods[2]", Message: `"TRACE" is a forbidden method: browsers refuse to send it`},
			{Field: "allowMethods[3]", Message: `"bad method" is not a method name (an HTTP token)`},
			{Field: "allowMethods[4]", Message: `"*" allows every method; it cannot be combined with other entries`},
			{Field: "allowHeaders[1]", Message: `"x-a" repeats allowHeaders[0]`},
			{Field: "allowHeaders[2]", Message: `"Cookie" is a forbidden request header: script can never set it`},
			{Field: "allowHeaders[3]", Message: `"Sec-Fetch-Mode" is a forbidden request header: script can never set it`},
			{Field: "allowHeaders[4]", Message: `"a b" is not a header name (an HTTP token)`},
			{Field: "exposeHeaders[0]", Message: `"Set-Cookie" can never be read by script`},
			{Field: "exposeHeaders[1]", Message: `"*" exposes every header; it cannot be combined with other entries`},
			{Field: "exposeHeaders[2]", Message: `"X:Y" is not a header name (an HTTP token)`},
			{Field: "maxAge", Message: "-5 is negative; want seconds >= 0"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runner.ParsePolicy("p.json", []byte(tt.json))
			var pe *runner.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("ParsePolicy error = %v, want a *PolicyError", err)
			}
			if diff := cmp.Diff(tt.want, pe.Problems); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
			if pe.Source != "p.json" {
				t.Errorf("Source = %q", pe.Source)
			}
		})
	}
}

func TestPolicyErrorLines(t *testing.T) {
	_, err := runner.ParsePolicy("p.json", []byte(`{"allowOrigins": [], "maxAge": -1}`))
	want := "p.json: allowOrigins: must list at least one origin\np.json: maxAge: -1 is negative; want seconds >= 0"
	if err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	var prob runner.Problem
	if !errors.As(err, &prob) || prob.Field != "allowOrigins" {
		t.Errorf("errors.As(Problem) = %+v", prob)
	}
}

func TestAllowsOrigin(t *testing.T) {
	p := runner.Policy{AllowOrigins: []string{"https://app.example.com", "https://*.example.org", "http://*.local.test:8080"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"https://APP.example.com", false},
		{"http://app.example.com", false},
		{"https://app.example.com:443", false},
		{"https://a.example.org", true},
		{"https://a.b.example.org", true},
		{"https://example.org", false},
		{"https://.example.org", false},
		{"https://a..example.org", false},
		{"https://evilexample.org", false},
		{"https://a.example.org:8443", false},
		{"http://a.example.org", false},
		{"http://a.local.test:8080", true},
		{"http://a.local.test", false},
		{"null", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := p.AllowsOrigin(tt.origin); got != tt.want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
	if !(runner.Policy{AllowOrigins: []string{"*"}}).AllowsOrigin("null") {
		t.Error(`"*" does not allow null`)
	}
}
