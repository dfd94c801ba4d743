package runner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// TestHostileOrigins lists, by hand, the hostile origins a policy yields.
func TestHostileOrigins(t *testing.T) {
	elsewhere := spec.Origin{Scheme: "https", Host: "api.example.io"}
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
			{VariantRegistrableSuffix, "https://app.example.com", "https://evilexample.com"},
			{VariantPrefix, "https://app.example.com", "https://app.example.com.evil.net"},
			{VariantSpecialChar, "https://app.example.com", "https://app.example.com-evil.net"},
			{VariantSpecialChar, "https://app.example.com", "https://app.example.com_.evil.net"},
			{VariantSpecialChar, "https://app.example.com", "https://app.example.com`.evil.net"},
			{VariantSubstring, "https://app.example.com", "https://evilapp.example.com.evil.net"},
			{VariantPort, "https://app.example.com", "https://app.example.com:8443"},
			{VariantUnescapedDot, "https://app.example.com", "https://appxexample.com"},
			{VariantUnescapedDot, "https://app.example.com", "https://app.examplexcom"},
			{VariantTrailingDot, "https://app.example.com", "https://app.example.com."},
			{VariantUppercase, "https://app.example.com", "https://APP.EXAMPLE.COM"},
			{VariantInsecure, "https://*.example.org", "http://crosscheck.example.org"},
			{VariantApex, "https://*.example.org", "https://example.org"},
			{VariantEmptyLabel, "https://*.example.org", "https://.example.org"},
			{VariantEmptyLabel, "https://*.example.org", "https://crosscheck..example.org"},
			// example.org is its own registrable domain: no second suffix.
			{VariantSuffix, "https://*.example.org", "https://evilexample.org"},
			{VariantPrefix, "https://*.example.org", "https://crosscheck.example.org.evil.net"},
			{VariantSpecialChar, "https://*.example.org", "https://crosscheck.example.org-evil.net"},
			{VariantSpecialChar, "https://*.example.org", "https://crosscheck.example.org_.evil.net"},
			{VariantSpecialChar, "https://*.example.org", "https://crosscheck.example.org`.evil.net"},
			{VariantSubstring, "https://*.example.org", "https://evilexample.org.evil.net"},
			{VariantPort, "https://*.example.org", "https://crosscheck.example.org:8443"},
			{VariantUnescapedDot, "https://*.example.org", "https://crosscheck.examplexorg"},
			{VariantTrailingDot, "https://*.example.org", "https://crosscheck.example.org."},
			{VariantUppercase, "https://*.example.org", "https://CROSSCHECK.EXAMPLE.ORG"},
			// The label of the exact host joined to the pattern's domain.
			{VariantCombined, "https://*.example.org", "https://appexample.org"},
			{VariantIPLiteral, "", "https://203.0.113.7"},
			{VariantIPLiteral, "", "https://[2001:db8::7]"},
			{VariantLoopback, "", "http://localhost"},
			{VariantLoopback, "", "http://127.0.0.1"},
			{VariantLoopback, "", "http://[::1]"},
		}},
		{"loopback with port", Policy{AllowOrigins: []string{"http://127.0.0.1:3000", "http://localhost:8080"}}, []hostile{
			{VariantReflection, "", "https://attacker.example.net"},
			{VariantNull, "", "null"},
			{VariantPrefix, "http://127.0.0.1:3000", "http://127.0.0.1.evil.net:3000"},
			{VariantSpecialChar, "http://127.0.0.1:3000", "http://127.0.0.1-evil.net:3000"},
			{VariantSpecialChar, "http://127.0.0.1:3000", "http://127.0.0.1_.evil.net:3000"},
			{VariantSpecialChar, "http://127.0.0.1:3000", "http://127.0.0.1`.evil.net:3000"},
			{VariantSubstring, "http://127.0.0.1:3000", "http://evil127.0.0.1.evil.net:3000"},
			{VariantPort, "http://127.0.0.1:3000", "http://127.0.0.1:3001"},
			{VariantPortDigits, "http://127.0.0.1:3000", "http://127.0.0.1:30000"},
			{VariantChild, "http://localhost:8080", "http://crosscheck.localhost:8080"},
			// localhost is a top-level name: no registrable-domain suffix.
			{VariantSuffix, "http://localhost:8080", "http://evillocalhost:8080"},
			{VariantPrefix, "http://localhost:8080", "http://localhost.evil.net:8080"},
			{VariantSpecialChar, "http://localhost:8080", "http://localhost-evil.net:8080"},
			{VariantSpecialChar, "http://localhost:8080", "http://localhost_.evil.net:8080"},
			{VariantSpecialChar, "http://localhost:8080", "http://localhost`.evil.net:8080"},
			{VariantSubstring, "http://localhost:8080", "http://evillocalhost.evil.net:8080"},
			{VariantPort, "http://localhost:8080", "http://localhost:8081"},
			// 80800 is no port: no port-digits variant.
			{VariantTrailingDot, "http://localhost:8080", "http://localhost.:8080"},
			{VariantUppercase, "http://localhost:8080", "http://LOCALHOST:8080"},
			{VariantIPLiteral, "", "http://203.0.113.7"},
			{VariantIPLiteral, "", "http://[2001:db8::7]"},
			{VariantLoopback, "", "http://localhost"},
			{VariantLoopback, "", "http://127.0.0.1"},
			{VariantLoopback, "", "http://[::1]"},
		}},
		{"any origin", Policy{AllowOrigins: []string{"*"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hostileOrigins(tt.policy, elsewhere)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(hostile{})); diff != "" {
				t.Errorf("hostileOrigins mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHostileOriginsByVariant checks the variants that depend on the
// policy's shape: combined hosts (both orders, against the host they end
// with), the registrable-domain suffix, IPv6 hosts, ports next to the
// target's, and a reflection origin outside the policy's domains.
func TestHostileOriginsByVariant(t *testing.T) {
	tests := []struct {
		name     string
		policy   Policy
		target   spec.Origin
		variants []Variant
		want     []hostile
	}{
		{"combined, two registrable domains", Policy{AllowOrigins: []string{"https://foo.com", "https://bar.com"}},
			spec.Origin{Scheme: "https", Host: "api.example.io"}, []Variant{VariantCombined, VariantRegistrableSuffix}, []hostile{
				{VariantCombined, "https://foo.com", "https://barfoo.com"},
				{VariantCombined, "https://bar.com", "https://foobar.com"},
			}},
		{"combined, one registrable domain", Policy{AllowOrigins: []string{"https://app.example.com", "https://admin.example.com:8443"}},
			spec.Origin{Scheme: "https", Host: "api.example.io"}, []Variant{VariantCombined, VariantRegistrableSuffix}, []hostile{
				{VariantRegistrableSuffix, "https://app.example.com", "https://evilexample.com"},
				{VariantRegistrableSuffix, "https://admin.example.com:8443", "https://evilexample.com:8443"},
				{VariantCombined, "https://app.example.com", "https://adminapp.example.com"},
				{VariantCombined, "https://admin.example.com:8443", "https://appadmin.example.com:8443"},
			}},
		{"registrable suffix under a private public suffix", Policy{AllowOrigins: []string{"https://api.myapp.herokuapp.com"}},
			spec.Origin{Scheme: "https", Host: "api.example.io"}, []Variant{VariantSuffix, VariantRegistrableSuffix, VariantSibling}, []hostile{
				{VariantSibling, "https://api.myapp.herokuapp.com", "https://crosscheck.myapp.herokuapp.com"},
				{VariantSuffix, "https://api.myapp.herokuapp.com", "https://evilapi.myapp.herokuapp.com"},
				{VariantRegistrableSuffix, "https://api.myapp.herokuapp.com", "https://evilmyapp.herokuapp.com"},
			}},
		{"IPv6 host", Policy{AllowOrigins: []string{"http://[::1]:3000"}},
			spec.Origin{Scheme: "https", Host: "api.example.io"}, []Variant{VariantPrefix, VariantSpecialChar, VariantSubstring, VariantPort, VariantPortDigits}, []hostile{
				{VariantPort, "http://[::1]:3000", "http://[::1]:3001"},
				{VariantPortDigits, "http://[::1]:3000", "http://[::1]:30000"},
			}},
		// The target is the allowed origin's next port: the port variant
		// moves on instead of being dropped as same-origin.
		{"port next to the target", Policy{AllowOrigins: []string{"http://127.0.0.1:3000"}},
			spec.Origin{Scheme: "http", Host: "127.0.0.1", Port: "3001"}, []Variant{VariantPort}, []hostile{
				{VariantPort, "http://127.0.0.1:3000", "http://127.0.0.1:3002"},
			}},
		{"default port next to the target", Policy{AllowOrigins: []string{"https://app.example.com"}},
			spec.Origin{Scheme: "https", Host: "app.example.com", Port: "8443"}, []Variant{VariantPort}, []hostile{
				{VariantPort, "https://app.example.com", "https://app.example.com:8444"},
			}},
		{"reflection outside the policy", Policy{AllowOrigins: []string{"https://app.example.net"}},
			spec.Origin{Scheme: "https", Host: "api.example.io"}, []Variant{VariantReflection}, []hostile{
				{VariantReflection, "", "https://attacker.example.org"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []hostile
			for _, h := range hostileOrigins(tt.policy, tt.target) {
				for _, v := range tt.variants {
					if h.variant == v {
						got = append(got, h)
					}
				}
			}
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
		"https://evilexample.com", // the registrable suffix; the suffix evilapp.example.com is in *.example.com
		"https://app.example.com-evil.net", "https://app.example.com_.evil.net", "https://app.example.com`.evil.net",
		"https://evilapp.example.com.evil.net", "https://app.example.com:8443",
		"https://appxexample.com", "https://app.examplexcom", "https://app.example.com.", "https://APP.EXAMPLE.COM",
		"http://crosscheck.example.com", "http://crosscheck.app.example.com", "http://evilapp.example.com", "http://evilexample.com",
		"http://app.example.com.evil.net", "http://app.example.com-evil.net", "http://app.example.com_.evil.net", "http://app.example.com`.evil.net",
		"http://evilapp.example.com.evil.net", "http://app.example.com:8080", "http://appxexample.com", "http://app.examplexcom",
		"http://app.example.com.", "http://APP.EXAMPLE.COM",
		// The pattern's insecure variant is http://crosscheck.example.com, sent once above.
		"https://example.com", "https://.example.com", "https://crosscheck..example.com", "https://crosscheck.example.com.evil.net",
		"https://crosscheck.example.com-evil.net", "https://crosscheck.example.com_.evil.net", "https://crosscheck.example.com`.evil.net",
		"https://evilexample.com.evil.net", "https://crosscheck.example.com:8443",
		"https://crosscheck.examplexcom", "https://crosscheck.example.com.", "https://CROSSCHECK.EXAMPLE.COM",
		// The combined host: app.example.com's label joined to the
		// pattern's domain (the two exact origins share their host).
		"https://appexample.com",
		"https://203.0.113.7", "https://[2001:db8::7]", "http://localhost", "http://127.0.0.1", "http://[::1]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hostile origins mismatch (-want +got):\n%s", diff)
	}
}
