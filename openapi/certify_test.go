package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// apiServer serves testdata/api.yaml's paths on 127.0.0.1, each behind the
// demo CORS middleware (written apart from the runner) built correct or
// flawed, and records the paths it was asked for.
type apiServer struct {
	URL   string
	mu    sync.Mutex
	paths map[string]bool
}

func (s *apiServer) saw(path string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paths[path]
}

func newAPIServer(t testing.TB) *apiServer {
	t.Helper()
	base := func(f demo.Flaw) http.Handler {
		return demo.Handler(demo.Config{
			Origins: []string{"https://app.example.com"}, Methods: []string{"GET", "POST", "PUT"},
			Headers: []string{"Content-Type", "X-Request-Id"}, Expose: []string{"X-Total-Count"},
			Credentials: true, MaxAge: 600, Flaws: f,
		})
	}
	s := &apiServer{paths: map[string]bool{}}
	mux := http.NewServeMux()
	mux.Handle("/orders", base(0))
	mux.Handle("/orders/", base(0))
	mux.Handle("/reflect", base(demo.ReflectOrigin))
	mux.Handle("/public/", demo.Handler(demo.Config{Origins: []string{"*"}, Methods: []string{"GET"}}))
	mux.Handle("/lax", base(demo.AnyMethod|demo.AnyHeader))
	mux.Handle("/lax-narrow", base(demo.AnyMethod|demo.AnyHeader))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths[r.URL.EscapedPath()] = true
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.URL = "http://" + ln.Addr().String()
	return s
}

// outcome is what a test expects of one route.
type outcome struct {
	Route  string
	Status string
	Codes  []runner.Code
}

func outcomes(rep *Report) []outcome {
	var out []outcome
	for _, rr := range rep.Routes {
		o := outcome{Route: rr.Route.Name(), Status: rr.Status()}
		if rr.Report != nil {
			o.Codes = rr.Report.Codes()
		}
		out = append(out, o)
	}
	return out
}

// TestCertifyDocument certifies testdata/api.yaml against real servers:
// correct routes pass, flawed ones show their flaw, a route's own policy
// decides, and the path parameter reaches the server filled in.
func TestCertifyDocument(t *testing.T) {
	srv := newAPIServer(t)
	doc, err := Load(filepath.Join("testdata", "api.yaml"), Options{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Certify(context.Background(), doc, doc.Routes, runner.Options{Timeout: 5 * time.Second, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := []outcome{
		{"GET /orders", "pass", []runner.Code{}},
		{"POST /orders", "pass", []runner.Code{}},
		{"GET /orders/{id}", "pass", []runner.Code{}},
		// The server approves DELETE preflights too; the route's policy
		// allows it, so that is no finding.
		{"PUT /orders/{id}", "pass", []runner.Code{}},
		{"DELETE /orders/{id}", "skipped", nil},
		{"OPTIONS /orders/{id}", "skipped", nil},
		{"GET /reflect", "fail", []runner.Code{runner.OriginReflected}},
		// Answers *, which its own x-cors declares.
		{"GET /public/items", "pass", []runner.Code{}},
		// Approves any method and header: the unlisted header is a
		// finding; the unlisted-looking PUT is allowed by the policy.
		{"GET /lax", "fail", []runner.Code{runner.UnlistedHeaderAllowed}},
		// The same server under an operation x-cors that allows GET only.
		{"GET /lax-narrow", "fail", []runner.Code{runner.UnlistedHeaderAllowed, runner.UnlistedMethodAllowed}},
		{"POST /webhooks/payment", "skipped", nil},
	}
	if diff := cmp.Diff(want, outcomes(rep), cmp.Transformer("nilCodes", func(c []runner.Code) []runner.Code {
		if c == nil {
			return []runner.Code{}
		}
		return c
	})); diff != "" {
		t.Errorf("route outcomes mismatch (-want +got):\n%s", diff)
	}
	if !srv.saw("/orders/42") {
		t.Error("the server never saw /orders/42: the path parameter was not filled from its example")
	}
	if srv.saw("/webhooks/payment") {
		t.Error("the server saw /webhooks/payment, which x-cors: false excludes")
	}
	if rep.Conforms() {
		t.Error("Conforms() = true for a document with flawed routes")
	}
	// Every probe of a route goes to the route's URL with the route's
	// method or a preflight: the narrowed policy keeps other methods off.
	for _, rr := range rep.Routes {
		if rr.Report == nil {
			continue
		}
		for _, p := range rr.Report.Probes {
			for _, x := range []*runner.HTTPExchange{p.Preflight, p.Actual} {
				if x == nil {
					continue
				}
				if x.Request.URL != rr.Route.URL {
					t.Errorf("%s: probe %s went to %s, want %s", rr.Route.Name(), p.ID, x.Request.URL, rr.Route.URL)
				}
				if m := x.Request.Method; m != rr.Route.Method && m != "GET" && m != "OPTIONS" {
					t.Errorf("%s: probe %s sent %s", rr.Route.Name(), p.ID, m)
				}
			}
		}
	}
}

// TestCertifyPolicyOverride certifies one route of the same server under
// two policies that differ only in their origins: the route's own x-cors
// (which says * is intended) passes, a list of origins does not.
func TestCertifyPolicyOverride(t *testing.T) {
	srv := newAPIServer(t)
	doc, err := Load(filepath.Join("testdata", "api.yaml"), Options{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(doc.Routes, func(r Route) bool { return r.Name() == "GET /public/items" })
	own := doc.Routes[i]
	dflt := own
	dflt.Policy = runner.Policy{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET"}}
	rep, err := Certify(context.Background(), doc, []Route{own, dflt}, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(rep)
	want := []outcome{
		{"GET /public/items", "pass", []runner.Code{}},
		{"GET /public/items", "fail", []runner.Code{runner.WildcardOriginAllowed}},
	}
	if diff := cmp.Diff(want, got, cmp.Transformer("nilCodes", func(c []runner.Code) []runner.Code {
		if c == nil {
			return []runner.Code{}
		}
		return c
	})); diff != "" {
		t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
	}
}

// TestCertifyUnreachable: routes whose server is gone are errors, and
// after maxRouteFailures in a row the rest are not tried.
func TestCertifyUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // connections are refused from now on
	var routes []Route
	for _, p := range []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h"} {
		routes = append(routes, Route{Method: "GET", Path: p, URL: url + p, Policy: apiPublic})
	}
	rep, err := Certify(context.Background(), &Document{}, routes, runner.Options{Concurrency: 1, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	notRun := 0
	for _, rr := range rep.Routes {
		if rr.Status() != "error" {
			t.Errorf("%s: status %s, want error", rr.Route.Name(), rr.Status())
		}
		if strings.HasPrefix(rr.Err, "not run:") {
			notRun++
		}
	}
	if notRun != len(routes)-maxRouteFailures {
		t.Errorf("%d routes not run, want %d (stop after %d failures in a row)", notRun, len(routes)-maxRouteFailures, maxRouteFailures)
	}
	if rep.Conforms() {
		t.Error("Conforms() = true with routes that could not be certified")
	}
}

// TestCertifyConcurrencyBound counts the requests in flight at the server:
// never more than --concurrency across all routes.
func TestCertifyConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int32
	h := demo.Handler(demo.Config{Origins: []string{"https://app.example.com"}, Methods: []string{"GET"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(time.Millisecond)
		h.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	var routes []Route
	for i := range 12 {
		routes = append(routes, Route{Method: "GET", Path: "/r", URL: "http://" + ln.Addr().String() + "/r" + string(rune('a'+i)),
			Policy: runner.Policy{AllowOrigins: []string{"https://app.example.com"}, AllowMethods: []string{"GET"}}})
	}
	for _, conc := range []int{1, 3} {
		peak.Store(0)
		rep, err := Certify(context.Background(), &Document{}, routes, runner.Options{Concurrency: conc})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Conforms() {
			t.Fatalf("concurrency %d: the correct server has findings or errors: %v", conc, outcomes(rep))
		}
		if p := peak.Load(); p > int32(conc) {
			t.Errorf("concurrency %d: %d requests in flight at once", conc, p)
		}
	}
}

// TestCertifyCancel: a cancelled context ends the run with its error.
func TestCertifyCancel(t *testing.T) {
	srv := newAPIServer(t)
	doc, err := Load(filepath.Join("testdata", "api.yaml"), Options{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Certify(ctx, doc, doc.Routes, runner.Options{}); err != context.Canceled {
		t.Errorf("Certify(cancelled) error = %v, want context.Canceled", err)
	}
}

func TestShard(t *testing.T) {
	var routes []Route
	for _, p := range []string{"/0", "/1", "/2", "/3", "/4"} {
		routes = append(routes, Route{Method: "GET", Path: p})
	}
	names := func(rs []Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Path)
		}
		return out
	}
	var all []string
	for k := 1; k <= 2; k++ {
		all = append(all, names(Shard(routes, k, 2))...)
	}
	if diff := cmp.Diff([]string{"/0", "/2", "/4", "/1", "/3"}, all); diff != "" {
		t.Errorf("shards 1/2 and 2/2 mismatch (-want +got):\n%s", diff)
	}
}

// TestReports renders one certified document in each format and reads the
// results back.
func TestReports(t *testing.T) {
	srv := newAPIServer(t)
	doc, err := Load(filepath.Join("testdata", "api.yaml"), Options{Server: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Certify(context.Background(), doc, doc.Routes, runner.Options{})
	if err != nil {
		t.Fatal(err)
	}

	var j bytes.Buffer
	if err := WriteJSON(&j, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Conforms bool
		Codes    []string
		Summary  map[string]int
		Routes   []struct {
			Method, Path, Result, SkipReason string
			Report                           *struct{ Target string }
		}
	}
	if err := json.Unmarshal(j.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"routes": 11, "pass": 5, "fail": 3, "error": 0, "skipped": 3}, got.Summary); diff != "" {
		t.Errorf("JSON summary mismatch (-want +got):\n%s", diff)
	}
	if got.Conforms || !slices.Equal(got.Codes, []string{"origin-reflected", "unlisted-header-allowed", "unlisted-method-allowed"}) {
		t.Errorf("JSON conforms %v codes %v", got.Conforms, got.Codes)
	}
	if r := got.Routes[2]; r.Path != "/orders/{id}" || r.Report == nil || r.Report.Target != srv.URL+"/orders/42" {
		t.Errorf("JSON route 2 = %+v, want GET /orders/{id} with its report on %s/orders/42", r, srv.URL)
	}
	if r := got.Routes[10]; r.Result != "skipped" || r.SkipReason != "x-cors: false" || r.Report != nil {
		t.Errorf("JSON route 10 = %+v, want skipped by x-cors: false", r)
	}

	var txt bytes.Buffer
	if err := WriteText(&txt, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"=== GET /reflect\n",
		"  GET /orders/{id}        PASS     none (",
		"  GET /lax-narrow         FAIL     unlisted-header-allowed, unlisted-method-allowed\n",
		"  POST /webhooks/payment  SKIPPED  x-cors: false\n",
		"FAIL  3 of 8 probed routes have findings (origin-reflected, unlisted-header-allowed, unlisted-method-allowed); 3 not probed\n",
	} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt.String())
		}
	}
	if strings.Contains(txt.String(), "=== GET /orders\n") {
		t.Error("text report details a passing route")
	}

	var x bytes.Buffer
	if err := WriteJUnit(&x, rep); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(x.String(), "<testsuite "); n != 8 {
		t.Errorf("JUnit has %d testsuites, want one per probed route (8)", n)
	}
	if !strings.Contains(x.String(), `<testsuite name="GET /reflect `+srv.URL+`/reflect"`) {
		t.Error("JUnit testsuites are not named after their route")
	}
}
