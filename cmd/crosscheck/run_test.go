package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
)

const (
	policyFile           = "testdata/run/policy.json"
	subdomainsPolicyFile = "testdata/run/subdomains.json"
	badPolicyFile        = "testdata/run/bad-policy.json"
)

// runCLI runs `crosscheck run args…` and fails the test if it has not
// ended within 10 s (the bound the issue sets for hostile targets).
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- runMain(ctx, args, &out, &errb) }()
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		cancel()
		<-done
		t.Fatalf("crosscheck run %s did not end within 10s", strings.Join(args, " "))
	}
	return code, out.String(), errb.String()
}

func demoServer(t *testing.T, f demo.Flaw) string {
	t.Helper()
	cfg := demo.Targets()[0].Config
	cfg.Flaws = f
	srv := httptest.NewServer(demo.Handler(cfg))
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

func TestRunHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "--help")
	if code != exitOK || !strings.Contains(stdout, "Usage: crosscheck run") || !strings.Contains(stdout, "-rate") {
		t.Errorf("run --help = %d, stdout:\n%s", code, stdout)
	}
}

func TestRunBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // lines expected on stderr
	}{
		{"format", []string{"--target", "http://127.0.0.1:1/", "--policy", policyFile, "--format", "xml"},
			[]string{`crosscheck run: --format "xml": want text, json, junit or sarif`}},
		{"target without policy", []string{"--target", "http://127.0.0.1:1/"},
			[]string{"crosscheck run: --target needs --policy"}},
		{"policy without target", []string{"--policy", policyFile},
			[]string{"crosscheck run: --policy needs --target (without both, run certifies the demo targets)"}},
		{"several at once", []string{"--concurrency", "0", "--timeout", "-1s", "extra"},
			[]string{"crosscheck run: unexpected arguments: extra", "crosscheck run: --timeout must be positive", "crosscheck run: --concurrency must be at least 1"}},
		{"bad target URL", []string{"--target", "ftp://127.0.0.1/", "--policy", policyFile},
			[]string{`crosscheck run: target "ftp://127.0.0.1/": want an http:// or https:// URL`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitError {
				t.Errorf("exit code = %d, want %d", code, exitError)
			}
			if diff := cmp.Diff(tt.want, strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunFlagSyntax(t *testing.T) {
	for _, args := range [][]string{{"--rate", "fast"}, {"--header", "no colon"}, {"--header", "Bad Name: x"}, {"--fail-on", "critical"}} {
		if code, _, stderr := runCLI(t, args...); code != exitError || !strings.Contains(stderr, "invalid value") {
			t.Errorf("run %q = %d, stderr %q; want exit 2 naming the flag", args, code, stderr)
		}
	}
}

// TestRunBadPolicy: every problem of the file is reported at once, each
// naming its field.
func TestRunBadPolicy(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--target", "http://127.0.0.1:1/", "--policy", badPolicyFile)
	if code != exitError || stdout != "" {
		t.Errorf("exit code = %d, stdout %q; want 2 and nothing", code, stdout)
	}
	want := []string{
		"crosscheck run: " + badPolicyFile + ": exposeHeader: unknown field (known: allowOrigins, allowMethods, allowHeaders, exposeHeaders, allowCredentials, maxAge)",
		badPolicyFile + `: allowOrigins[0]: "https://app.example.com/" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null`,
		badPolicyFile + `: allowOrigins[1]: "*" allows every origin; it cannot be combined with other entries`,
		badPolicyFile + `: allowCredentials: cannot be true when allowOrigins holds "*": browsers never send credentials to a wildcard; list the origins instead`,
		badPolicyFile + `: allowMethods[1]: "TRACE" is a forbidden method: browsers refuse to send it`,
		badPolicyFile + `: maxAge: -1 is negative; want seconds >= 0`,
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")); diff != "" {
		t.Errorf("stderr mismatch (-want +got):\n%s", diff)
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		flaws demo.Flaw
		want  int
	}{
		{"correct", 0, exitOK},
		{"reflecting", demo.ReflectOrigin, exitFindings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := demoServer(t, tt.flaws)
			code, stdout, stderr := runCLI(t, "--target", target, "--policy", policyFile)
			if code != tt.want {
				t.Errorf("exit code = %d, want %d\nstderr: %s", code, tt.want, stderr)
			}
			switch tt.want {
			case exitOK:
				if stderr != "" || !strings.Contains(stdout, "PASS") {
					t.Errorf("stderr %q, stdout:\n%s", stderr, stdout)
				}
			case exitFindings:
				prefix, suffix := "crosscheck run: "+target+": ", " findings at low or above: origin-reflected\n"
				if !strings.HasPrefix(stderr, prefix) || !strings.HasSuffix(stderr, suffix) || !strings.Contains(stdout, "[high] origin-reflected") {
					t.Errorf("stderr = %q, want %q…%q; stdout:\n%s", stderr, prefix, suffix, stdout)
				}
			}
		})
	}
}

// TestRunFailOn: the exit code follows the fail threshold. A target whose
// only finding is info (a subdomain pattern matching the empty label, as
// rs/cors, go-chi, gin, echo and fiber do; an origin-dependent response
// without Vary: Origin that no cache may store) exits 0 by default and is
// still reported; --fail-on info fails it; --fail-on high passes a target
// whose worst finding is medium.
func TestRunFailOn(t *testing.T) {
	server := func(cfg demo.Config) string {
		srv := httptest.NewServer(demo.Handler(cfg))
		t.Cleanup(srv.Close)
		return srv.URL + "/api"
	}
	sub := demo.Config{Origins: []string{"https://*.example.com"}, Methods: []string{"GET", "POST"}, Credentials: true, Flaws: demo.EmptyLabel}
	noStore := demo.Targets()[0].Config
	noStore.Flaws, noStore.CacheControl = demo.NoVary, "no-store"
	cached := demo.Targets()[0].Config
	cached.Flaws, cached.CacheControl = demo.NoVary, "public, max-age=60"
	tests := []struct {
		name, target, policy string
		args                 []string
		code                 int
		stdout               string
	}{
		{"empty label", server(sub), subdomainsPolicyFile, nil, exitOK, "[info] origin-empty-label"},
		{"empty label, fail on info", server(sub), subdomainsPolicyFile, []string{"--fail-on", "info"}, exitFindings, "FAIL  2 findings at info or above: origin-empty-label"},
		{"no-store without Vary", server(noStore), policyFile, nil, exitOK, "findings, all below the fail threshold (low): missing-vary-origin"},
		{"cacheable without Vary", server(cached), policyFile, nil, exitFindings, "[medium] missing-vary-origin"},
		{"cacheable without Vary, fail on high", server(cached), policyFile, []string{"--fail-on", "high"}, exitOK, "findings, all below the fail threshold (high): missing-vary-origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"--target", tt.target, "--policy", tt.policy}, tt.args...)...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) {
				t.Errorf("exit %d (want %d), stdout lacks %q:\n%s\nstderr: %s", code, tt.code, tt.stdout, stdout, stderr)
			}
		})
	}
}

// TestRunJSON checks the documented shape: a top-level findings array whose
// entries carry code, severity, title, reason, spec link and the probe with
// the request sent and the response received.
func TestRunJSON(t *testing.T) {
	target := demoServer(t, demo.NoCredentialsHeader)
	code, stdout, _ := runCLI(t, "--target", target, "--policy", policyFile, "--format", "json", "--header", "Authorization: Bearer t0ken")
	if code != exitFindings {
		t.Fatalf("exit code = %d, want 1", code)
	}
	type header struct{ Name, Value string }
	var rep struct {
		Findings []struct {
			Code, Severity, Title, Reason, SpecURL string
			Probe                                  struct {
				Method, URL string
				Actual      struct {
					Request struct {
						Method, URL string
						Headers     []header
					}
					Response struct {
						Status  int
						Headers []header
					}
				}
			}
		}
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("decoding report: %v\n%s", err, stdout)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("no findings")
	}
	f := rep.Findings[0]
	got := []string{f.Code, f.Severity, f.Reason, f.SpecURL, f.Probe.Method, f.Probe.Actual.Request.Method}
	want := []string{"allowed-request-blocked", "medium", "acac-not-true", "https://fetch.spec.whatwg.org/#concept-cors-check", "GET", "GET"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first finding mismatch (-want +got):\n%s", diff)
	}
	sent := f.Probe.Actual.Request.Headers
	if diff := cmp.Diff([]header{{"Origin", "https://app.example.com"}, {"Authorization", "Bearer t0ken"}}, sent); diff != "" {
		t.Errorf("request headers mismatch (-want +got):\n%s", diff)
	}
	if f.Probe.Actual.Response.Status != 200 || f.Title == "" || f.Probe.URL != target {
		t.Errorf("probe = %+v, title %q", f.Probe, f.Title)
	}
}

// TestRunSARIF: --format sarif writes a SARIF 2.1.0 log (validated against
// the official schema in runner's tests) whose results carry the finding
// codes, for one target and for the demo.
func TestRunSARIF(t *testing.T) {
	for _, args := range [][]string{{"--target", demoServer(t, demo.AnyMethod), "--policy", policyFile}, nil} {
		code, stdout, stderr := runCLI(t, append(args, "--format", "sarif")...)
		var doc struct {
			Version string
			Runs    []struct{ Results []struct{ RuleID string } }
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Version != "2.1.0" || len(doc.Runs) != 1 {
			t.Fatalf("run %v: exit %d, %v, stderr %s:\n%.500s", args, code, err, stderr, stdout)
		}
		var ids []string
		for _, r := range doc.Runs[0].Results {
			ids = append(ids, r.RuleID)
		}
		if args != nil && (code != exitFindings || !slices.Equal(ids, []string{"unlisted-method-allowed"})) {
			t.Errorf("exit %d, results %v", code, ids)
		}
		if args == nil && (code != exitOK || len(ids) == 0) {
			t.Errorf("demo: exit %d, %d results", code, len(ids))
		}
	}
}

// TestRunJUnit: one testcase per probe, failed exactly where a finding is.
func TestRunJUnit(t *testing.T) {
	target := demoServer(t, demo.AnyMethod)
	code, stdout, _ := runCLI(t, "--target", target, "--policy", policyFile, "--format", "junit")
	if code != exitFindings {
		t.Fatalf("exit code = %d, want 1", code)
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("parsing JUnit: %v\n%s", err, stdout)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d suites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	var failed []string
	for _, c := range s.Cases {
		for _, f := range c.Failures {
			failed = append(failed, c.Name+": "+f.Type)
		}
	}
	want := []string{"unlisted-method DELETE from https://app.example.com (preflight only): unlisted-method-allowed"}
	if diff := cmp.Diff(want, failed); diff != "" {
		t.Errorf("failures mismatch (-want +got):\n%s", diff)
	}
	if s.Tests != len(s.Cases) || s.Tests < 20 || s.Failures != 1 {
		t.Errorf("tests=%d cases=%d failures=%d", s.Tests, len(s.Cases), s.Failures)
	}
}

// TestRunDemo: with no arguments the demo targets are certified, each
// yields exactly its advertised findings, and that is exit 0.
func TestRunDemo(t *testing.T) {
	code, stdout, stderr := runCLI(t)
	if code != exitOK {
		t.Fatalf("exit code = %d, want 0; stderr: %s", code, stderr)
	}
	for _, tg := range demo.Targets() {
		if !strings.Contains(stdout, "=== demo target \""+tg.Name+"\"") {
			t.Errorf("no report for demo target %s", tg.Name)
		}
	}
	if n := strings.Count(stdout, "— as expected"); n != len(demo.Targets()) {
		t.Errorf("%d targets as expected, want %d:\n%s", n, len(demo.Targets()), stdout)
	}
}

func TestRunDemoJSON(t *testing.T) {
	code, stdout, _ := runCLI(t, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit code = %d, want 0", code)
	}
	var doc struct {
		Targets []struct {
			Name       string
			AsExpected bool
			Report     struct{ Findings []json.RawMessage }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Targets) != len(demo.Targets()) {
		t.Fatalf("%d targets, want %d", len(doc.Targets), len(demo.Targets()))
	}
	for i, tg := range doc.Targets {
		if !tg.AsExpected || (len(tg.Report.Findings) == 0) != (len(demo.Targets()[i].Expected) == 0) {
			t.Errorf("target %s: asExpected=%v, %d findings", tg.Name, tg.AsExpected, len(tg.Report.Findings))
		}
	}
}

// rawServer serves each accepted TCP connection on 127.0.0.1 with handle,
// closing everything when the test ends.
func rawServer(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(15 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/"
}

// eachRequest reads HTTP requests from c and answers each with reply until
// reply returns false or the connection ends.
func eachRequest(c net.Conn, reply func(w io.Writer, r *http.Request) bool) {
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if !reply(c, r) {
			return
		}
	}
}

// TestRunHostileTargets: a target that misbehaves at the HTTP level ends the
// run within 10 s (runCLI enforces it) with exit 1 or 2 and a one-line
// reason on stderr, never a hang or a panic.
func TestRunHostileTargets(t *testing.T) {
	tests := []struct {
		name   string
		handle func(c net.Conn)
		code   int
		reason string // substring of the one stderr line
	}{
		{"silent", func(c net.Conn) {
			_, _ = io.Copy(io.Discard, c) // reads forever, never answers
		}, exitError, "failed the first request: no complete response within 5s"},
		{"garbage", func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			_, _ = c.Write([]byte("\x00\xff\xfeSSH-2.0-nope\r\n\x7fELF garbage garbage\r\n\r\n"))
		}, exitError, "malformed HTTP"},
		{"connection reset", func(c net.Conn) {
			_, _ = bufio.NewReader(c).ReadString('\n')
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
		}, exitError, "connection reset by peer"},
		{"4 MiB header", func(c net.Conn) {
			eachRequest(c, func(w io.Writer, _ *http.Request) bool {
				_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Huge: ")
				chunk := bytes.Repeat([]byte("a"), 64<<10)
				for range 64 {
					if _, err := w.Write(chunk); err != nil {
						return false
					}
				}
				_, _ = io.WriteString(w, "\r\n\r\n")
				return false
			})
		}, exitError, "server response headers exceeded 65536 bytes"},
		{"endless body", func(c net.Conn) {
			eachRequest(c, func(w io.Writer, _ *http.Request) bool {
				_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nVary: Origin\r\n\r\n")
				chunk := bytes.Repeat([]byte("endless "), 4096)
				for {
					if _, err := w.Write(chunk); err != nil {
						return false
					}
				}
			})
		}, exitFindings, "or above: allowed-request-blocked"},
		{"redirect loop", func(c net.Conn) {
			eachRequest(c, func(w io.Writer, r *http.Request) bool {
				_, err := io.WriteString(w, "HTTP/1.1 302 Found\r\nLocation: "+r.URL.Path+"\r\nContent-Length: 0\r\n\r\n")
				return err == nil
			})
		}, exitFindings, "or above: allowed-request-blocked"},
		{"silent after the first answer", func() func(c net.Conn) {
			var once sync.Once
			return func(c net.Conn) {
				answered := false
				once.Do(func() {
					eachRequest(c, func(w io.Writer, _ *http.Request) bool {
						_, _ = io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
						return false
					})
					answered = true
				})
				if !answered {
					_, _ = io.Copy(io.Discard, c)
				}
			}
		}(), exitError, "broke during the run: 3 probes failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target := rawServer(t, tt.handle)
			code, _, stderr := runCLI(t, "--target", target, "--policy", policyFile)
			t.Logf("exit %d, stderr: %s", code, stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d", code, tt.code)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tt.reason) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tt.reason)
			}
		})
	}
}

func TestRunUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/"
	ln.Close()
	code, _, stderr := runCLI(t, "--target", target, "--policy", policyFile)
	if code != exitError || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "connection refused") {
		t.Errorf("exit code = %d, stderr %q; want 2 and one line saying connection refused", code, stderr)
	}
}
