package demo_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// TestPolicyMatchesConfig: every demo target is configured with the values
// of the policy it declares (policy.json), flaws aside.
func TestPolicyMatchesConfig(t *testing.T) {
	p, err := runner.ParsePolicy("policy.json", demo.PolicyJSON)
	if err != nil {
		t.Fatal(err)
	}
	want := demo.Config{Origins: p.AllowOrigins, Methods: p.AllowMethods, Headers: p.AllowHeaders,
		Expose: p.ExposeHeaders, Credentials: p.AllowCredentials, MaxAge: *p.MaxAge}
	seen := map[string]bool{}
	for _, tg := range demo.Targets() {
		got := tg.Config
		got.Flaws, got.CacheControl = 0, ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: config mismatch (-want +got):\n%s", tg.Name, diff)
		}
		if seen[tg.Name] || tg.About == "" {
			t.Errorf("%s: duplicate name or no description", tg.Name)
		}
		seen[tg.Name] = true
	}
}
