package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHostileOrigins lists, by hand, the hostile origins a policy yields.
func TestHostileOrigins(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		want   []hostile
	}{
		{"exact and pattern", Policy{AllowOrigins: []string{"https://app.example.com", "https://*.example.org"}}, []hostile{
			{VariantReflection, "", "https://attacker.example.net"},
			{VariantNull, "", "null"},
			{VariantInsecure, "https://app.example.com", "http://app.example.com"},
			{VariantSibling, "https://app.example.com", "https://crosscheck.example.com"},
			{VariantChild, "https://app.example.com", "https://crosscheck.app.example.com"},
			{VariantSuffix, "https://app.example.com", "https://evilapp.example.com"},
			{VariantPrefix, "https://app.example.com", "https://app.example.com.evil.net"},
			{VariantSpecialChar, "https://app.example.com", "https://app.example.com_.evil.net"},
			{VariantSpecialChar, "https://app.example.com", "https://app.example.com`.evil.net"},
			{VariantPort, "https://app.example.com", "https://app.example.com:8443"},
			{VariantUnescapedDot, "https://app.example.com", "https://appxexample.com"},
			{VariantUnescapedDot, "https://app.example.com", "https://app.examplexcom"},
			{VariantInsecure, "https://*.example.org", "http://crosscheck.example.org"},
			{VariantApex, "https://*.example.org", "https://example.org"},
			{VariantEmptyLabel, "https://*.example.org", "https://.example.org"},
			{VariantSuffix, "https://*.example.org", "https://evilexample.org"},
			{VariantPrefix, "https://*.example.org", "https://crosscheck.example.org.evil.net"},
			{VariantSpecialChar, "https://*.example.org", "https://crosscheck.example.org_.evil.net"},
			{VariantSpecialChar, "https://*.example.org", "https://crosscheck.example.org`.evil.net"},
			{VariantPort, "https://*.example.org", "https://crosscheck.example.org:8443"},
			{VariantUnescapedDot, "https://*.example.org", "https://crosscheck.examplexorg"},
		}},
		{"loopback with port", Policy{AllowOrigins: []string{"http://127.0.0.1:3000", "http://localhost:8080"}}, []hostile{
			{VariantReflection, "", "https://attacker.example.net"},
			{VariantNull, "", "null"},
			{VariantPrefix, "http://127.0.0.1:3000", "http://127.0.0.1.evil.net:3000"},
			{VariantSpecialChar, "http://127.0.0.1:3000", "http://127.0.0.1_.evil.net:3000"},
			{VariantSpecialChar, "http://127.0.0.1:3000", "http://127.0.0.1`.evil.net:3000"},
			{VariantPort, "http://127.0.0.1:3000", "http://127.0.0.1:3001"},
			{VariantChild, "http://localhost:8080", "http://crosscheck.localhost:8080"},
			{VariantSuffix, "http://localhost:8080", "http://evillocalhost:8080"},
			{VariantPrefix, "http://localhost:8080", "http://localhost.evil.net:8080"},
			{VariantSpecialChar, "http://localhost:8080", "http://localhost_.evil.net:8080"},
			{VariantSpecialChar, "http://localhost:8080", "http://localhost`.evil.net:8080"},
			{VariantPort, "http://localhost:8080", "http://localhost:8081"},
		}},
		{"any origin", Policy{AllowOrigins: []string{"*"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hostileOrigins(tt.policy)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(hostile{})); diff != "" {
				t.Errorf("hostileOrigins mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlanSkipsAllowedVariants: a variant the policy itself allows, or
// that is the target's own origin, is never sent as hostile.
func TestPlanSkipsAllowedVariants(t *testing.T) {
	p := Policy{AllowOrigins: []string{"https://app.example.com", "http://app.example.com", "https://*.example.com"}}
	var got []string
	for _, pr := range plan("https://app.example.com.evil.net/api", p) {
		if pr.kind == KindHostileOrigin && pr.shape == shapeSimple {
			got = append(got, pr.req.Origin)
		}
	}
	// http://app.example.com and the https subdomains are allowed; the
	// prefix variant of https://app.example.com is the target itself.
	want := []string{
		"https://attacker.example.net", "null",
		"https://app.example.com_.evil.net", "https://app.example.com`.evil.net", "https://app.example.com:8443",
		"https://appxexample.com", "https://app.examplexcom",
		"http://crosscheck.example.com", "http://crosscheck.app.example.com", "http://evilapp.example.com",
		"http://app.example.com.evil.net", "http://app.example.com_.evil.net", "http://app.example.com`.evil.net",
		"http://app.example.com:8080", "http://appxexample.com", "http://app.examplexcom",
		// The pattern's insecure variant is http://crosscheck.example.com, sent once above.
		"https://example.com", "https://.example.com", "https://evilexample.com", "https://crosscheck.example.com.evil.net",
		"https://crosscheck.example.com_.evil.net", "https://crosscheck.example.com`.evil.net", "https://crosscheck.example.com:8443",
		"https://crosscheck.examplexcom",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hostile origins mismatch (-want +got):\n%s", diff)
	}
}
