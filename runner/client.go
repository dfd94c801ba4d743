package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Limits of the runner's HTTP client. A target cannot make the runner read
// more than this, whatever it sends.
const (
	DefaultTimeout     = 5 * time.Second // per request
	DefaultConcurrency = 4
	MaxHeaderBytes     = 64 << 10 // response header bytes read
	MaxBodyBytes       = 64 << 10 // response body bytes read; the rest is dropped
	maxFailures        = 3        // transport failures after which the run stops
	userAgent          = "crosscheck (+https://github.com/crosscheck-dev/crosscheck)"
)

// Options tune how Certify sends probes and judges the target.
type Options struct {
	Timeout     time.Duration // per request (default 5s)
	Concurrency int           // probes in flight (default 4)
	Rate        float64       // max requests per second, 0 = unlimited
	Headers     []spec.Header // extra headers sent with every request (e.g. auth)
	// Client replaces the runner's bounded client (for TLS settings, say).
	// The runner still never follows redirects, reads at most
	// MaxBodyBytes of a body and puts a deadline on every request; the
	// header limit is the client transport's.
	Client *http.Client
	// FailOn is the fail threshold copied into the report: findings at
	// this severity or above fail (Report.Passed). "" means DefaultFailOn.
	FailOn Severity
}

// HTTPRequest is a request as the runner sent it.
type HTTPRequest struct {
	Method  string
	URL     string
	Headers []spec.Header // the headers the runner set, in order
}

// HTTPResponse is a response as the runner received it: the status and
// header lines (names canonicalized by net/http, sorted by name, the lines of
// one name in order) and how much of the body was read.
type HTTPResponse struct {
	Status        int
	Headers       []spec.Header
	BodyBytes     int64 // bytes read, at most MaxBodyBytes
	BodyTruncated bool  // the body was longer and the rest was not read
}

// HTTPExchange is one request and the response to it (nil when the
// request failed; Err then says why).
type HTTPExchange struct {
	Request  HTTPRequest
	Response *HTTPResponse
	Err      string
}

// NewClient returns the runner's bounded HTTP client: no redirect
// followed, at most MaxHeaderBytes of response headers read, timeout for
// the dial, the TLS handshake and the response headers, no compression
// (the server's headers as sent), and keep-alive reuse of up to conc
// connections. Certify and NewSender make one when Options.Client is nil;
// a tool that certifies many targets of one server can make one and pass
// it as Options.Client to every run, so that connections are reused. The
// runner's per-request deadline and body cap apply whatever the client.
func NewClient(timeout time.Duration, conc int) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: MaxHeaderBytes,
		MaxIdleConns:           conc,
		MaxIdleConnsPerHost:    conc,
		IdleConnTimeout:        30 * time.Second,
		DisableCompression:     true, // keep the server's headers as sent
		ForceAttemptHTTP2:      true,
	}
	return &http.Client{Transport: tr, CheckRedirect: noRedirect}
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// sender sends requests with a deadline each and a shared rate limit.
type sender struct {
	client  *http.Client
	timeout time.Duration
	extra   []spec.Header
	limit   *limiter
}

// send sends one request and reads at most MaxBodyBytes of the answer.
func (s *sender) send(ctx context.Context, method, target string, headers []spec.Header) HTTPExchange {
	all := append(slices.Clip(headers), s.extra...)
	ex := HTTPExchange{Request: HTTPRequest{Method: method, URL: target, Headers: all}}
	if err := s.limit.wait(ctx); err != nil {
		ex.Err = err.Error()
		return ex
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		ex.Err = err.Error()
		return ex
	}
	req.Header.Set("User-Agent", userAgent)
	for _, h := range all {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		// Keep the name as written: net/http sends map keys verbatim.
		req.Header[h.Name] = append(req.Header[h.Name], h.Value)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		ex.Err = describe(err, s.timeout)
		return ex
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBodyBytes+1))
	resp.Body.Close()
	r := &HTTPResponse{Status: resp.StatusCode, BodyBytes: min(n, MaxBodyBytes), BodyTruncated: n > MaxBodyBytes}
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	r.Headers = make([]spec.Header, 0, len(names)+2)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			r.Headers = append(r.Headers, spec.Header{Name: k, Value: v})
		}
	}
	ex.Response = r
	return ex
}

// describe turns a client error into one line without the URL (the caller
// names the request).
func describe(err error, timeout time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no complete response within %s", timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before a complete response"
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// limiter spaces requests at most every interval apart; nil allows all.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{every: time.Duration(float64(time.Second) / rate)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.every)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
