package runner

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// TestSend checks the bounded client on a real loopback server: redirects
// are returned, not followed; bodies are read up to MaxBodyBytes; the
// probe's and the extra headers are sent with their names as written.
func TestSend(t *testing.T) {
	var gotHeaders http.Header
	var gotHost string
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect was followed")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		gotHeaders, gotHost = r.Header.Clone(), r.Host
		w.Header().Add("Vary", "Origin")
		w.Header().Add("Vary", "Accept")
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := &sender{client: NewClient(time.Second, 1), timeout: time.Second,
		extra: []spec.Header{{Name: "authorization", Value: "Bearer t"}, {Name: "Host", Value: "api.example.com"}}}

	ex := s.send(context.Background(), "GET", srv.URL+"/redirect", nil)
	if ex.Err != "" || ex.Response.Status != http.StatusFound {
		t.Errorf("redirect: %+v", ex)
	}

	ex = s.send(context.Background(), "GET", srv.URL+"/big", []spec.Header{{Name: "Origin", Value: "https://app.example.com"}})
	if ex.Err != "" {
		t.Fatal(ex.Err)
	}
	if ex.Response.BodyBytes != MaxBodyBytes || !ex.Response.BodyTruncated {
		t.Errorf("body: read %d, truncated %v; want %d, true", ex.Response.BodyBytes, ex.Response.BodyTruncated, MaxBodyBytes)
	}
	var vary []string
	for _, h := range ex.Response.Headers {
		if h.Name == "Vary" {
			vary = append(vary, h.Value)
		}
	}
	if diff := cmp.Diff([]string{"Origin", "Accept"}, vary); diff != "" {
		t.Errorf("Vary lines mismatch (-want +got):\n%s", diff)
	}
	if gotHeaders.Get("Origin") != "https://app.example.com" || gotHeaders.Get("Authorization") != "Bearer t" || gotHost != "api.example.com" {
		t.Errorf("server got headers %v, host %q", gotHeaders, gotHost)
	}
	want := []spec.Header{{Name: "Origin", Value: "https://app.example.com"}, {Name: "authorization", Value: "Bearer t"}, {Name: "Host", Value: "api.example.com"}}
	if diff := cmp.Diff(want, ex.Request.Headers); diff != "" {
		t.Errorf("recorded request headers mismatch (-want +got):\n%s", diff)
	}
}

func TestLimiter(t *testing.T) {
	if newLimiter(0) != nil {
		t.Error("rate 0 should not limit")
	}
	var none *limiter
	if err := none.wait(context.Background()); err != nil {
		t.Errorf("nil limiter: %v", err)
	}
	l := newLimiter(0.001) // one request per 1000 s
	if err := l.wait(context.Background()); err != nil {
		t.Fatalf("first request waited: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("second request = %v, want it held back until the context ends", err)
	}
}
