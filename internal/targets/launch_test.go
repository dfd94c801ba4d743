package targets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// env is prepared once for every test in the package: building the Go
// targets is the slow part, and go build caches it across runs.
var env *Env

func TestMain(m *testing.M) {
	os.Exit(func() int {
		root, err := FindRoot(".")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		env, err = Prepare(ctx, root, DefaultBinDir(), append(Impls(), VulnImpls()...))
		if err != nil {
			fmt.Fprintf(os.Stderr, "preparing the targets (run scripts/install-deps.sh first): %v\n", err)
			return 2
		}
		return m.Run()
	}())
}

// start starts a target for the test and stops it when the test ends.
func start(t *testing.T, name, policy string, configOrigins ...string) *Target {
	t.Helper()
	impl, ok := Find(name)
	if !ok {
		t.Fatalf("no implementation %q", name)
	}
	tg, err := env.Start(t.Context(), impl, env.PolicyPath(policy), configOrigins)
	if err != nil {
		t.Fatalf("Start(%s, %s): %v", name, policy, err)
	}
	t.Cleanup(tg.Stop)
	return tg
}

// get sends one GET with the given Origin (and a Cookie, as a credentialed
// browser request would) and returns the CORS response headers that matter.
func get(t *testing.T, tg *Target, origin string) map[string]string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tg.URL+"/items", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Cookie", "session=1")
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s with Origin %s: %v", tg.URL, origin, err)
	}
	resp.Body.Close()
	got := map[string]string{"status": fmt.Sprint(resp.StatusCode)}
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "X-Handler"} {
		if v := resp.Header.Get(h); v != "" {
			got[h] = v
		}
	}
	return got
}

func TestEveryTargetServesItsPolicyOrSaysWhyNot(t *testing.T) {
	// n/a is decided by the translation into each library's configuration
	// (see the -impl builders and the targets' doc comments).
	wantNA := map[string]bool{
		"gorilla-handlers/subdomains": true, // no origin patterns
		"echo-v5/subdomains":          true, // exact origins only
		"nethttp-cop/subdomains":      true, // AddTrustedOrigin takes exact origins
		"nethttp-cop/public":          true, // no trust-everyone setting
	}
	allowed := map[string]string{ // an origin each policy allows
		"strict":          "https://app.example.com",
		"several-origins": "https://partner.example.org",
		"subdomains":      "https://a.b.example.com",
		"public":          "https://anyone.example.net",
	}
	for _, impl := range Impls() {
		for _, policy := range []string{"strict", "several-origins", "subdomains", "public"} {
			t.Run(impl.Name+"/"+policy, func(t *testing.T) {
				t.Parallel()
				tg, err := env.Start(t.Context(), impl, env.PolicyPath(policy), nil)
				var na *NAError
				if errors.As(err, &na) {
					if !wantNA[impl.Name+"/"+policy] {
						t.Fatalf("unexpected n/a: %v", err)
					}
					if na.Why == "" {
						t.Error("n/a without a reason")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer tg.Stop()
				if wantNA[impl.Name+"/"+policy] {
					t.Fatalf("started, want n/a")
				}
				origin := allowed[policy]
				want := map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
				if policy == "public" {
					want["Access-Control-Allow-Origin"] = "*"
					delete(want, "Access-Control-Allow-Credentials")
				}
				got := get(t, tg, origin)
				if impl.Name == "starlette" && policy == "public" {
					// Starlette 0.26 answers a request that carries a Cookie
					// by echoing the origin instead of "*" (see
					// docs/findings/starlette.md); both let the origin read.
					want["Access-Control-Allow-Origin"] = origin
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GET with allowed Origin %s (-want +got):\n%s", origin, diff)
				}
			})
		}
	}
}

// The regression corpus: each release reproduces its advisory when given
// the advisory's configuration, and the current release does not.
func TestVulnerableReleasesReproduceTheirAdvisory(t *testing.T) {
	const evil = "https://evil.example.net"
	tests := []struct {
		name, impl, origin string
		configOrigins      []string
		want               map[string]string
	}{
		{
			name: "CVE-2018-20744 reflects any origin with credentials", impl: "rs-cors-v1.4.0",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": evil, "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "fixed in rs/cors v1.11.1: * and credentials", impl: "rs-cors",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "echo#2400 reflects any origin with credentials", impl: "echo-v4.9.0",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": evil, "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "fixed in echo v4.16.0: * and credentials", impl: "echo",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "CVE-2024-25124 answers * with credentials", impl: "fiber-v2.52.0",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		// The same configuration (every origin, with credentials) on the
		// current npm middlewares: @koa/cors reflects the origin on purpose
		// (its README: with credentials, the default origin is the
		// request's; koajs/cors#85), the others answer "*", which browsers
		// refuse for credentialed requests.
		{
			name: "@koa/cors 5.0.0 with * and credentials reflects any origin (documented)", impl: "koa-cors",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": evil, "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "hono with * and credentials answers *", impl: "hono",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "express cors with * and credentials answers *", impl: "express-cors",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "@fastify/cors with * and credentials answers *", impl: "fastify-cors",
			configOrigins: []string{"*"}, origin: evil,
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "CVE-2019-25211 trusts a longer host", impl: "gin-contrib-cors-v1.5.0",
			configOrigins: []string{"https://app.example.com/*"}, origin: "https://app.example.com.evil.net",
			want: map[string]string{"status": "200", "X-Handler": "called", "Access-Control-Allow-Origin": "https://app.example.com.evil.net", "Access-Control-Allow-Credentials": "true"},
		},
		{
			name: "fixed in gin-contrib/cors v1.7.7: the longer host is refused", impl: "gin-contrib-cors",
			configOrigins: []string{"https://app.example.com/*"}, origin: "https://app.example.com.evil.net",
			want: map[string]string{"status": "403"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg := start(t, tt.impl, "strict", tt.configOrigins...)
			if diff := cmp.Diff(tt.want, get(t, tg, tt.origin)); diff != "" {
				t.Errorf("GET with Origin %s (-want +got):\n%s", tt.origin, diff)
			}
		})
	}
}

func TestFiberRefusesWildcardWithCredentials(t *testing.T) {
	impl, _ := Find("fiber")
	_, err := env.Start(t.Context(), impl, env.PolicyPath("strict"), []string{"*"})
	var na *NAError
	if !errors.As(err, &na) || !strings.Contains(na.Why, "Insecure setup") {
		t.Fatalf("Start(fiber, strict, origins *) = %v, want n/a with fiber's insecure-setup panic", err)
	}
}

// The versions the matrix prints are the versions the targets pin.
func TestVersionsMatchThePins(t *testing.T) {
	read := func(parts ...string) string {
		b, err := os.ReadFile(filepath.Join(append([]string{env.Dir()}, parts...)...))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gomod := read("go", "go.mod")
	for _, impl := range append(Impls(), VulnImpls()...) {
		mod := gomod
		switch impl.Runtime {
		case RuntimeGoVuln:
			mod = read("vuln", impl.Name, "go.mod")
		case RuntimeNode:
			pins, err := NodePins(filepath.Join(env.Dir(), "node"))
			if err != nil {
				t.Fatal(err)
			}
			for pkg := range strings.SplitSeq(impl.Version, ", ") {
				name, version, _ := strings.Cut(pkg, " ")
				if pins[name] != version {
					t.Errorf("%s: Version says %s %s, package.json pins %q", impl.Name, name, version, pins[name])
				}
			}
			continue
		case RuntimePython:
			continue // checked against the installed packages by TestPythonVersions
		}
		if impl.Name == "nethttp-cop" {
			continue // the standard library plus rs/cors, checked on the rs-cors row
		}
		re := regexp.MustCompile(`(?m)^\s*(require\s+)?` + regexp.QuoteMeta(impl.Library) + `\s+(\S+)`)
		m := re.FindStringSubmatch(mod)
		if m == nil || m[2] != impl.Version {
			t.Errorf("%s: go.mod requires %v, Impl says %s %s", impl.Name, m, impl.Library, impl.Version)
		}
	}
}

func TestPythonVersions(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), pythonBin, "-c",
		"import starlette, fastapi; print('starlette %s, fastapi %s' % (starlette.__version__, fastapi.__version__))").Output()
	if err != nil {
		t.Fatal(err)
	}
	impl, _ := Find("starlette")
	if got := strings.TrimSpace(string(out)); got != impl.Version {
		t.Errorf("installed %q, Impl.Version %q: update Impls (and regenerate the matrix)", got, impl.Version)
	}
}

// The build key follows what the binary is built from, and a binary under
// the current key is reused, not rebuilt.
func TestCachedBuild(t *testing.T) {
	mod := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(mod, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.test/tiny\n\ngo 1.25\n")
	write("main.go", "package main\n\nfunc main() { println(1) }\n")
	key := func() string {
		t.Helper()
		k, err := buildKey(t.Context(), mod, ".")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k1 := key()
	write("main_test.go", "package main\n")
	if k := key(); k != k1 {
		t.Errorf("adding a _test.go file changed the key (%s -> %s)", k1, k)
	}
	write("tiny", "a binary go build left behind")
	if k := key(); k != k1 {
		t.Errorf("a stray file changed the key (%s -> %s)", k1, k)
	}
	write("main.go", "package main\n\nfunc main() { println(2) }\n")
	k2 := key()
	if k2 == k1 {
		t.Errorf("changing main.go kept the key %s", k1)
	}

	bins := t.TempDir()
	bin, err := cachedBuild(t.Context(), bins, "tiny", mod, ".")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(bins, "tiny-"+k2); bin != want {
		t.Errorf("built %s, want %s", bin, want)
	}
	// A marker in place of the binary shows whether the second call
	// rebuilt it.
	if err := os.WriteFile(bin, []byte("cached"), 0o755); err != nil {
		t.Fatal(err)
	}
	again, err := cachedBuild(t.Context(), bins, "tiny", mod, ".")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(again); again != bin || string(b) != "cached" {
		t.Errorf("second build of the same content: %s (%d bytes), want the cached %s reused", again, len(b), bin)
	}
}
