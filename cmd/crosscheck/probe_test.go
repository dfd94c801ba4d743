package main

import (
	"bytes"
	"context"
	"encoding/json"
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
)

const probeOrigin = "https://app.example"

// hit is one request a probe test server received.
type hit struct {
	Method, Path, Origin, ACRM, ACRH, XToken, Body string
}

// misconfigured serves one CORS misconfiguration per path and logs every
// request it receives. next is the base URL of a second server (another
// origin) that redirects point to.
type misconfigured struct {
	mu   sync.Mutex
	hits []hit
	next string
}

func (m *misconfigured) log() []hit {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]hit(nil), m.hits...)
}

func (m *misconfigured) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.hits = append(m.hits, hit{r.Method, r.URL.Path, r.Header.Get("Origin"), r.Header.Get("Access-Control-Request-Method"),
		r.Header.Get("Access-Control-Request-Headers"), r.Header.Get("X-Token"), string(b)})
	m.mu.Unlock()
	h := w.Header()
	origin := r.Header.Get("Origin")
	pre := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	allow := func() {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Origin")
	}
	switch r.URL.Path {
	case "/ok":
		allow()
		if pre {
			h.Set("Access-Control-Allow-Methods", "PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "X-Token, Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case "/no-acao":
	case "/wrong-acao":
		h.Set("Access-Control-Allow-Origin", "https://other.example")
	case "/star":
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
	case "/no-acac":
		h.Set("Access-Control-Allow-Origin", origin)
	case "/two-acao":
		h.Add("Access-Control-Allow-Origin", origin)
		h.Add("Access-Control-Allow-Origin", origin)
	case "/preflight-no-method":
		allow()
		if pre {
			h.Set("Access-Control-Allow-Headers", "X-Token")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case "/preflight-no-header":
		allow()
		if pre {
			h.Set("Access-Control-Allow-Methods", "PUT")
			h.Set("Access-Control-Allow-Headers", "X-Other")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case "/preflight-404":
		allow()
		if pre {
			http.NotFound(w, r)
			return
		}
	case "/preflight-403-bare":
		if pre {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		allow()
	case "/preflight-301":
		if pre {
			http.Redirect(w, r, "/ok/", http.StatusMovedPermanently)
			return
		}
		allow()
	case "/redirect-no-acao":
		http.Redirect(w, r, "/ok", http.StatusFound)
		return
	case "/redirect-away":
		// A CORS-correct redirect to another origin: the next hop's origin is null.
		allow()
		if pre {
			h.Set("Access-Control-Allow-Methods", "PUT")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		http.Redirect(w, r, m.next+r.URL.Query().Get("to"), http.StatusTemporaryRedirect)
		return
	case "/loop":
		allow()
		http.Redirect(w, r, "/loop", http.StatusFound)
		return
	case "/allow-origin-literal":
		h.Set("Access-Control-Allow-Origin", probeOrigin)
		if pre {
			h.Set("Access-Control-Allow-Methods", "PUT")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	case "/allow-null":
		h.Set("Access-Control-Allow-Origin", "null")
		if pre {
			h.Set("Access-Control-Allow-Methods", "PUT")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	default:
		http.NotFound(w, r)
		return
	}
	if pre {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	io.WriteString(w, "data")
}

// probeOut is the part of probe's JSON output the tests compare.
type probeOut struct {
	Outcome     string `json:"outcome"`
	Stage       string `json:"blockedAt"`
	Reason      string `json:"reason"`
	Detail      string `json:"detail"`
	ChromeError string `json:"chromeError"`
	Fix         string `json:"fix"`
	Error       string `json:"error"`
	Exchange    []struct {
		Preflight bool `json:"preflight"`
		Request   struct {
			Method string `json:"method"`
		} `json:"request"`
		Response *struct {
			Status int `json:"status"`
		} `json:"response"`
	} `json:"exchange"`
}

func runProbeJSON(t *testing.T, args ...string) (probeOut, int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := probeMain(context.Background(), append([]string{"--format", "json", "--timeout", "2s"}, args...), &stdout, &stderr)
	var out probeOut
	if code != exitError || stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("probe output is not JSON: %v\n%s", err, stdout.String())
		}
	}
	return out, code, stderr.String()
}

func TestProbeMisconfigurations(t *testing.T) {
	b := &misconfigured{}
	srvB := httptest.NewServer(b)
	defer srvB.Close()
	a := &misconfigured{next: srvB.URL}
	srvA := httptest.NewServer(a)
	defer srvA.Close()

	put := []string{"--method", "PUT", "-H", "X-Token: 1"}
	tests := []struct {
		name     string
		path     string
		args     []string
		wantCode int
		want     probeOut // Outcome, Stage, Reason, Detail, ChromeError compared
		wantSent []string // methods that reached server A, in order
		wantB    []hit    // what server B received (Origin, method), when set
	}{
		{"allowed GET", "/ok", nil, exitOK, probeOut{Outcome: "allowed"}, []string{"GET"}, nil},
		{"allowed preflighted PUT with credentials and a body", "/ok", append(put, "--credentials", "include", "--body", "hello"), exitOK,
			probeOut{Outcome: "allowed"}, []string{"OPTIONS", "PUT"}, nil},
		{"no Access-Control-Allow-Origin", "/no-acao", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acao-missing", ChromeError: "MissingAllowOriginHeader"}, []string{"GET"}, nil},
		{"another origin in Access-Control-Allow-Origin", "/wrong-acao", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acao-mismatch", Detail: "https://other.example", ChromeError: "AllowOriginMismatch"}, []string{"GET"}, nil},
		{"* with credentials", "/star", []string{"--credentials", "include"}, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acao-wildcard-with-credentials", Detail: "*", ChromeError: "WildcardOriginNotAllowed"}, []string{"GET"}, nil},
		{"* without credentials is fine", "/star", []string{"--credentials", "omit"}, exitOK, probeOut{Outcome: "allowed"}, []string{"GET"}, nil},
		{"credentials without Access-Control-Allow-Credentials", "/no-acac", []string{"--credentials", "include"}, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acac-not-true", ChromeError: "InvalidAllowCredentials"}, []string{"GET"}, nil},
		{"two Access-Control-Allow-Origin lines", "/two-acao", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acao-multiple", Detail: probeOrigin, ChromeError: "MultipleAllowOriginValues"}, []string{"GET"}, nil},
		{"preflight without the method", "/preflight-no-method", put, exitFindings,
			probeOut{Outcome: "blocked", Stage: "preflight", Reason: "method-not-allowed", Detail: "PUT", ChromeError: "MethodDisallowedByPreflightResponse"}, []string{"OPTIONS"}, nil},
		{"preflight without the header", "/preflight-no-header", put, exitFindings,
			probeOut{Outcome: "blocked", Stage: "preflight", Reason: "header-not-allowed", Detail: "X-Token", ChromeError: "HeaderDisallowedByPreflightResponse"}, []string{"OPTIONS"}, nil},
		{"preflight answered 404", "/preflight-404", put, exitFindings,
			probeOut{Outcome: "blocked", Stage: "preflight", Reason: "preflight-status", ChromeError: "PreflightInvalidStatus"}, []string{"OPTIONS"}, nil},
		{"preflight answered 403 without CORS headers", "/preflight-403-bare", put, exitFindings,
			probeOut{Outcome: "blocked", Stage: "preflight", Reason: "acao-missing", ChromeError: "PreflightMissingAllowOriginHeader"}, []string{"OPTIONS"}, nil},
		{"preflight answered 301", "/preflight-301", put, exitFindings,
			probeOut{Outcome: "blocked", Stage: "preflight", Reason: "preflight-redirect", Detail: "/ok/", ChromeError: "PreflightDisallowedRedirect"}, []string{"OPTIONS"}, nil},
		{"redirect without Access-Control-Allow-Origin", "/redirect-no-acao", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "redirect", Reason: "acao-missing", ChromeError: "MissingAllowOriginHeader"}, []string{"GET"}, nil},
		{"cross-origin redirect: the target allows the page origin, but the origin is now null", "/redirect-away?to=/allow-origin-literal", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "response", Reason: "acao-mismatch", Detail: probeOrigin, ChromeError: "AllowOriginMismatch"}, []string{"GET"},
			[]hit{{Method: "GET", Path: "/allow-origin-literal", Origin: "null"}}},
		{"cross-origin redirect to a target that allows null", "/redirect-away?to=/allow-null", nil, exitOK,
			probeOut{Outcome: "allowed"}, []string{"GET"}, []hit{{Method: "GET", Path: "/allow-null", Origin: "null"}}},
		{"a preflighted PUT redirected (307) gets a second preflight, from null", "/redirect-away?to=/allow-null", []string{"--method", "PUT"}, exitOK,
			probeOut{Outcome: "allowed"}, []string{"OPTIONS", "PUT"},
			[]hit{{Method: "OPTIONS", Path: "/allow-null", Origin: "null", ACRM: "PUT"}, {Method: "PUT", Path: "/allow-null", Origin: "null"}}},
		{"a redirect loop ends at the 21st redirect", "/loop", nil, exitFindings,
			probeOut{Outcome: "blocked", Stage: "redirect", Reason: "redirect-limit", Detail: "/loop"}, slices.Repeat([]string{"GET"}, 21), nil},
		{"fetch() rejects a forbidden method: nothing sent", "/ok", []string{"--method", "TRACE"}, exitFindings,
			probeOut{Outcome: "blocked", Stage: "request", Reason: "method-forbidden", Detail: "TRACE"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.mu.Lock()
			a.hits = nil
			a.mu.Unlock()
			b.mu.Lock()
			b.hits = nil
			b.mu.Unlock()
			args := append([]string{srvA.URL + tt.path, "--origin", probeOrigin}, tt.args...)
			got, code, stderr := runProbeJSON(t, args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			cmpd := probeOut{Outcome: got.Outcome, Stage: got.Stage, Reason: got.Reason, Detail: got.Detail, ChromeError: got.ChromeError}
			if diff := cmp.Diff(tt.want, cmpd); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s", diff)
			}
			if (got.Outcome == "blocked") != (got.Fix != "") {
				t.Errorf("outcome %s with fix %q", got.Outcome, got.Fix)
			}
			var sent []string
			for _, h := range a.log() {
				sent = append(sent, h.Method)
				if h.Origin != probeOrigin {
					t.Errorf("server A got Origin %q, want %q", h.Origin, probeOrigin)
				}
			}
			if diff := cmp.Diff(tt.wantSent, sent); diff != "" {
				t.Errorf("requests that reached the server (-want +got):\n%s", diff)
			}
			if tt.wantB != nil {
				var gotB []hit
				for _, h := range b.log() {
					gotB = append(gotB, hit{Method: h.Method, Path: h.Path, Origin: h.Origin, ACRM: h.ACRM})
				}
				if diff := cmp.Diff(tt.wantB, gotB); diff != "" {
					t.Errorf("requests that reached server B (-want +got):\n%s", diff)
				}
			}
			if len(got.Exchange) != len(sent)+len(b.log()) {
				t.Errorf("the output shows %d requests, the servers got %d", len(got.Exchange), len(sent)+len(b.log()))
			}
		})
	}
}

// TestProbeSendsWhatTheBrowserSends checks the wire format of a preflighted
// request: the preflight asks for the lowercased unsafe header names and
// the actual request carries the header and the body.
func TestProbeSendsWhatTheBrowserSends(t *testing.T) {
	a := &misconfigured{}
	srv := httptest.NewServer(a)
	defer srv.Close()
	_, code, stderr := runProbeJSON(t, srv.URL+"/ok", "--origin", probeOrigin, "--method", "put", "-H", "X-Token: secret",
		"-H", "Content-Type: application/json", "--body", `{"a":1}`)
	if code != exitOK {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	want := []hit{
		{Method: "OPTIONS", Path: "/ok", Origin: probeOrigin, ACRM: "PUT", ACRH: "content-type,x-token"},
		{Method: "PUT", Path: "/ok", Origin: probeOrigin, XToken: "secret", Body: `{"a":1}`},
	}
	if diff := cmp.Diff(want, a.log()); diff != "" {
		t.Errorf("server log mismatch (-want +got):\n%s", diff)
	}
}

func TestProbeText(t *testing.T) {
	a := &misconfigured{}
	srv := httptest.NewServer(a)
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := probeMain(context.Background(), []string{srv.URL + "/preflight-no-method", "--origin", probeOrigin, "--method", "PUT"}, &stdout, &stderr)
	if code != exitFindings {
		t.Fatalf("exit code %d, want 1; stderr %q", code, stderr.String())
	}
	out := stdout.String()
	wantInOrder := []string{
		"exchange:", "#1 preflight", "> OPTIONS " + srv.URL + "/preflight-no-method", "> Origin: " + probeOrigin,
		"> Access-Control-Request-Method: PUT", "< 204", "< Access-Control-Allow-Origin: " + probeOrigin,
		"verdict:", "outcome:", "blocked", "blocked at:", "preflight (after 0 redirects)",
		"reason:", "method-not-allowed: the request method is not listed",
		"chrome error:", "MethodDisallowedByPreflightResponse",
		"spec:", "https://fetch.spec.whatwg.org/#cors-preflight-fetch-0",
		"requests sent:", "steps:",
		"fix:", "add PUT to Access-Control-Allow-Methods",
	}
	rest := out
	for _, w := range wantInOrder {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (in order); output:\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
	if strings.Contains(out, "#2") {
		t.Errorf("the actual request was sent after a failing preflight:\n%s", out)
	}
}

// hostile starts a TCP server on 127.0.0.1 that handles every connection
// with serve, and returns its URL.
func hostile(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/x"
}

func TestProbeHostileServers(t *testing.T) {
	readRequest := func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 4096)
		c.Read(buf)
	}
	closedPort := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/x"
	}
	tests := []struct {
		name    string
		url     func() string
		wantErr string
	}{
		{"silent", func() string {
			return hostile(t, func(c net.Conn) { readRequest(c); time.Sleep(3 * time.Second) })
		}, "no complete response within 500ms"},
		{"garbage", func() string {
			return hostile(t, func(c net.Conn) { readRequest(c); io.WriteString(c, "HELLO THERE\r\n\r\n") })
		}, "malformed HTTP"},
		{"huge headers", func() string {
			return hostile(t, func(c net.Conn) {
				readRequest(c)
				io.WriteString(c, "HTTP/1.1 200 OK\r\n")
				line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
				for i := 0; i < 4096; i++ { // 4 MiB of header lines
					if _, err := io.WriteString(c, line); err != nil {
						return
					}
				}
			})
		}, "exceeded 65536 bytes"},
		{"closes without answering", func() string {
			return hostile(t, func(c net.Conn) { readRequest(c) })
		}, "connection closed before a complete response"},
		{"connection refused", closedPort, "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := probeMain(context.Background(), []string{tt.url(), "--origin", probeOrigin, "--method", "PUT", "--timeout", "500ms"}, &stdout, &stderr)
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("probe took %s", d)
			}
			if code != exitError {
				t.Errorf("exit code %d, want 2", code)
			}
			msg := stderr.String()
			if !strings.Contains(msg, "preflight OPTIONS") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("stderr %q, want the preflight named and %q", msg, tt.wantErr)
			}
		})
	}
}

func TestProbeFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
		wantStdout string
	}{
		{"help", []string{"--help"}, exitOK, "", "Usage: crosscheck probe URL --origin ORIGIN"},
		{"no URL", []string{"--origin", probeOrigin}, exitError, "want the URL to probe", ""},
		{"no origin", []string{"http://127.0.0.1:1/x"}, exitError, "--origin is required", ""},
		{"origin with a path", []string{"http://127.0.0.1:1/x", "--origin", "https://app.example/page"}, exitError, `--origin "https://app.example/page"`, ""},
		{"not http", []string{"ftp://127.0.0.1/x", "--origin", probeOrigin}, exitError, "want an absolute http or https URL", ""},
		{"bad credentials", []string{"http://127.0.0.1:1/x", "--origin", probeOrigin, "--credentials", "all"}, exitError, `--credentials "all"`, ""},
		{"bad header", []string{"http://127.0.0.1:1/x", "--origin", probeOrigin, "-H", "no colon"}, exitError, "want 'Name: value'", ""},
		{"two URLs", []string{"http://127.0.0.1:1/x", "http://127.0.0.1:1/y", "--origin", probeOrigin}, exitError, "want one URL, got 2", ""},
		{"body file missing", []string{"http://127.0.0.1:1/x", "--origin", probeOrigin, "--body", "@/nonexistent/body"}, exitError, "/nonexistent/body", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := probeMain(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.wantStderr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}
