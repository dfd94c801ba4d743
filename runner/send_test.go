package runner

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crosscheck-dev/crosscheck/spec"
)

func TestSenderSend(t *testing.T) {
	type seen struct {
		method, body, xprobe string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, string(b), r.Header.Get("X-Probe")}
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	s := NewSender(Options{Timeout: 2 * time.Second})
	defer s.Close()

	tests := []struct {
		name       string
		method     string
		path       string
		body       []byte
		wantSeen   seen
		wantStatus int
		wantHeader string
	}{
		{"PUT with a body", "PUT", "/x", []byte("hello"), seen{"PUT", "hello", "1"}, http.StatusTeapot, "Access-Control-Allow-Origin"},
		{"GET without a body", "GET", "/x", nil, seen{"GET", "", "1"}, http.StatusTeapot, "Access-Control-Allow-Origin"},
		{"a redirect is not followed", "GET", "/redirect", nil, seen{"GET", "", "1"}, http.StatusFound, "Location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := s.Send(context.Background(), tt.method, srv.URL+tt.path, []spec.Header{{Name: "X-Probe", Value: "1"}}, tt.body)
			if ex.Err != "" || ex.Response == nil {
				t.Fatalf("Send failed: %q", ex.Err)
			}
			if sv := <-got; sv != tt.wantSeen {
				t.Errorf("server saw %+v, want %+v", sv, tt.wantSeen)
			}
			if ex.Response.Status != tt.wantStatus {
				t.Errorf("status %d, want %d", ex.Response.Status, tt.wantStatus)
			}
			found := false
			for _, h := range ex.Response.Headers {
				found = found || h.Name == tt.wantHeader
			}
			if !found {
				t.Errorf("response headers %v lack %s", ex.Response.Headers, tt.wantHeader)
			}
			select {
			case sv := <-got:
				t.Errorf("a second request reached the server: %+v", sv)
			default:
			}
		})
	}
}

func TestSenderBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A server that accepts and never answers.
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := NewSender(Options{Timeout: 300 * time.Millisecond})
	defer s.Close()
	start := time.Now()
	ex := s.Send(context.Background(), "GET", "http://"+ln.Addr().String()+"/", nil, []byte("x"))
	if ex.Response != nil || !strings.Contains(ex.Err, "no complete response within 300ms") {
		t.Errorf("Send to a silent server = %+v, want no response and a timeout error", ex)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %s against a 300ms timeout", d)
	}
}
