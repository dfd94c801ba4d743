package runner

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Sender sends single requests with the runner's bounded client: a deadline
// on every request, no redirect followed, at most MaxHeaderBytes of response
// headers and MaxBodyBytes of body read, and the rate limit of the Options.
// It is for tools that decide request by request what to send next (the
// live probe of `crosscheck probe`); Certify uses the same client.
type Sender struct {
	s     *sender
	owned *http.Client // closed by Close; nil when Options.Client was given
}

// NewSender returns a Sender for opts. Timeout and Concurrency default as
// in Certify; Options.Headers are added to every request.
func NewSender(opts Options) *Sender {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	out := &Sender{}
	client := opts.Client
	if client == nil {
		client = NewClient(opts.Timeout, opts.Concurrency)
		out.owned = client
	} else {
		c := *client
		c.CheckRedirect = noRedirect
		client = &c
	}
	out.s = &sender{client: client, timeout: opts.Timeout, extra: opts.Headers, limit: newLimiter(opts.Rate)}
	return out
}

// Send sends one request with the given header lines (names as written)
// and body (nil for none) and returns the exchange. A request that fails
// (unreachable, no answer within the timeout, headers over the cap, a
// malformed answer) returns an exchange with Response nil and Err saying
// why, without the URL.
func (s *Sender) Send(ctx context.Context, method, target string, headers []spec.Header, body []byte) HTTPExchange {
	if body == nil {
		return s.s.send(ctx, method, target, headers)
	}
	withBody := *s.s
	c := *s.s.client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = bodyTransport{base: base, body: body}
	withBody.client = &c
	return withBody.send(ctx, method, target, headers)
}

// Close releases the idle connections of the client NewSender made.
func (s *Sender) Close() {
	if s.owned != nil {
		s.owned.CloseIdleConnections()
	}
}

// bodyTransport gives every request it carries the same body.
type bodyTransport struct {
	base http.RoundTripper
	body []byte
}

func (t bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(t.body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(t.body)), nil }
	r.ContentLength = int64(len(t.body))
	return t.base.RoundTrip(r)
}
