package runner_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/runner"
)

// cacheServer answers preflights from the one allowed origin with fixed
// Access-Control-Allow-Methods / -Headers / -Max-Age lines (empty or nil:
// the header is not sent; acam "echo": the requested method), whatever
// the preflight asks for; it approves a preflight
// only when the requested method is in approveMethods (GET, HEAD and POST
// always) and every requested header in approveHeaders, and refuses the
// others with 403 and no CORS headers. Actual responses echo the allowed
// origin, with credentials when creds, and say Vary: Origin.
type cacheServer struct {
	origin         string
	creds          bool
	acam, acah     string
	acma           []string
	approveMethods []string
	approveHeaders []string
}

func (s cacheServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	o := r.Header.Get("Origin")
	ok := o == s.origin
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		m := r.Header.Get("Access-Control-Request-Method")
		ok = ok && (m == "GET" || m == "HEAD" || m == "POST" || slices.Contains(s.approveMethods, m))
		for _, name := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if name = strings.TrimSpace(name); name != "" && !slices.ContainsFunc(s.approveHeaders, func(a string) bool { return strings.EqualFold(a, name) }) {
				ok = false
			}
		}
		if !ok {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.Set("Access-Control-Allow-Origin", o)
		if s.creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		switch s.acam {
		case "":
		case "echo":
			h.Set("Access-Control-Allow-Methods", m)
		default:
			h.Set("Access-Control-Allow-Methods", s.acam)
		}
		if s.acah != "" {
			h.Set("Access-Control-Allow-Headers", s.acah)
		}
		for _, v := range s.acma {
			h.Add("Access-Control-Max-Age", v)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Add("Vary", "Origin")
	if ok {
		h.Set("Access-Control-Allow-Origin", o)
		if s.creds {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	w.WriteHeader(http.StatusOK)
}

// TestCertifyPreflightCache serves preflight answers on 127.0.0.1 that a
// browser caches and checks what the runner makes of them: a cache time
// other than the policy's maxAge, and cache entries for methods or
// headers the policy does not list. The expected codes and severities come
// from Fetch's CORS-preflight cache (entries per method and header name,
// keyed by origin, URL and credentials; `*` entries never cover
// Authorization nor serve a credentialed request; max-age absent or
// invalid: 5 s) and the severity rules of docs/findings.md.
func TestCertifyPreflightCache(t *testing.T) {
	const app = "https://app.example.com"
	// A credentialed policy whose only preflighted request is a GET with
	// X-Request-Id.
	getOnly := runner.Policy{AllowOrigins: []string{app}, AllowMethods: []string{"GET"},
		AllowHeaders: []string{"X-Request-Id"}, AllowCredentials: true, MaxAge: intp(600)}
	public := getOnly
	public.AllowCredentials = false
	undeclared := getOnly
	undeclared.MaxAge = nil
	withMaxAge := func(p runner.Policy, n int) runner.Policy { p.MaxAge = &n; return p }
	right := cacheServer{origin: app, creds: true, acam: "GET", acah: "X-Request-Id", acma: []string{"600"}, approveHeaders: []string{"X-Request-Id"}}
	with := func(f func(*cacheServer)) cacheServer { s := right; f(&s); return s }

	tests := []struct {
		name   string
		policy runner.Policy
		srv    cacheServer
		want   []string // code:severity, sorted
		// Substrings the detail of the first finding with the code must
		// have (in) or must not have (out).
		code    runner.Code
		in, out []string
	}{
		{name: "right", policy: getOnly, srv: right},
		// Item 1: the cache time.
		{name: "max-age 86400 for 600", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = []string{"86400"} }),
			want: []string{"max-age-mismatch:low"}, code: runner.MaxAgeMismatch,
			in: []string{"Access-Control-Max-Age: 86400", "Chrome at most 7200 s, Firefox 86400 s", "declares 600 s"}},
		{name: "max-age 601 for 600", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = []string{"601"} }),
			want: []string{"max-age-mismatch:low"}},
		{name: "max-age omitted", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = nil }),
			want: []string{"max-age-mismatch:info"}, code: runner.MaxAgeMismatch, in: []string{"without Access-Control-Max-Age", "default 5 s"}},
		{name: "max-age invalid", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = []string{"600s"} }),
			want: []string{"max-age-mismatch:info"}, code: runner.MaxAgeMismatch, in: []string{`"600s", which is not delta-seconds`, "default 5 s"}},
		{name: "max-age on two lines", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = []string{"600", "600"} }),
			want: []string{"max-age-mismatch:info"}, code: runner.MaxAgeMismatch, in: []string{"2 Access-Control-Max-Age lines"}},
		{name: "max-age shorter", policy: getOnly, srv: with(func(s *cacheServer) { s.acma = []string{"300"} }),
			want: []string{"max-age-mismatch:info"}},
		{name: "max-age omitted where 5 is declared", policy: withMaxAge(getOnly, 5), srv: with(func(s *cacheServer) { s.acma = nil })},
		{name: "max-age omitted where 0 is declared", policy: withMaxAge(getOnly, 0), srv: with(func(s *cacheServer) { s.acma = nil }),
			want: []string{"max-age-mismatch:low"}},
		// Above every cap, 86400 and 100000 behave alike in browsers.
		{name: "max-age 86400 for 100000", policy: withMaxAge(getOnly, 100000), srv: with(func(s *cacheServer) { s.acma = []string{"86400"} }),
			want: []string{"max-age-mismatch:info"}},
		{name: "max-age 0 declared and sent", policy: withMaxAge(getOnly, 0), srv: with(func(s *cacheServer) { s.acma = []string{"0"} })},
		{name: "max-age not declared", policy: undeclared, srv: with(func(s *cacheServer) { s.acma = nil })},
		// Item 2: unlisted methods and headers in cached answers. The
		// unlisted-method probe asks for PUT.
		{name: "GET, DELETE cached, DELETE never asked", policy: getOnly, srv: with(func(s *cacheServer) { s.acam = "GET, DELETE" }),
			want: []string{"cached-method-unlisted:low"}, code: runner.CachedMethodUnlisted,
			in: []string{`Access-Control-Allow-Methods: "GET, DELETE"`, "a later DELETE request from https://app.example.com", "600 s"}, out: []string{"without credentials"}},
		{name: "PUT cached, a preflight for PUT refused", policy: getOnly, srv: with(func(s *cacheServer) { s.acam = "GET, PUT" }),
			want: []string{"cached-method-unlisted:low"}, code: runner.CachedMethodUnlisted,
			in: []string{"a preflight asking for PUT is refused (status 403)"}},
		{name: "PUT cached, a preflight for PUT passes too", policy: getOnly,
			srv:  with(func(s *cacheServer) { s.acam = "GET, PUT"; s.approveMethods = []string{"PUT"} }),
			want: []string{"cached-method-unlisted:low", "unlisted-method-allowed:low"}, code: runner.CachedMethodUnlisted,
			in: []string{"a preflight asking for PUT passes too (unlisted-method-allowed)"}},
		// The other direction: approved when asked, but no cached answer
		// lists it.
		{name: "PUT approved when asked, never cached", policy: getOnly,
			srv:  with(func(s *cacheServer) { s.approveMethods = []string{"PUT"}; s.acam = "echo" }),
			want: []string{"unlisted-method-allowed:low"}},
		{name: "max-age 0 caches nothing", policy: withMaxAge(getOnly, 0), srv: with(func(s *cacheServer) { s.acam = "GET, DELETE"; s.acma = []string{"0"} })},
		// fetch() uppercases delete; an entry for "delete" serves nothing.
		{name: "lower-case delete", policy: getOnly, srv: with(func(s *cacheServer) { s.acam = "get, delete" })},
		// An uncredentialed policy: its requests, and the later ones, go
		// without credentials (that the entries serve no credentialed
		// request is TestServed's).
		{name: "uncredentialed entry", policy: public, srv: with(func(s *cacheServer) { s.creds = false; s.acam = "GET, DELETE" }),
			want: []string{"cached-method-unlisted:low"}, code: runner.CachedMethodUnlisted, in: []string{"a later DELETE request"}, out: []string{"credentials"}},
		// A `*` entry made by a credentialed preflight serves uncredentialed
		// requests only.
		{name: "credentialed * method entry", policy: getOnly, srv: with(func(s *cacheServer) { s.acam = "*" }),
			want: []string{"cached-method-unlisted:low"}, code: runner.CachedMethodUnlisted,
			in: []string{"lets a later PUT, DELETE, PATCH request"}, out: []string{"without credentials only"}},
		{name: "* header entry without credentials", policy: public, srv: with(func(s *cacheServer) { s.creds = false; s.acah = "*" }),
			want: []string{"cached-header-unlisted:low"}, code: runner.CachedHeaderUnlisted,
			in: []string{"carry X-Crosscheck-Unlisted without a preflight", "is refused (status 403)"}, out: []string{"Authorization"}},
		{name: "credentialed * header entry", policy: getOnly, srv: with(func(s *cacheServer) { s.acah = "X-Request-Id, *" }),
			want: []string{"cached-header-unlisted:low"}, code: runner.CachedHeaderUnlisted,
			in: []string{"carry X-Crosscheck-Unlisted without a preflight"}, out: []string{"Authorization", "without credentials only"}},
		{name: "Authorization listed by name", policy: getOnly, srv: with(func(s *cacheServer) { s.acah = "X-Request-Id, Authorization" }),
			want: []string{"cached-header-unlisted:low"}, code: runner.CachedHeaderUnlisted, in: []string{"carry Authorization without a preflight"}},
		{name: "Content-Type listed", policy: getOnly, srv: with(func(s *cacheServer) { s.acah = "X-Request-Id, Content-Type" }),
			want: []string{"cached-header-unlisted:low"}},
		{name: "safelisted names listed", policy: getOnly, srv: with(func(s *cacheServer) { s.acah = "Accept, Accept-Language, Content-Language, X-Request-Id" }),
			want: []string{"cached-header-unlisted:info"}, code: runner.CachedHeaderUnlisted, in: []string{"carry Accept, Accept-Language, Content-Language without"}},
		// Cookie is a forbidden request header: script never sets it.
		{name: "forbidden name listed", policy: getOnly, srv: with(func(s *cacheServer) { s.acah = "X-Request-Id, Cookie" })},
		{name: "both at once", policy: getOnly, srv: with(func(s *cacheServer) { s.acam = "GET, DELETE"; s.acah = "X-Request-Id, X-Debug"; s.acma = nil }),
			want: []string{"cached-header-unlisted:low", "cached-method-unlisted:low", "max-age-mismatch:info"}, code: runner.CachedMethodUnlisted,
			in: []string{"cached for 5 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.srv)
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL+"/api", tt.policy, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, string(f.Code)+":"+string(f.Severity))
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings mismatch (-want +got):\n%s", diff)
				for _, f := range rep.Findings {
					t.Logf("%s %s: %s: %s", f.Severity, f.Code, f.Probe.ID, f.Detail)
				}
			}
			if tt.code == "" {
				return
			}
			for _, f := range rep.Findings {
				if f.Code != tt.code {
					continue
				}
				for _, s := range tt.in {
					if !strings.Contains(f.Detail, s) {
						t.Errorf("%s detail lacks %q: %s", f.Code, s, f.Detail)
					}
				}
				for _, s := range tt.out {
					if strings.Contains(f.Detail, s) {
						t.Errorf("%s detail has %q: %s", f.Code, s, f.Detail)
					}
				}
				return
			}
			t.Errorf("no %s finding", tt.code)
		})
	}
}

// TestMaxAgeRationale: the rationale says what a longer cache time does,
// and when the policy asks for more than browsers keep, that the cap is
// not the server's doing.
func TestMaxAgeRationale(t *testing.T) {
	const app = "https://app.example.com"
	tests := []struct {
		name     string
		declared int
		acma     string
		in, out  []string
	}{
		{"longer", 600, "86400", []string{"Chrome 7200 s, Firefox 86400 s, instead of 600 s", "after the policy withdraws"}, []string{"not the server's doing"}},
		{"shorter", 600, "60", []string{"Chrome 60 s, Firefox 60 s", "more preflights"}, []string{"withdraws"}},
		{"declared above Chrome's cap", 10000, "600", []string{"above Chrome's cap", "not the server's doing"}, nil},
		{"declared above both caps", 100000, "7200", []string{"Firefox 7200 s", "above Chrome's and Firefox's caps"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := runner.Policy{AllowOrigins: []string{app}, AllowMethods: []string{"PUT"}, MaxAge: intp(tt.declared)}
			srv := httptest.NewServer(cacheServer{origin: app, acam: "PUT", acma: []string{tt.acma}, approveMethods: []string{"PUT"}})
			defer srv.Close()
			rep, err := runner.Certify(context.Background(), srv.URL, p, runner.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 1 || rep.Findings[0].Code != runner.MaxAgeMismatch {
				t.Fatalf("findings %v, want one max-age-mismatch", rep.Codes())
			}
			why := rep.Findings[0].Rationale
			for _, s := range tt.in {
				if !strings.Contains(why, s) {
					t.Errorf("rationale lacks %q: %s", s, why)
				}
			}
			for _, s := range tt.out {
				if strings.Contains(why, s) {
					t.Errorf("rationale has %q: %s", s, why)
				}
			}
		})
	}
}
