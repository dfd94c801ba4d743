package browser

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// Paths the case server answers besides case URLs.
const (
	pagePath   = "/__crosscheck/page"   // a blank page: the document whose origin fetches
	opaquePath = "/__crosscheck/opaque" // the same page sandboxed by CSP: an opaque origin
	stepPrefix = "/__crosscheck/step/"  // /__crosscheck/step/<token>/<n>: step n of a case starts
	casePrefix = "/__cc/"               // case URLs: /__cc/<token>/<the case's own path>
)

// Limits that keep the server bounded whatever a client sends.
const (
	connIdleTimeout = 30 * time.Second // longer than a run, so Chrome never retries on a closed socket
	maxBodyBytes    = 1 << 20
	maxHeaderBytes  = 64 << 10
)

// Received is one request as the case server read it: the ground truth of
// what Chrome sent for a case.
type Received struct {
	// Step is the step of a multi-step case the request belongs to (0 for
	// a plain case).
	Step int `json:"step,omitempty"`
	// Hop is the number of non-preflight requests of the case before this
	// one: 0 for the first request, n after n redirects.
	Hop int `json:"hop"`
	// Preflight reports an OPTIONS request carrying
	// Access-Control-Request-Method.
	Preflight bool   `json:"preflight,omitempty"`
	Method    string `json:"method"`
	Scheme    string `json:"scheme"`
	Host      string `json:"host"`
	// Path is the path and query as the case names them (the run's token
	// prefix removed).
	Path string `json:"path"`
	// Origin is the Origin header ("" when absent); HasOrigin tells an
	// absent header from an empty one.
	Origin    string `json:"origin,omitempty"`
	HasOrigin bool   `json:"hasOrigin"`
	ACRM      string `json:"acrm,omitempty"`
	ACRH      string `json:"acrh,omitempty"`
}

// caseRun is the server side of one case run.
type caseRun struct {
	c     *cases.Case
	token string
	// exchanges are the server's answers, one per step of the case.
	exchanges []exchange
	step      int // the step under way, set by the page's step signal
	actual    int // non-preflight requests of the step answered so far
	log       []Received
}

// exchange is the server's side of one step: the preflight answer (nil:
// 200 with no headers), the redirects in order and the final response.
type exchange struct {
	preflight *cases.Response
	redirects []cases.Redirect
	response  cases.Response
}

// unreachable is the answer to a request the case says no request can
// reach (its response left out): a plain 200 the case does not describe.
var unreachable = cases.Response{Status: 200, Headers: []cases.Header{{"X-Crosscheck-Unreachable", "1"}}}

// newCaseRun builds the server side of case c (it registers nothing).
func newCaseRun(c *cases.Case, token string) *caseRun {
	r := &caseRun{c: c, token: token}
	for _, st := range c.Exchanges() {
		ex := exchange{preflight: st.Preflight, redirects: st.Redirects, response: st.Response}
		if ex.response.Status == 0 {
			ex.response = unreachable
		}
		r.exchanges = append(r.exchanges, ex)
	}
	return r
}

// server is the case server: one TCP listener on 127.0.0.1 that speaks
// HTTP/1.1 in clear text and over TLS (told apart by the first byte), for
// every host (Chrome maps all hosts to it), and writes case responses as raw
// header lines so order, duplicates, casing and padding survive.
type server struct {
	ln    net.Listener
	tls   *tls.Config
	tlsH2 *tls.Config // the HTTP/2 listener's: offers h2 too
	h2    *h2Server   // nil until listenH2

	hosts map[string]bool // the table's hosts: strays elsewhere are Chrome's own traffic

	mu    sync.Mutex
	runs  map[string]*caseRun
	stray []Received
	conns map[net.Conn]struct{}
	done  bool
	wg    sync.WaitGroup
}

// newServer listens on 127.0.0.1 (any port) and serves until close. hosts
// are the host names of the cases; requests for other hosts (Chrome's own
// background traffic, also mapped here) are answered 404 and not reported.
func newServer(cert *certificate, hosts []string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("case server: %w", err)
	}
	s := &server{
		ln: ln,
		tls: &tls.Config{
			Certificates: []tls.Certificate{cert.tls},
			NextProtos:   []string{"http/1.1"},
			MinVersion:   tls.VersionTLS12,
		},
		runs:  map[string]*caseRun{},
		conns: map[net.Conn]struct{}{},
		hosts: map[string]bool{},
	}
	s.tlsH2 = s.tls.Clone()
	s.tlsH2.NextProtos = []string{"h2", "http/1.1"}
	for _, h := range hosts {
		s.hosts[h] = true
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.acceptOn(ln, false)
	}()
	return s, nil
}

// port is the listener's port.
func (s *server) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// add registers a case run under its token.
func (s *server) add(r *caseRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs[r.token] = r
}

// received returns a copy of what the server received for token.
func (s *server) received(token string) []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runs[token]; r != nil {
		return append([]Received(nil), r.log...)
	}
	return nil
}

// strays returns the requests that matched no page and no case run.
func (s *server) strays() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.stray...)
}

// close stops accepting, closes every connection and waits for the
// goroutines.
func (s *server) close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	h2 := s.h2
	s.mu.Unlock()
	s.ln.Close()
	if h2 != nil {
		h2.close()
	}
	s.wg.Wait()
}

// acceptOn serves the connections of ln until it is closed; h2 says it is
// the HTTP/2 listener.
func (s *server) acceptOn(ln net.Listener, h2 bool) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c, h2)
	}
}

// peekedConn reads through a bufio.Reader that has already peeked.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// budgetReader reads at most n more bytes from r; the server resets n for
// each request.
type budgetReader struct {
	r io.Reader
	n int
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func (s *server) serveConn(c net.Conn, h2 bool) {
	defer s.wg.Done()
	handedOff := s.serveStream(c, peekedConn{c, bufio.NewReader(c)}, false, h2)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	if !handedOff {
		c.Close()
	}
}

// serveStream serves one byte stream of c: TLS or clear text, told apart
// by the first byte. In clear text outside a tunnel it is also an HTTP
// proxy: a CONNECT opens a tunnel whose stream is served again (TLS
// inside, for https), and an absolute-form request target
// (http://host/path) is served by its path; engines that map hosts through
// a proxy (Firefox, WebKit) reach the case server that way. On the HTTP/2
// listener (h2), a TLS connection that negotiates h2 is handed to the
// HTTP/2 server (handedOff: it now owns c).
func (s *server) serveStream(c net.Conn, in peekedConn, tunneled, h2 bool) (handedOff bool) {
	c.SetDeadline(time.Now().Add(connIdleTimeout))
	first, err := in.r.Peek(1)
	if err != nil {
		return false
	}
	var rw io.ReadWriter = in
	scheme := "http"
	if first[0] == 0x16 { // a TLS handshake record
		cfg := s.tls
		if h2 {
			cfg = s.tlsH2
		}
		tc := tls.Server(in, cfg)
		if err := tc.Handshake(); err != nil {
			return false
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			c.SetDeadline(time.Time{})
			s.h2.conns.put(tc)
			return true
		}
		rw, scheme = tc, "https"
	}
	lim := &budgetReader{r: rw}
	r := bufio.NewReader(lim)
	for {
		c.SetDeadline(time.Now().Add(connIdleTimeout))
		lim.n = maxHeaderBytes + maxBodyBytes
		req, err := readRequest(r)
		if err != nil {
			return false
		}
		if req.method == http.MethodConnect {
			if tunneled || scheme != "http" || !s.tunnelAllowed(req.target) {
				rw.Write(rawResponse(403, nil, req.method, ""))
				return false
			}
			if _, err := io.WriteString(rw, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
				return false
			}
			return s.serveStream(c, peekedConn{c, r}, true, h2)
		}
		if rest, ok := absoluteTarget(req.target); ok {
			req.target = rest
		}
		resp, keep := s.respond(scheme, req)
		if _, err := rw.Write(resp); err != nil || !keep {
			return false
		}
	}
}

// tunnelAllowed reports whether a CONNECT to authority (host:port) may be
// tunnelled to the case server: any host (a browser may follow a case to
// a host it spells its own way, such as oth%20er.example) on a valid port.
// The browsers' own background traffic is turned off; what still comes is
// answered 404 and not reported (Report.Strays holds the cases' hosts only).
func (s *server) tunnelAllowed(authority string) bool {
	host, port, err := net.SplitHostPort(authority)
	if err != nil || host == "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536
}

// absoluteTarget returns the path and query of an absolute-form request
// target ("http://app.example/page?q" → "/page?q"), as a proxy receives
// it; ok is false for an origin-form target.
func absoluteTarget(target string) (string, bool) {
	_, rest, ok := strings.Cut(target, "://")
	if !ok || strings.HasPrefix(target, "/") {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		if rest[i] == '?' {
			return "/" + rest[i:], true
		}
		return rest[i:], true
	}
	return "/", true
}

// respond builds the raw response to req and reports whether the connection
// stays open.
func (s *server) respond(scheme string, req *request) ([]byte, bool) {
	host, _ := req.get("Host")
	rec := Received{Method: req.method, Scheme: scheme, Host: host, Path: req.target}
	rec.ACRM, rec.Preflight = req.get("Access-Control-Request-Method")
	rec.Preflight = rec.Preflight && req.method == http.MethodOptions
	rec.ACRH, _ = req.get("Access-Control-Request-Headers")
	rec.Origin, rec.HasOrigin = req.get("Origin")

	urlPath, _, _ := strings.Cut(req.target, "?")
	switch urlPath {
	case pagePath:
		return page(nil), true
	case opaquePath:
		return page([]cases.Header{{"Content-Security-Policy", "sandbox allow-scripts"}}), true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig, ok := strings.CutPrefix(urlPath, stepPrefix); ok {
		return s.startStep(sig, req.method), true
	}
	token, rest, ok := splitCasePath(req.target)
	run := s.runs[token]
	if !ok || run == nil {
		if h, _, _ := strings.Cut(strings.ToLower(host), ":"); s.hosts[h] && urlPath != "/favicon.ico" {
			s.stray = append(s.stray, rec)
		}
		return rawResponse(404, nil, req.method, ""), true
	}
	// A browser that joins two Location lines into one URL (WebKit)
	// requests a path that names the run's token again: the token is the
	// server's, so the path is reported without it, as the case writes it.
	rec.Path = strings.ReplaceAll(rest, casePrefix+token, "")
	rec.Step, rec.Hop = run.step, run.actual
	run.log = append(run.log, rec)
	ex := run.exchanges[run.step]
	if rec.Preflight {
		p := cases.Response{Status: 200}
		if ex.preflight != nil {
			p = *ex.preflight
		}
		return rawResponse(p.Status, p.Headers, req.method, token), !wantsClose(p.Headers)
	}
	hop := run.actual
	run.actual++
	if hop < len(ex.redirects) {
		rd := ex.redirects[hop]
		var h []cases.Header
		if rd.Location != "" {
			h = append(h, cases.Header{"Location", rd.Location})
		}
		h = append(h, rd.Headers...)
		return rawResponse(rd.Status, h, req.method, token), !wantsClose(rd.Headers)
	}
	return rawResponse(ex.response.Status, ex.response.Headers, req.method, token), !wantsClose(ex.response.Headers)
}

// startStep handles the page's signal that step n of the case run token
// starts (sig is "<token>/<n>"): the requests that follow belong to it. The
// answer allows any origin, so a page with an opaque origin can read it.
// s.mu is held.
func (s *server) startStep(sig, method string) []byte {
	token, n, _ := strings.Cut(sig, "/")
	step, err := strconv.Atoi(n)
	run := s.runs[token]
	if err != nil || run == nil || step < 0 || step >= len(run.exchanges) {
		return rawResponse(404, []cases.Header{{"Access-Control-Allow-Origin", "*"}}, method, "")
	}
	run.step, run.actual = step, 0
	return rawResponse(204, []cases.Header{{"Access-Control-Allow-Origin", "*"}}, method, "")
}

// splitCasePath splits /__cc/<token>/<rest> into token and /<rest>.
func splitCasePath(p string) (token, rest string, ok bool) {
	t, ok := strings.CutPrefix(p, casePrefix)
	if !ok {
		return "", "", false
	}
	i := strings.IndexAny(t, "/?")
	if i < 0 {
		return t, "/", true
	}
	rest = t[i:]
	if rest[0] == '?' {
		rest = "/" + rest
	}
	return t[:i], rest, true
}

func wantsClose(h []cases.Header) bool {
	for _, x := range h {
		if strings.EqualFold(x[0], "Connection") && strings.EqualFold(strings.TrimSpace(x[1]), "close") {
			return true
		}
	}
	return false
}

// page is the blank HTML document fetches run from.
func page(extra []cases.Header) []byte {
	body := "<!doctype html><meta charset=utf-8><title>crosscheck</title>"
	h := append([]cases.Header{{"Content-Type", "text/html; charset=utf-8"}, {"Content-Length", strconv.Itoa(len(body))}}, extra...)
	b := rawResponse(200, h, "GET", "")
	return append(b, body...)
}

// rawResponse writes an HTTP/1.1 response: the status line, then headers
// exactly as given (a Location value gets the run's token inserted in its
// path), then Cache-Control: no-store and Content-Length: 0 unless headers
// set them, then the body a Content-Length asks for.
func rawResponse(status int, headers []cases.Header, method, token string) []byte {
	var b bytes.Buffer
	text := http.StatusText(status)
	if text == "" {
		text = "Status"
	}
	fmt.Fprintf(&b, "HTTP/1.1 %03d %s\r\n", status, text)
	hasCC, bodyLen := false, -1
	for _, h := range headers {
		v := h[1]
		switch {
		case strings.EqualFold(h[0], "Location") && token != "":
			v = rewriteRef(v, casePrefix+token)
		case strings.EqualFold(h[0], "Cache-Control"):
			hasCC = true
		case strings.EqualFold(h[0], "Content-Length"):
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 && n <= maxBodyBytes {
				bodyLen = n
			} else {
				bodyLen = 0
			}
		}
		b.WriteString(h[0])
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
	if !hasCC {
		b.WriteString("Cache-Control: no-store\r\n")
	}
	if bodyLen < 0 {
		b.WriteString("Content-Length: 0\r\n")
		bodyLen = 0
	}
	b.WriteString("\r\n")
	if method != http.MethodHead && status != 204 && status != 304 && status >= 200 {
		b.Write(bytes.Repeat([]byte{'x'}, bodyLen))
	}
	return b.Bytes()
}

// rewriteRef inserts prefix at the start of the path of a URL reference whose
// path would otherwise lose it: an absolute http(s) URL, a scheme-relative
// URL or an absolute path. Other references (another scheme, a relative
// path, a query, a fragment, something unparsable) are returned unchanged:
// resolved against a URL that has the prefix, they keep it or they are meant
// to fail. Surrounding spaces and tabs are kept.
func rewriteRef(ref, prefix string) string {
	core := strings.Trim(ref, " \t")
	if core == "" {
		return ref
	}
	lead := ref[:strings.Index(ref, core)]
	trail := ref[len(lead)+len(core):]
	return lead + insertPrefix(core, prefix) + trail
}

func insertPrefix(ref, prefix string) string {
	head, rest := "", ref
	if i := schemeEnd(ref); i > 0 {
		scheme := strings.ToLower(ref[:i-1])
		if scheme != "http" && scheme != "https" {
			return ref
		}
		head, rest = ref[:i], ref[i:]
		if !hasTwoSlashes(rest) {
			return ref
		}
	}
	isSlash := func(c byte) bool { return c == '/' || c == '\\' }
	switch {
	case hasTwoSlashes(rest):
		j := len(rest)
		if k := strings.IndexAny(rest[2:], `/\?#`); k >= 0 {
			j = 2 + k
		}
		tail := rest[j:]
		if tail == "" || !isSlash(tail[0]) {
			tail = "/" + tail
		}
		return head + rest[:j] + prefix + tail
	case isSlash(rest[0]):
		return prefix + rest
	}
	return ref
}

func hasTwoSlashes(s string) bool {
	return len(s) >= 2 && (s[0] == '/' || s[0] == '\\') && (s[1] == '/' || s[1] == '\\')
}

// schemeEnd returns the index just after "scheme:" when ref starts with a
// URL scheme, else 0.
func schemeEnd(ref string) int {
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}
