package browser

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// h2Server is the case server's second listener, for Chrome's request
// streams, which it sends only over HTTP/2: its TLS offers h2, and a
// connection that negotiates it is served by net/http, answering from the
// same case runs. The raw answer respond builds is parsed back into a
// status, headers and a body: HTTP/2 has no header casing, padding or line
// order to keep.
type h2Server struct {
	ln    net.Listener // TCP, on 127.0.0.1
	conns *connQueue   // TLS connections that negotiated h2, for hs
	hs    *http.Server
}

// listenH2 starts the HTTP/2 listener on 127.0.0.1 (any port); close stops
// it with the rest of the server. It returns the listener's port.
func (s *server) listenH2() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h2 != nil {
		return s.h2.ln.Addr().(*net.TCPAddr).Port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("case server (HTTP/2): %w", err)
	}
	h := &h2Server{ln: ln, conns: newConnQueue(ln.Addr())}
	h.hs = &http.Server{
		Handler:           http.HandlerFunc(s.serveH2),
		TLSConfig:         &tls.Config{NextProtos: []string{"h2"}}, // makes Serve set up HTTP/2
		ReadHeaderTimeout: connIdleTimeout,
		IdleTimeout:       connIdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0), // a browser dropping a connection is no news
	}
	s.h2 = h
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		h.hs.Serve(h.conns)
	}()
	go func() {
		defer s.wg.Done()
		s.acceptOn(ln, true)
	}()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serveH2 answers one request of an HTTP/2 connection from the case runs.
func (s *server) serveH2(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, io.LimitReader(r.Body, maxBodyBytes))
	req := &request{method: r.Method, target: r.URL.RequestURI(), headers: [][2]string{{"Host", r.Host}}}
	for name, vals := range r.Header {
		for _, v := range vals {
			req.headers = append(req.headers, [2]string{name, v})
		}
	}
	raw, _ := s.respond("https", req)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), r)
	if err != nil {
		http.Error(w, "crosscheck: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	for name, vals := range resp.Header {
		switch strings.ToLower(name) {
		case "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade":
			continue // connection-specific: not allowed in HTTP/2
		}
		for _, v := range vals {
			w.Header().Add(name, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// connQueue is a net.Listener whose connections are handed to it.
type connQueue struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

// put hands c to whoever accepts; it closes c when the queue is closed.
func (q *connQueue) put(c net.Conn) {
	select {
	case q.ch <- c:
	case <-q.done:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

// close stops the HTTP/2 listener and its connections (s.mu not held).
func (h *h2Server) close() {
	h.ln.Close()
	h.conns.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if h.hs.Shutdown(ctx) != nil {
		h.hs.Close()
	}
}
