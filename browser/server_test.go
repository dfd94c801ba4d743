package browser

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
)

func TestRewriteRef(t *testing.T) {
	const p = "/__cc/tok"
	tests := []struct {
		name, ref, want string
	}{
		{"absolute https", "https://other.example/final", "https://other.example/__cc/tok/final"},
		{"absolute with port and query", "https://other.example:8443/a?b=1", "https://other.example:8443/__cc/tok/a?b=1"},
		{"no path", "https://other.example", "https://other.example/__cc/tok/"},
		{"query without path", "https://other.example?x", "https://other.example/__cc/tok/?x"},
		{"upper-case scheme", "HTTP://api.example/x", "HTTP://api.example/__cc/tok/x"},
		{"userinfo kept", "https://user:pass@other.example/f", "https://user:pass@other.example/__cc/tok/f"},
		{"scheme-relative", "//other.example/f", "//other.example/__cc/tok/f"},
		{"absolute path", "/final", "/__cc/tok/final"},
		{"backslash path", `\final`, `/__cc/tok\final`},
		{"relative path unchanged", "final", "final"},
		{"query unchanged", "?x=1", "?x=1"},
		{"fragment unchanged", "#f", "#f"},
		{"other scheme unchanged", "ftp://api.example/data", "ftp://api.example/data"},
		{"data URL unchanged", "data:text/plain,hi", "data:text/plain,hi"},
		{"special scheme without slashes unchanged", "https:final", "https:final"},
		{"invalid host stays invalid", "https://[::1", "https://[::1/__cc/tok/"},
		{"padding kept", "  /final\t", "  /__cc/tok/final\t"},
		{"empty unchanged", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rewriteRef(tt.ref, p); got != tt.want {
				t.Errorf("rewriteRef(%q) = %q, want %q", tt.ref, got, tt.want)
			}
		})
	}
}

func TestSplitCasePath(t *testing.T) {
	tests := []struct {
		path, token, rest string
		ok                bool
	}{
		{"/__cc/abc-1/data", "abc-1", "/data", true},
		{"/__cc/abc-1/a/b?x=1", "abc-1", "/a/b?x=1", true},
		{"/__cc/abc-1?x=1", "abc-1", "/?x=1", true},
		{"/__cc/abc-1", "abc-1", "/", true},
		{"/data", "", "", false},
	}
	for _, tt := range tests {
		token, rest, ok := splitCasePath(tt.path)
		if token != tt.token || rest != tt.rest || ok != tt.ok {
			t.Errorf("splitCasePath(%q) = %q, %q, %v; want %q, %q, %v", tt.path, token, rest, ok, tt.token, tt.rest, tt.ok)
		}
	}
}

func TestReadRequestLenient(t *testing.T) {
	raw := "POST /__cc/t/data HTTP/1.1\r\nHost: api.example\r\nContent-Language: a\vb\r\n" +
		"Origin: https://app.example\r\nAccept: x\r\nAccept: y\r\nContent-Length: 3\r\n\r\nabc" +
		"GET /next HTTP/1.1\r\nHost: api.example\r\n\r\n"
	r := bufio.NewReader(strings.NewReader(raw))
	req, err := readRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	want := &request{method: "POST", target: "/__cc/t/data", headers: [][2]string{
		{"Host", "api.example"}, {"Content-Language", "a\vb"}, {"Origin", "https://app.example"},
		{"Accept", "x"}, {"Accept", "y"}, {"Content-Length", "3"},
	}}
	if diff := cmp.Diff(want, req, cmp.AllowUnexported(request{})); diff != "" {
		t.Errorf("first request mismatch (-want +got):\n%s", diff)
	}
	if v, _ := req.get("accept"); v != "x, y" {
		t.Errorf(`get("accept") = %q, want "x, y"`, v)
	}
	next, err := readRequest(r) // the body was consumed exactly
	if err != nil || next.target != "/next" {
		t.Errorf("second request = %+v, %v; want target /next", next, err)
	}
}

func TestReadRequestChunked(t *testing.T) {
	raw := "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /y HTTP/1.1\r\n\r\n"
	r := bufio.NewReader(strings.NewReader(raw))
	if _, err := readRequest(r); err != nil {
		t.Fatal(err)
	}
	if next, err := readRequest(r); err != nil || next.target != "/y" {
		t.Errorf("after a chunked body: %+v, %v; want target /y", next, err)
	}
}

func TestRawResponse(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		headers []cases.Header
		method  string
		want    string
	}{
		{"lines kept byte for byte, no-store and length added", 200,
			[]cases.Header{{"access-control-allow-origin", "  https://app.example\t "}, {"X-A", "1"}, {"x-a", "2"}}, "GET",
			"HTTP/1.1 200 OK\r\naccess-control-allow-origin:   https://app.example\t \r\nX-A: 1\r\nx-a: 2\r\n" +
				"Cache-Control: no-store\r\nContent-Length: 0\r\n\r\n"},
		{"case's own Cache-Control and Content-Length", 200,
			[]cases.Header{{"Cache-Control", "max-age=60"}, {"Content-Length", "2"}}, "GET",
			"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 2\r\n\r\nxx"},
		{"no body for HEAD", 200, []cases.Header{{"Content-Length", "2"}}, "HEAD",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nCache-Control: no-store\r\n\r\n"},
		{"Location gets the token", 302, []cases.Header{{"Location", "/final"}}, "GET",
			"HTTP/1.1 302 Found\r\nLocation: /__cc/tok/final\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n"},
		{"unknown status", 599, nil, "GET",
			"HTTP/1.1 599 Status\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(rawResponse(tt.status, tt.headers, tt.method, "tok"))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rawResponse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// newTestServer starts a case server, closed when the test ends, for
// api.example and app.example, with its certificate.
func newTestServer(t testing.TB) (*server, *certificate) {
	t.Helper()
	hosts := []string{"api.example", "app.example"}
	cert, err := newCertificate(hosts)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cert, hosts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.close)
	return srv, cert
}

// serverForTest starts a test server with one case run under token, whose
// steps answer with the given statuses.
func serverForTest(t *testing.T, token string, statuses ...int) (*server, *certificate) {
	t.Helper()
	srv, cert := newTestServer(t)
	run := newCaseRun(&cases.Case{}, token)
	run.exchanges = nil
	for _, st := range statuses {
		run.exchanges = append(run.exchanges, exchange{response: cases.Response{Status: st, Headers: []cases.Header{{"X-Step-Status", strconv.Itoa(st)}}}})
	}
	srv.add(run)
	return srv, cert
}

// TestServerProxy reaches the case server the way Firefox and WebKit do:
// as an HTTP proxy, with CONNECT (TLS inside) for https and absolute-form
// requests for http; a CONNECT to a host of no case is tunnelled too, one
// to a bad authority is refused.
func TestServerProxy(t *testing.T) {
	srv, cert := serverForTest(t, "tok", 201)
	pool := x509.NewCertPool()
	pool.AddCert(cert.tls.Leaf)
	proxy, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", srv.port()))
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	for _, u := range []string{"https://api.example/__cc/tok/a?q=1", "http://api.example/__cc/tok/b", "https://api.example/__cc/tok/c,%20https://api.example/__cc/tok/c"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s through the proxy: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 {
			t.Errorf("GET %s: status %d, want 201", u, resp.StatusCode)
		}
	}
	got := srv.received("tok")
	want := []Received{
		{Method: "GET", Scheme: "https", Host: "api.example", Path: "/a?q=1"},
		{Method: "GET", Scheme: "http", Host: "api.example", Path: "/b", Hop: 1},
		{Method: "GET", Scheme: "https", Host: "api.example", Path: "/c,%20https://api.example/c", Hop: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received mismatch (-want +got):\n%s", diff)
	}
	// A CONNECT to a host no case names is tunnelled too (a browser may
	// spell a case's host its own way); a bad authority is refused.
	lax := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 10 * time.Second}
	if resp, err := lax.Get("https://elsewhere.example/"); err != nil {
		t.Errorf("GET https://elsewhere.example/ through the proxy: %v, want the case server's 404", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET https://elsewhere.example/ through the proxy: status %d, want the case server's 404", resp.StatusCode)
		}
	}
	if strays := srv.strays(); len(strays) != 0 {
		t.Errorf("strays = %+v, want none: elsewhere.example is no case's host", strays)
	}
	for _, a := range []string{"api.example:0", "api.example", ":443", "api.example:65536"} {
		if srv.tunnelAllowed(a) {
			t.Errorf("tunnelAllowed(%q) = true", a)
		}
	}
}

// TestServerSteps checks the step signal: the requests after it are
// answered with that step's exchange and logged with its number.
func TestServerSteps(t *testing.T) {
	srv, _ := serverForTest(t, "tok", 200, 202)
	base := fmt.Sprintf("http://127.0.0.1:%d", srv.port())
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if st := get("/__cc/tok/x").StatusCode; st != 200 {
		t.Errorf("step 0: status %d, want 200", st)
	}
	sig := get("/__crosscheck/step/tok/1")
	if sig.StatusCode != 204 || sig.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("signal: status %d ACAO %q, want 204 and *", sig.StatusCode, sig.Header.Get("Access-Control-Allow-Origin"))
	}
	if st := get("/__cc/tok/x").StatusCode; st != 202 {
		t.Errorf("step 1: status %d, want 202", st)
	}
	for _, bad := range []string{"/__crosscheck/step/tok/2", "/__crosscheck/step/tok/-1", "/__crosscheck/step/nope/0", "/__crosscheck/step/tok/x"} {
		if st := get(bad).StatusCode; st != 404 {
			t.Errorf("%s: status %d, want 404", bad, st)
		}
	}
	var steps []int
	for _, r := range srv.received("tok") {
		steps = append(steps, r.Step)
	}
	if diff := cmp.Diff([]int{0, 1}, steps); diff != "" {
		t.Errorf("logged steps mismatch (-want +got):\n%s", diff)
	}
}

// TestServerH2 checks the HTTP/2 listener: a client that negotiates h2 is
// answered from the same case runs, and the request is logged.
func TestServerH2(t *testing.T) {
	srv, cert := serverForTest(t, "tok", 203)
	port, err := srv.listenH2()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert.tls.Leaf)
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", port))
		},
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Post("https://api.example/__cc/tok/up", "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 203 || resp.Header.Get("X-Step-Status") != "203" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("got %s %d, headers %v; want HTTP/2 203 with the case's headers", resp.Proto, resp.StatusCode, resp.Header)
	}
	want := []Received{{Method: "POST", Scheme: "https", Host: "api.example", Path: "/up"}}
	if diff := cmp.Diff(want, srv.received("tok")); diff != "" {
		t.Errorf("received mismatch (-want +got):\n%s", diff)
	}
}
