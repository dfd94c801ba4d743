package main

// Differential fuzzing of the real middlewares: each Fuzz<Impl> target
// configures one library from each policy of internal/targets/policies
// (with the same translation the conformance matrix certifies, impls.go),
// lets the fuzzer choose an origin, a method, request headers and the
// credentials mode, sends what a browser would send (the preflight the spec
// model says is needed, then the actual request) straight into the
// library's handler, and asks crosscheck's spec model whether a browser
// would let script read the answer. A read the declared policy does not
// mean to allow (an origin outside allowOrigins, or credentials the policy
// does not allow) is a finding; the error shows the exchange. Known,
// documented findings are listed in knownFindings and do not fail; their
// examples must still reproduce (TestKnownFindingsReproduce).
//
// The oracle is crosscheck's own: runner.Policy.AllowsOrigin for what the
// policy means, spec.Explain for what the browser sends and spec.Judge for
// what it lets script read. Run one target with, for example:
//
//	go test -run XXX -fuzz '^FuzzRSCors$' -fuzztime 30s

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/valyala/fasthttp"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

// fuzzURL is the URL every fuzzed request is sent to. Its origin is never
// allowed by a policy, and an input whose origin is this one (a
// same-origin request, outside CORS) is skipped.
const fuzzURL = "https://api.crosscheck.example/items"

// knownFinding is a documented finding the differential fuzzers reproduce:
// an input it matches is not reported again.
type knownFinding struct {
	name     string
	impls    []string // the -impl names it applies to
	policy   string   // the policy file stem
	writeup  string   // where it is documented
	example  string   // an origin that shows it (checked by TestKnownFindingsReproduce)
	matching func(origin string) bool
}

// knownFindings are the findings documented in the write-ups.
var knownFindings = []knownFinding{
	{
		name:     "empty-label",
		impls:    []string{"rs-cors", "go-chi-cors", "gin-contrib-cors", "echo", "fiber"},
		policy:   "subdomains",
		writeup:  "docs/findings/fuzzing.md and the origin-empty-label finding of docs/findings/<library>.md",
		example:  "https://.example.com",
		matching: hasEmptyLabel,
	},
	{
		// fiber v3 refuses a leading empty label and "..", but not an
		// empty label just before the pattern's domain: its subdomain
		// matcher checks the part before ".example.com" for a leading dot
		// and for "..", and "a." has neither.
		name:     "inner-empty-label",
		impls:    []string{"fiber-v3"},
		policy:   "subdomains",
		writeup:  "docs/findings/fiber-v3.md and docs/findings/fuzzing.md",
		example:  "https://a..example.com",
		matching: hasEmptyLabel,
	},
}

// hasEmptyLabel reports whether the host of a serialized origin has an
// empty label (a leading dot or two dots in a row), which no DNS name has.
func hasEmptyLabel(origin string) bool {
	_, hostPort, _ := strings.Cut(origin, "://")
	host, _, _ := strings.Cut(hostPort, ":")
	return slices.Contains(strings.Split(host, "."), "")
}

// exchanger sends one request into a configured library, in process, and
// returns the response status and header lines (sorted by name).
type exchanger func(method string, headers []spec.Header) (int, []spec.Header)

// fuzzPolicy is one policy as declared (crosscheck's reading) and the
// library configured from it (nil when the library cannot express it).
type fuzzPolicy struct {
	name string
	decl runner.Policy
	send exchanger
}

var (
	fuzzSetups   = map[string][]fuzzPolicy{}
	fuzzSetupsMu sync.Mutex
)

// fuzzSetup configures impl from every policy file, once per process.
func fuzzSetup(tb testing.TB, impl string) []fuzzPolicy {
	tb.Helper()
	fuzzSetupsMu.Lock()
	defer fuzzSetupsMu.Unlock()
	if ps, ok := fuzzSetups[impl]; ok {
		return ps
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "policies", "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no policy files in internal/targets/policies: %v", err)
	}
	slices.Sort(files)
	var ps []fuzzPolicy
	for _, f := range files {
		decl, err := runner.LoadPolicy(f)
		if err != nil {
			tb.Fatalf("crosscheck rejects %s: %v", f, err)
		}
		p, err := serve.LoadPolicy(f)
		if err != nil {
			tb.Fatal(err)
		}
		fp := fuzzPolicy{name: strings.TrimSuffix(filepath.Base(f), ".json"), decl: decl}
		srv, err := construct(impls[impl], p)
		var na *naError
		switch s := srv.(type) {
		case nil:
			if !errors.As(err, &na) {
				tb.Fatalf("%s on %s: %v", impl, f, err)
			}
			// The library cannot express this policy (n/a in the matrix).
		case httpServer:
			fp.send = netHTTPExchanger(s.h)
		case fiberServer:
			fp.send = fiberExchanger(s.a.Handler())
		case fiber3Server:
			fp.send = fiberExchanger(s.a.Handler())
		default:
			tb.Fatalf("%s: unknown server type %T", impl, srv)
		}
		ps = append(ps, fp)
	}
	fuzzSetups[impl] = ps
	return ps
}

// netHTTPExchanger calls a net/http handler directly.
func netHTTPExchanger(h http.Handler) exchanger {
	return func(method string, headers []spec.Header) (int, []spec.Header) {
		req := httptest.NewRequest(method, fuzzURL, nil)
		for _, hd := range headers {
			req.Header.Add(hd.Name, hd.Value)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		var out []spec.Header
		for _, name := range sortedKeys(res.Header) {
			for _, v := range res.Header[name] {
				out = append(out, spec.Header{Name: name, Value: v})
			}
		}
		return res.StatusCode, out
	}
}

// fiberExchanger calls a fasthttp handler (fiber's) directly.
func fiberExchanger(h fasthttp.RequestHandler) exchanger {
	return func(method string, headers []spec.Header) (int, []spec.Header) {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(method)
		ctx.Request.SetRequestURI(fuzzURL)
		for _, hd := range headers {
			ctx.Request.Header.Add(hd.Name, hd.Value)
		}
		h(&ctx)
		var out []spec.Header
		for k, v := range ctx.Response.Header.All() {
			out = append(out, spec.Header{Name: string(k), Value: string(v)})
		}
		slices.SortStableFunc(out, func(a, b spec.Header) int { return strings.Compare(a.Name, b.Name) })
		return ctx.Response.StatusCode(), out
	}
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// finding is a read a browser allows that the policy does not mean to.
type finding struct {
	what   string // "origin" or "credentials"
	policy string
	req    spec.Request
	ex     spec.Exchange
	v      spec.Verdict
	known  *knownFinding
}

func (f *finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy %s does not allow ", f.policy)
	if f.what == "origin" {
		fmt.Fprintf(&b, "origin %s", f.req.Origin)
	} else {
		fmt.Fprintf(&b, "credentials (origin %s)", f.req.Origin)
	}
	fmt.Fprintf(&b, ", yet a browser lets script read the answer to fetch(%q, {method: %q, credentials: %q, headers: %q})\n",
		f.req.URL, f.req.Method, f.req.Credentials, f.req.Headers)
	if f.ex.Preflight != nil {
		fmt.Fprintf(&b, "preflight answer: %d %q\n", f.ex.Preflight.Status, f.ex.Preflight.Headers)
	}
	fmt.Fprintf(&b, "actual answer: %d %q\nspec.Judge: %+v", f.ex.Response.Status, f.ex.Response.Headers, f.v)
	return b.String()
}

// differential sends one browser request to impl configured from policy
// number pi, and returns the finding, if any. ok is false when the input is
// not a request a browser can make (skipped).
func differential(tb testing.TB, impl string, pi uint8, origin, method, headers string, include bool) (f *finding, ok bool) {
	ps := fuzzSetup(tb, impl)
	p := ps[int(pi)%len(ps)]
	if p.send == nil {
		return nil, false
	}
	// Browsers send serialized origins only; a same-origin request is not
	// CORS.
	o, err := spec.ParseOrigin(origin)
	if err != nil || o.Serialize() != origin && !o.Opaque {
		return nil, false
	}
	if u, _ := spec.URLOrigin(fuzzURL); u.SameOrigin(o) {
		return nil, false
	}
	req := spec.Request{Origin: origin, URL: fuzzURL, Method: method, Headers: parseHeaderLines(headers), Credentials: spec.CredentialsOmit}
	if include {
		req.Credentials = spec.CredentialsInclude
	}
	for _, h := range req.Headers {
		// Values a browser's Headers object or HTTP stack refuses.
		if strings.ContainsFunc(h.Value, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			return nil, false
		}
	}
	plan, trace := spec.Explain(spec.Exchange{Request: req})
	if plan.Stage == spec.StageRequest {
		return nil, false
	}
	ex := spec.Exchange{Request: req}
	for _, s := range trace.Sent {
		if !s.Preflight {
			continue
		}
		hs := []spec.Header{{Name: "Origin", Value: s.Origin}, {Name: "Access-Control-Request-Method", Value: s.ACRM},
			{Name: "Sec-Fetch-Mode", Value: "cors"}, {Name: "Sec-Fetch-Site", Value: "cross-site"}}
		if s.ACRH != "" {
			hs = append(hs, spec.Header{Name: "Access-Control-Request-Headers", Value: s.ACRH})
		}
		status, resp := p.send(http.MethodOptions, hs)
		ex.Preflight = &spec.Response{Status: status, Headers: resp}
		break
	}
	hs := []spec.Header{{Name: "Origin", Value: origin}, {Name: "Sec-Fetch-Mode", Value: "cors"}, {Name: "Sec-Fetch-Site", Value: "cross-site"}}
	if include {
		hs = append(hs, spec.Header{Name: "Cookie", Value: "session=crosscheck"})
	}
	for _, h := range req.Headers {
		if !spec.IsForbiddenRequestHeader(h.Name, h.Value) {
			hs = append(hs, spec.Header{Name: h.Name, Value: spec.NormalizeHeaderValue(h.Value)})
		}
	}
	status, resp := p.send(spec.NormalizeMethod(method), hs)
	ex.Response = spec.Response{Status: status, Headers: resp}
	v := spec.Judge(ex)
	if v.Outcome != spec.Allowed {
		return nil, true
	}
	switch {
	case !p.decl.AllowsOrigin(origin):
		f = &finding{what: "origin", policy: p.name, req: req, ex: ex, v: v}
	case include && !p.decl.AllowCredentials:
		f = &finding{what: "credentials", policy: p.name, req: req, ex: ex, v: v}
	default:
		return nil, true
	}
	for i := range knownFindings {
		k := &knownFindings[i]
		if f.what == "origin" && k.policy == p.name && slices.Contains(k.impls, impl) && k.matching(origin) {
			f.known = k
		}
	}
	return f, true
}

// parseHeaderLines decodes "Name:value" lines, as the fuzz targets of
// package fuzz do.
func parseHeaderLines(s string) []spec.Header {
	var hs []spec.Header
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		hs = append(hs, spec.Header{Name: name, Value: value})
	}
	return hs
}

// fuzzDifferential is the body of every Fuzz<Impl> target.
func fuzzDifferential(f *testing.F, impl string) {
	ps := fuzzSetup(f, impl)
	origins := seedOrigins(f, ps)
	for pi, p := range ps {
		if p.send == nil {
			continue
		}
		for _, o := range origins {
			f.Add(uint8(pi), o, "GET", "", false)
			f.Add(uint8(pi), o, "PUT", "X-Api-Key:1\nContent-Type:application/json", true)
		}
	}
	f.Fuzz(func(t *testing.T, pi uint8, origin, method, headers string, include bool) {
		fd, _ := differential(t, impl, pi, origin, method, headers, include)
		if fd != nil && fd.known == nil {
			t.Errorf("%s: %s", impl, fd)
		}
	})
}

// seedOrigins are the policies' own origins (and, for patterns, some
// subdomains) plus the bypass origins of the spec fuzz targets' corpus
// (fuzz/testdata/fuzz/FuzzOrigin/bypass-*, written by fuzz/internal/seedgen).
func seedOrigins(tb testing.TB, ps []fuzzPolicy) []string {
	tb.Helper()
	var out []string
	for _, p := range ps {
		for _, o := range p.decl.AllowOrigins {
			if scheme, domain, ok := strings.Cut(o, "://*."); ok {
				out = append(out, scheme+"://app."+domain, scheme+"://a.b."+domain, scheme+"://"+domain)
			} else if o != "*" {
				out = append(out, o)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "..", "..", "fuzz", "testdata", "fuzz", "FuzzOrigin", "bypass-*"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no bypass origins under fuzz/testdata/fuzz/FuzzOrigin: %v", err)
	}
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if q, ok := strings.CutPrefix(sc.Text(), "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					out = append(out, s)
				}
			}
		}
		fh.Close()
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// One fuzz target per library, so that each runs (and reports execs/s) on
// its own and a finding in one does not stop the others.

func FuzzRSCors(f *testing.F)          { fuzzDifferential(f, "rs-cors") }
func FuzzChiCors(f *testing.F)         { fuzzDifferential(f, "go-chi-cors") }
func FuzzGorillaHandlers(f *testing.F) { fuzzDifferential(f, "gorilla-handlers") }
func FuzzGinContribCors(f *testing.F)  { fuzzDifferential(f, "gin-contrib-cors") }
func FuzzEcho(f *testing.F)            { fuzzDifferential(f, "echo") }
func FuzzEchoV5(f *testing.F)          { fuzzDifferential(f, "echo-v5") }
func FuzzFiber(f *testing.F)           { fuzzDifferential(f, "fiber") }
func FuzzFiberV3(f *testing.F)         { fuzzDifferential(f, "fiber-v3") }
func FuzzNetHTTPCOP(f *testing.F)      { fuzzDifferential(f, "nethttp-cop") }

// TestKnownFindingsReproduce checks that every known finding is still
// found, for every library it is listed for that can express its policy:
// when a library fixes it, this fails and the write-up needs updating.
func TestKnownFindingsReproduce(t *testing.T) {
	for i := range knownFindings {
		k := &knownFindings[i]
		for _, impl := range k.impls {
			t.Run(k.name+"/"+impl, func(t *testing.T) {
				ps := fuzzSetup(t, impl)
				i := slices.IndexFunc(ps, func(p fuzzPolicy) bool { return p.name == k.policy })
				if i < 0 {
					t.Fatalf("no policy %s", k.policy)
				}
				if ps[i].send == nil {
					t.Skipf("%s cannot express policy %s", impl, k.policy)
				}
				if !k.matching(k.example) {
					t.Fatalf("example %q does not match the finding", k.example)
				}
				f, ok := differential(t, impl, uint8(i), k.example, "GET", "", true)
				if !ok || f == nil || f.known != k {
					t.Errorf("%s on policy %s: origin %q is no longer a finding (got %v, input ok %v); update %s", impl, k.policy, k.example, f, ok, k.writeup)
				}
			})
		}
	}
}

// TestDifferentialFindsPlantedBypass checks the harness end to end: a
// library configured to reflect every origin with credentials (what
// CVE-2018-20744 did) must be reported for a hostile origin, and the
// policy's own origin must not be.
func TestDifferentialFindsPlantedBypass(t *testing.T) {
	reflect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
			w.Header().Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
		}
		serve.App(w, r)
	})
	decl, err := runner.LoadPolicy(filepath.Join("..", "..", "..", "policies", "strict.json"))
	if err != nil {
		t.Fatal(err)
	}
	fuzzSetupsMu.Lock()
	fuzzSetups["planted-reflector"] = []fuzzPolicy{{name: "strict", decl: decl, send: netHTTPExchanger(reflect)}}
	fuzzSetupsMu.Unlock()
	tests := []struct {
		origin, method string
		include        bool
		want           string // finding kind, "" for none
	}{
		{"https://attacker.example.net", "GET", true, "origin"},
		{"https://attacker.example.net", "PUT", false, "origin"},
		{"https://app.example.com", "GET", true, ""},
		{"https://app.example.com", "PUT", true, ""},
	}
	for _, tt := range tests {
		f, ok := differential(t, "planted-reflector", 0, tt.origin, tt.method, "X-Api-Key:1", tt.include)
		got := ""
		if f != nil {
			got = f.what
		}
		if !ok || got != tt.want {
			t.Errorf("differential(%s %s, credentials %v) = %q (ok %v), want %q", tt.method, tt.origin, tt.include, got, ok, tt.want)
		}
	}
}
