package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

func intp(n int) *int { return &n }

// credPolicy is a typical API policy with credentials.
var credPolicy = runner.Policy{
	AllowOrigins:     []string{"https://app.example.com"},
	AllowMethods:     []string{"GET", "POST", "PUT"},
	AllowHeaders:     []string{"Content-Type", "X-Request-Id"},
	ExposeHeaders:    []string{"X-Total-Count"},
	AllowCredentials: true,
	MaxAge:           intp(600),
}

// publicPolicy lists origins without credentials.
var publicPolicy = runner.Policy{
	AllowOrigins:  []string{"https://app.example.com", "https://admin.example.org"},
	AllowMethods:  []string{"GET", "DELETE"},
	ExposeHeaders: []string{"X-Total-Count"},
}

// patternPolicy allows every subdomain of example.com.
var patternPolicy = runner.Policy{
	AllowOrigins:     []string{"https://*.example.com"},
	AllowMethods:     []string{"GET", "PUT"},
	AllowHeaders:     []string{"X-Request-Id"},
	AllowCredentials: true,
}

// anyPolicy allows every origin, without credentials.
var anyPolicy = runner.Policy{
	AllowOrigins:  []string{"*"},
	AllowMethods:  []string{"GET", "PATCH"},
	AllowHeaders:  []string{"Authorization"},
	ExposeHeaders: []string{"X-Total-Count"},
}

// config is the demo server's view of a policy.
func config(p runner.Policy, f demo.Flaw) demo.Config {
	c := demo.Config{Origins: p.AllowOrigins, Methods: p.AllowMethods, Headers: p.AllowHeaders,
		Expose: p.ExposeHeaders, Credentials: p.AllowCredentials, Flaws: f}
	if p.MaxAge != nil {
		c.MaxAge = *p.MaxAge
	}
	return c
}

// TestCertify serves a correct target and one flawed target per finding code
// on 127.0.0.1 and checks the exact set of codes raised. The expected sets
// come from what each flaw lets a browser do, not from running the runner.
func TestCertify(t *testing.T) {
	tests := []struct {
		name   string
		policy runner.Policy
		flaws  demo.Flaw
		want   []runner.Code
	}{
		{"correct/credentials", credPolicy, 0, nil},
		{"correct/public", publicPolicy, 0, nil},
		{"correct/pattern", patternPolicy, 0, nil},
		{"correct/any-origin", anyPolicy, 0, nil},
		{"reflect-origin/any-origin", anyPolicy, demo.ReflectOrigin, nil}, // allowed by the policy, and Vary is sent
		// A static "*" needs no Vary; a reflected origin does.
		{"no-vary/any-origin", anyPolicy, demo.NoVary, nil},
		{"reflect-origin-no-vary/any-origin", anyPolicy, demo.ReflectOrigin | demo.NoVary, []runner.Code{runner.MissingVaryOrigin}},
		{"reflect-origin", credPolicy, demo.ReflectOrigin, []runner.Code{runner.OriginReflected}},
		{"reflect-origin/public", publicPolicy, demo.ReflectOrigin, []runner.Code{runner.OriginReflected}},
		{"null-origin", credPolicy, demo.AllowNull, []runner.Code{runner.NullOriginAllowed}},
		{"ignore-scheme", credPolicy, demo.IgnoreScheme, []runner.Code{runner.InsecureOriginAllowed}},
		{"ignore-scheme/pattern", patternPolicy, demo.IgnoreScheme, []runner.Code{runner.InsecureOriginAllowed}},
		{"trust-parent-domain", credPolicy, demo.TrustParentDomain, []runner.Code{runner.SubdomainAllowed}},
		{"suffix-match", credPolicy, demo.SuffixMatch, []runner.Code{runner.OriginSuffixBypass}},
		{"suffix-match/pattern", patternPolicy, demo.SuffixMatch, []runner.Code{runner.OriginSuffixBypass}},
		{"empty-label/pattern", patternPolicy, demo.EmptyLabel, []runner.Code{runner.OriginEmptyLabel}},
		{"empty-label/exact-origins", credPolicy, demo.EmptyLabel, nil}, // the flaw only concerns patterns
		{"prefix-match", credPolicy, demo.PrefixMatch, []runner.Code{runner.OriginPrefixBypass}},
		{"unescaped-dot", credPolicy, demo.UnescapedDot, []runner.Code{runner.OriginUnescapedDot}},
		{"ignore-port", credPolicy, demo.IgnorePort, []runner.Code{runner.OriginPortIgnored}},
		// "*" on responses: any origin reads uncredentialed responses, and
		// a credentialed request from the allowed origin fails.
		{"wildcard-origin/public", publicPolicy, demo.WildcardOrigin, []runner.Code{runner.WildcardOriginAllowed}},
		{"wildcard-credentials", credPolicy, demo.WildcardCredentials, []runner.Code{runner.WildcardOriginAllowed, runner.WildcardWithCredentials}},
		{"no-vary", credPolicy, demo.NoVary, []runner.Code{runner.MissingVaryOrigin}},
		{"no-expose", credPolicy, demo.NoExposeHeaders, []runner.Code{runner.ExposedHeaderMissing}},
		{"no-expose/public", publicPolicy, demo.NoExposeHeaders, []runner.Code{runner.ExposedHeaderMissing}},
		{"any-method", credPolicy, demo.AnyMethod, []runner.Code{runner.UnlistedMethodAllowed}},
		{"any-header", credPolicy, demo.AnyHeader, []runner.Code{runner.UnlistedHeaderAllowed}},
		{"any-header/any-origin", anyPolicy, demo.AnyHeader, []runner.Code{runner.UnlistedHeaderAllowed}},
		{"any-method/any-origin", anyPolicy, demo.AnyMethod, []runner.Code{runner.UnlistedMethodAllowed}},
		{"no-expose/any-origin", anyPolicy, demo.NoExposeHeaders, []runner.Code{runner.ExposedHeaderMissing}},
		{"no-credentials-header", credPolicy, demo.NoCredentialsHeader, []runner.Code{runner.AllowedRequestBlocked}},
		{"preflight-forbidden", credPolicy, demo.PreflightForbidden, []runner.Code{runner.AllowedRequestBlocked}},
		// What browsers cache from the allowed preflights.
		{"stale-lists", credPolicy, demo.StaleLists, []runner.Code{runner.CachedHeaderUnlisted, runner.CachedMethodUnlisted}},
		{"stale-lists/public", publicPolicy, demo.StaleLists, []runner.Code{runner.CachedHeaderUnlisted}}, // lists DELETE, which the policy lists
		{"long-max-age", credPolicy, demo.LongMaxAge, []runner.Code{runner.MaxAgeMismatch}},
		{"no-max-age", credPolicy, demo.NoMaxAge, []runner.Code{runner.MaxAgeMismatch}},
		{"long-max-age/undeclared", patternPolicy, demo.LongMaxAge, nil}, // the policy declares no maxAge
		// Two flaws at once: both codes, nothing else.
		{"null-and-no-vary", credPolicy, demo.AllowNull | demo.NoVary, []runner.Code{runner.MissingVaryOrigin, runner.NullOriginAllowed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(demo.Handler(config(tt.policy, tt.flaws)))
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL+"/api", tt.policy, runner.Options{})
			if err != nil {
				t.Fatalf("Certify: %v", err)
			}
			if diff := cmp.Diff(tt.want, rep.Codes()); diff != "" {
				t.Errorf("codes mismatch (-want +got):\n%s", diff)
				for _, f := range rep.Findings {
					t.Logf("%s: %s: %s", f.Code, f.Probe.ID, f.Detail)
				}
			}
		})
	}
}

// TestCertifyDemoTargets checks that each embedded demo target yields
// exactly the codes it advertises.
func TestCertifyDemoTargets(t *testing.T) {
	p, err := runner.ParsePolicy("policy.json", demo.PolicyJSON)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range demo.Targets() {
		t.Run(tg.Name, func(t *testing.T) {
			srv := httptest.NewServer(tg.Handler())
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL, p, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range rep.Codes() {
				got = append(got, string(c))
			}
			if diff := cmp.Diff(tg.Expected, got); diff != "" {
				t.Errorf("codes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCertifyHostileSeverity: a reflecting server lets any origin read:
// with credentials that is high, without Access-Control-Allow-Credentials
// medium. Every hostile probe is reported as origin-reflected, each with
// the severity of its own origin (a loopback or empty-label origin is
// less), so the worst is the reflection probe's.
func TestCertifyHostileSeverity(t *testing.T) {
	tests := []struct {
		name   string
		policy runner.Policy
		want   runner.Severity
	}{
		{"credentials", credPolicy, runner.High},
		{"public", publicPolicy, runner.Medium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(demo.Handler(config(tt.policy, demo.ReflectOrigin)))
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL, tt.policy, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var reflection []runner.Severity
			for _, f := range rep.Findings {
				if f.Probe.Variant == runner.VariantReflection {
					reflection = append(reflection, f.Severity)
				}
			}
			want := []runner.Severity{tt.want, tt.want} // the simple and the preflighted shape
			if diff := cmp.Diff(want, reflection); diff != "" || rep.Worst() != tt.want {
				t.Errorf("reflection severities mismatch (-want +got):\n%s\nworst %s", diff, rep.Worst())
			}
		})
	}
}

// TestCertifyLegitimateChoices: choices real middlewares make that a
// browser accepts must not raise findings (see research/peers.md): 200
// instead of 204, a static method and header list, no Vary on preflights,
// a 400 with CORS headers on refused preflights, no CORS headers on
// responses to refused origins.
func TestCertifyLegitimateChoices(t *testing.T) {
	p := runner.Policy{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"X-Foo"},
		ExposeHeaders:    []string{"X-Bar"},
		AllowCredentials: true,
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o := r.Header.Get("Origin")
		ok := o == "https://app.example.com"
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			// Static lists, 200, no Vary; refusals are 400 and, like
			// Starlette, still carry the static lists.
			w.Header().Set("Access-Control-Allow-Methods", "GET,PUT")
			w.Header().Set("Access-Control-Allow-Headers", "x-foo")
			if !ok {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		w.Header().Add("Vary", "origin")
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Expose-Headers", "x-bar")
		}
		w.Header().Set("X-Bar", "1")
		w.WriteHeader(http.StatusOK)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	rep, err := runner.Certify(context.Background(), srv.URL, p, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]runner.Code(nil), rep.Codes()); diff != "" {
		t.Errorf("codes mismatch (-want +got):\n%s", diff)
		for _, f := range rep.Findings {
			t.Logf("%s: %s: %s", f.Code, f.Probe.ID, f.Detail)
		}
	}
}

func TestCertifyErrors(t *testing.T) {
	srv := httptest.NewServer(demo.Handler(config(credPolicy, 0)))
	defer srv.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		target string
		policy runner.Policy
		want   string
	}{
		{"relative URL", context.Background(), "/api", credPolicy, `target "/api": want an http:// or https:// URL`},
		{"userinfo", context.Background(), "http://u:p@127.0.0.1/", credPolicy, `target "http://u:p@127.0.0.1/": browsers refuse URLs with credentials`},
		{"bad policy", context.Background(), srv.URL, runner.Policy{}, "allowOrigins: must list at least one origin"},
		{"cancelled", cancelled, srv.URL, credPolicy, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := runner.Certify(tt.ctx, tt.target, tt.policy, runner.Options{})
			if err == nil || err.Error() != tt.want || rep != nil {
				t.Errorf("Certify = %v, %v; want error %q", rep, err, tt.want)
			}
		})
	}
}
