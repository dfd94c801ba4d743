package loaders

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// FuzzParsePolicy checks runner.ParsePolicy, the policy-file loader, on any
// bytes: it returns either a policy that Validate accepts or a
// *runner.PolicyError listing at least one problem (never a panic); a valid
// policy holds what encoding/json reads from the same bytes, and written
// back as JSON it parses to the same policy.
//
// The case-file loader has its own fuzz target, cases.FuzzParse
// (cases/load_test.go), which scripts/fuzz.sh runs with these.
func FuzzParsePolicy(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := runner.ParsePolicy("fuzz.json", data)
		if err != nil {
			var pe *runner.PolicyError
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("ParsePolicy(%q) error %v is not a *PolicyError with problems", data, err)
			}
			return
		}
		var plain runner.Policy
		if err := json.Unmarshal(data, &plain); err != nil {
			t.Errorf("ParsePolicy(%q) accepted what encoding/json rejects: %v", data, err)
		} else if diff := cmp.Diff(plain, p); diff != "" {
			t.Errorf("ParsePolicy(%q) reads the file differently from encoding/json (-json +ParsePolicy):\n%s", data, diff)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("ParsePolicy(%q) accepted a policy Validate rejects: %v", data, err)
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", p, err)
		}
		p2, err := runner.ParsePolicy("again.json", again)
		if err != nil {
			t.Fatalf("ParsePolicy(%q) accepted, but its JSON %s is rejected: %v", data, again, err)
		}
		if diff := cmp.Diff(p, p2); diff != "" {
			t.Errorf("ParsePolicy(%q) then JSON %s round trip mismatch (-first +again):\n%s", data, again, diff)
		}
	})
}

// FuzzPolicyPattern checks runner.Policy.AllowsOrigin, the oracle of what a
// declared policy allows, for a policy of one entry:
//
//   - a valid policy allows only serialized origins (or anything for `*`):
//     an exact entry allows itself alone, a subdomain pattern
//     `scheme://*.domain[:port]` only origins of the same scheme whose host
//     and port end in ".domain[:port]" after one or more non-empty labels
//     (the fcors soundness property: the longest common suffix of pattern
//     and origin starts at a dot);
//   - a pattern allows every origin made of a plain label and its domain.
func FuzzPolicyPattern(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		p := runner.Policy{AllowOrigins: []string{pattern}}
		if p.Validate() != nil || pattern == "*" {
			return
		}
		scheme, rest, isPattern := strings.Cut(pattern, "://*.")
		if isPattern {
			label, _, _ := strings.Cut(strings.TrimPrefix(origin, scheme+"://"), ".")
			if label != "" && strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-") == "" {
				if sub := scheme + "://" + label + "." + rest; !p.AllowsOrigin(sub) {
					t.Errorf("policy %q does not allow its subdomain origin %q", pattern, sub)
				}
			}
		}
		if !p.AllowsOrigin(origin) {
			return
		}
		if !isPattern {
			if origin != pattern {
				t.Errorf("policy %q allows the other origin %q", pattern, origin)
			}
			return
		}
		if o, err := spec.ParseOrigin(origin); err != nil || o.Opaque || o.Serialize() != origin {
			t.Errorf("policy %q allows %q, which is not a serialized tuple origin (ParseOrigin: %+v, %v)", pattern, origin, o, err)
		}
		hostPort, ok := strings.CutPrefix(origin, scheme+"://")
		if !ok {
			t.Errorf("policy %q allows %q, of another scheme", pattern, origin)
			return
		}
		sub, ok := strings.CutSuffix(hostPort, "."+rest)
		if !ok || sub == "" || slices.Contains(strings.Split(sub, "."), "") {
			t.Errorf("policy %q allows %q: not one or more non-empty labels before .%s", pattern, origin, rest)
		}
	})
}
