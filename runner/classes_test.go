package runner_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// flawedServer is a CORS layer in front of a 200 handler whose origin check
// is allow: the flawed matcher of one bypass class, written the way the
// advisories show it. Everything else follows the policy: preflights list
// the policy's methods and headers, allowed origins are echoed with
// credentials when the policy allows them, exposed headers are listed.
// vary lists the Vary lines of actual responses, cacheControl is sent when
// not empty.
type flawedServer struct {
	policy       runner.Policy
	allow        func(origin string) bool
	vary         []string
	cacheControl string
}

func (s flawedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	o := r.Header.Get("Origin")
	ok := o != "" && s.allow(o)
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		if !ok {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.Set("Access-Control-Allow-Origin", o)
		if s.policy.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		h.Set("Access-Control-Allow-Methods", strings.Join(s.policy.AllowMethods, ", "))
		h.Set("Access-Control-Allow-Headers", strings.Join(s.policy.AllowHeaders, ", "))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	for _, v := range s.vary {
		h.Add("Vary", v)
	}
	if s.cacheControl != "" {
		h.Set("Cache-Control", s.cacheControl)
	}
	if ok {
		h.Set("Access-Control-Allow-Origin", o)
		if s.policy.AllowCredentials {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if len(s.policy.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(s.policy.ExposeHeaders, ", "))
		}
	}
	for _, e := range s.policy.ExposeHeaders {
		h.Set(e, "1")
	}
	w.WriteHeader(http.StatusOK)
}

// hostOf returns the host of a serialized origin (brackets kept), "" when
// it has none.
func hostOf(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func oneOf(p runner.Policy) func(string) bool {
	return func(o string) bool { return slices.Contains(p.AllowOrigins, o) }
}

var (
	// strictCred allows one origin with credentials.
	strictCred = runner.Policy{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowMethods:     []string{"GET", "PUT"},
		AllowHeaders:     []string{"X-Request-Id"},
		AllowCredentials: true,
	}
	// twoDomains allows two registrable domains with credentials.
	twoDomains = runner.Policy{
		AllowOrigins:     []string{"https://foo.com", "https://bar.com"},
		AllowMethods:     []string{"GET"},
		AllowCredentials: true,
	}
	// twoHosts allows two hosts of one registrable domain.
	twoHosts = runner.Policy{
		AllowOrigins:     []string{"https://app.example.com", "https://admin.example.com"},
		AllowMethods:     []string{"GET"},
		AllowCredentials: true,
	}
	// localDev allows a development origin on localhost.
	localDev = runner.Policy{
		AllowOrigins:     []string{"http://localhost:3000"},
		AllowMethods:     []string{"GET"},
		AllowCredentials: true,
	}
	// subdomains allows every subdomain of example.com.
	subdomains = runner.Policy{
		AllowOrigins:     []string{"https://*.example.com"},
		AllowMethods:     []string{"GET"},
		AllowCredentials: true,
	}
)

// TestBypassClasses serves one flawed origin check per bypass class of the
// public record (docs/findings.md, "Bypass classes") on 127.0.0.1 and
// checks the exact codes raised, each with the highest severity among its
// findings, and whether the default threshold (low) passes. The expected
// values come from who can serve the origins each flaw lets in (an
// attacker-registrable domain → high with credentials; a host in the
// owner's registrable domain or the network path → medium; the victim's
// machine → low; no browser page → info), not from running the runner.
func TestBypassClasses(t *testing.T) {
	tests := []struct {
		name   string
		policy runner.Policy
		allow  func(p runner.Policy) func(string) bool
		want   map[runner.Code]runner.Severity
		passes bool // under the default threshold
	}{
		{"exact match", strictCred, oneOf, nil, true},
		// strings.HasSuffix(origin, "example.com"): https://evilexample.com
		// is anyone's; the scheme is not checked either.
		{"registrable-domain suffix", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasSuffix(o, "example.com") }
		}, map[runner.Code]runner.Severity{runner.OriginSuffixBypass: runner.High, runner.InsecureOriginAllowed: runner.Medium}, false},
		// A suffix match on the host only lets in hosts under example.com:
		// a subdomain takeover away.
		{"allowed-host suffix", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool {
				return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, "app.example.com")
			}
		}, map[runner.Code]runner.Severity{runner.OriginSuffixBypass: runner.Medium}, false},
		// GHSA-vhxv-fg4m-p2w8: hosts indexed by suffix; an allowed host
		// preceded by the first label of another passes.
		{"combined hosts, two registrable domains", twoDomains, combinedBug,
			map[runner.Code]runner.Severity{runner.OriginCombinedHost: runner.High}, false},
		{"combined hosts, one registrable domain", twoHosts, combinedBug,
			map[runner.Code]runner.Severity{runner.OriginCombinedHost: runner.Medium}, false},
		// Kong#3832, rack-cors#86: the allowed host anywhere in the origin.
		{"unanchored at both ends", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.Contains(o, "app.example.com") }
		}, map[runner.Code]runner.Severity{runner.OriginSubstringBypass: runner.High}, false},
		// Starlette#801, sanic-cors CVE-2026-37737: anchored at the start
		// only.
		{"unanchored at the end", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "https://app.example.com") }
		}, map[runner.Code]runner.Severity{runner.OriginPrefixBypass: runner.High}, false},
		// The same on an origin with a port: only more digits of the port
		// pass, on the victim's own machine.
		{"unanchored at the end, after the port", localDev, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "http://localhost:3000") }
		}, map[runner.Code]runner.Severity{runner.OriginPrefixBypass: runner.Low}, false},
		// mcp-chrome#384: startsWith("http://127.0.0.1") lets in a name
		// anyone can register.
		{"IP prefix", runner.Policy{AllowOrigins: []string{"http://127.0.0.1:3000"}, AllowMethods: []string{"GET"}, AllowCredentials: true},
			func(p runner.Policy) func(string) bool {
				return func(o string) bool { return strings.HasPrefix(o, "http://127.0.0.1") }
			}, map[runner.Code]runner.Severity{runner.OriginPrefixBypass: runner.High, runner.LoopbackOriginAllowed: runner.Low}, false},
		// django-cors-headers < 3.0: host compared, scheme ignored.
		{"scheme ignored", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool {
				return hostOf(o) == "app.example.com" && !strings.Contains(o[len("https://"):], ":")
			}
		}, map[runner.Code]runner.Severity{runner.InsecureOriginAllowed: runner.Medium}, false},
		{"port ignored", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "https://") && hostOf(o) == "app.example.com" }
		}, map[runner.Code]runner.Severity{runner.OriginPortIgnored: runner.Medium}, false},
		// webpack-dev-server#1618: every IP-address origin trusted.
		{"any IP literal", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return oneOf(p)(o) || net.ParseIP(hostOf(o)) != nil }
		}, map[runner.Code]runner.Severity{runner.IPOriginAllowed: runner.High, runner.LoopbackOriginAllowed: runner.Low}, false},
		{"loopback trusted", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool {
				h := hostOf(o)
				return oneOf(p)(o) || h == "localhost" || h == "127.0.0.1" || h == "::1"
			}
		}, map[runner.Code]runner.Severity{runner.LoopbackOriginAllowed: runner.Low}, false},
		// Play#9101 asked for this: the trailing dot stripped before an
		// exact comparison. Only the allowed host's server serves it.
		{"trailing dot stripped", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return oneOf(p)(strings.TrimSuffix(o, ".")) }
		}, map[runner.Code]runner.Severity{runner.OriginTrailingDot: runner.Info}, true},
		{"case ignored", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.EqualFold(o, p.AllowOrigins[0]) }
		}, map[runner.Code]runner.Severity{runner.OriginCaseInsensitive: runner.Info}, true},
		// rs/cors, go-chi, gin, echo, fiber: the empty label passes, which
		// no DNS name has.
		{"empty label", subdomains, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".example.com") }
		}, map[runner.Code]runner.Severity{runner.OriginEmptyLabel: runner.Info}, true},
		// A pattern matched by suffix without the dot: evilexample.com.
		{"pattern without the dot", subdomains, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, "example.com") }
		}, map[runner.Code]runner.Severity{runner.OriginSuffixBypass: runner.High}, false},
		// An unescaped dot in a regexp lets in registrable look-alikes.
		{"unescaped dot", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool {
				return len(o) == len("https://app.example.com") && strings.HasPrefix(o, "https://app") &&
					o[len("https://app")+1:len("https://app.example")] == "example" && strings.HasSuffix(o, "com")
			}
		}, map[runner.Code]runner.Severity{runner.OriginUnescapedDot: runner.High}, false},
		{"null trusted", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return oneOf(p)(o) || o == "null" }
		}, map[runner.Code]runner.Severity{runner.NullOriginAllowed: runner.High}, false},
		{"parent domain trusted", strictCred, func(p runner.Policy) func(string) bool {
			return func(o string) bool { return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".example.com") }
		}, map[runner.Code]runner.Severity{runner.SubdomainAllowed: runner.Medium}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(flawedServer{policy: tt.policy, allow: tt.allow(tt.policy), vary: []string{"Origin"}})
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL+"/api", tt.policy, runner.Options{})
			if err != nil {
				t.Fatalf("Certify: %v", err)
			}
			got := worstByCode(rep)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("codes and severities mismatch (-want +got):\n%s", diff)
				for _, f := range rep.Findings {
					t.Logf("%s [%s] %s: %s", f.Code, f.Severity, f.Probe.ID, f.Rationale)
				}
			}
			if rep.Passed() != tt.passes {
				t.Errorf("Passed() = %v, want %v", rep.Passed(), tt.passes)
			}
			for _, f := range rep.Findings {
				if f.Rationale == "" || !f.Severity.AtLeast(runner.Info) {
					t.Errorf("%s from %s: severity %q, rationale %q", f.Code, f.Probe.ID, f.Severity, f.Rationale)
				}
			}
		})
	}
}

// combinedBug accepts an allowed origin, or an allowed host preceded by the
// first label of another allowed host: the GHSA-vhxv-fg4m-p2w8 class.
func combinedBug(p runner.Policy) func(string) bool {
	return func(o string) bool {
		if oneOf(p)(o) {
			return true
		}
		for _, a := range p.AllowOrigins {
			for _, b := range p.AllowOrigins {
				label, _, _ := strings.Cut(hostOf(b), ".")
				if a != b && o == "https://"+label+hostOf(a) {
					return true
				}
			}
		}
		return false
	}
}

func worstByCode(rep *runner.Report) map[runner.Code]runner.Severity {
	var got map[runner.Code]runner.Severity
	for _, f := range rep.Findings {
		if got == nil {
			got = map[runner.Code]runner.Severity{}
		}
		if w, ok := got[f.Code]; !ok || !w.AtLeast(f.Severity) {
			got[f.Code] = f.Severity
		}
	}
	return got
}

// TestVaryParsing: Vary is a list of tokens, compared case-insensitively,
// over every Vary line; "*" counts. A server whose Vary does not list
// Origin gets missing-vary-origin; one that lists it in any spelling does
// not. (It fails if any Vary value counted as Vary: Origin, or if only the
// first line or an exact "Origin" were accepted.)
func TestVaryParsing(t *testing.T) {
	tests := []struct {
		name string
		vary []string
		want bool // missing-vary-origin reported
	}{
		{"Origin", []string{"Origin"}, false},
		{"lower case", []string{"origin"}, false},
		{"upper case in a list", []string{"accept-encoding, ORIGIN"}, false},
		{"no spaces", []string{"Accept-Encoding,Origin"}, false},
		{"second line", []string{"Accept-Encoding", "Origin"}, false},
		{"star", []string{"*"}, false},
		{"other header only", []string{"Accept-Encoding"}, true},
		{"longer token", []string{"Origins"}, true},
		{"token containing Origin", []string{"X-Origin, Accept"}, true},
		{"empty", []string{""}, true},
		{"none", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(flawedServer{policy: strictCred, allow: oneOf(strictCred), vary: tt.vary})
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL, strictCred, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := slices.Contains(rep.Codes(), runner.MissingVaryOrigin); got != tt.want {
				t.Errorf("missing-vary-origin reported = %v, want %v (codes %v)", got, tt.want, rep.Codes())
			}
		})
	}
}

// TestVarySeverity: a missing Vary: Origin is an availability problem as
// bad as the caches that may store the response: info when none may
// (no-store, or a status no cache reuses without freshness), low for the
// browser's own cache or heuristic reuse, medium when shared caches may
// store it explicitly.
func TestVarySeverity(t *testing.T) {
	tests := []struct {
		cacheControl string
		want         runner.Severity
		passes       bool
	}{
		{"no-store", runner.Info, true},
		{"private, no-store", runner.Info, true},
		{"private, max-age=60", runner.Low, false},
		{"", runner.Low, false},
		{"no-cache", runner.Low, false},
		{"public, max-age=600", runner.Medium, false},
		{"s-maxage=60", runner.Medium, false},
	}
	for _, tt := range tests {
		t.Run("Cache-Control: "+tt.cacheControl, func(t *testing.T) {
			srv := httptest.NewServer(flawedServer{policy: strictCred, allow: oneOf(strictCred), cacheControl: tt.cacheControl})
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL, strictCred, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[runner.Code]runner.Severity{runner.MissingVaryOrigin: tt.want}
			if diff := cmp.Diff(want, worstByCode(rep)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if rep.Passed() != tt.passes {
				t.Errorf("Passed() = %v, want %v", rep.Passed(), tt.passes)
			}
		})
	}
}

// TestPortProbeNextToTarget: a policy origin on the target's own host with
// another port keeps its port probe even when the first other port is the
// target's (a same-origin skip that compared hosts only, or stopped at the
// first port, would lose it).
func TestPortProbeNextToTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := runner.Policy{AllowOrigins: []string{"http://127.0.0.1:" + strconv.Itoa(port-1)}, AllowMethods: []string{"GET"}}
	// A port-blind check: scheme and host compared, the port ignored.
	srv := httptest.NewUnstartedServer(flawedServer{policy: p, vary: []string{"Origin"},
		allow: func(o string) bool { return strings.HasPrefix(o, "http://") && hostOf(o) == "127.0.0.1" }})
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	rep, err := runner.Certify(context.Background(), srv.URL, p, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var origins []string
	for _, f := range rep.Findings {
		if f.Code == runner.OriginPortIgnored {
			origins = append(origins, f.Probe.Request.Origin)
		}
	}
	want := "http://127.0.0.1:" + strconv.Itoa(port+1)
	if !slices.Contains(origins, want) {
		t.Errorf("origin-port-ignored from %v, want from %s (codes %v)", origins, want, rep.Codes())
	}
}
