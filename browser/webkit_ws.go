package browser

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// wsConn is the client end of a WebSocket (RFC 6455) carrying text
// messages: just enough to talk to WebKit's inspector HTTP server, which is
// on 127.0.0.1. It has no extensions, no subprotocols and no TLS. Reads
// come from one goroutine; writes may come from any.
type wsConn struct {
	c   net.Conn
	r   *bufio.Reader
	wmu sync.Mutex
}

// wsMaxMessage bounds one message; the inspector's network events carry
// every header of a response, far below this.
const wsMaxMessage = 16 << 20

// wsGUID is the key suffix of RFC 6455 section 1.3.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// wsAccept is the Sec-WebSocket-Accept value a server must answer key
// with.
func wsAccept(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// dialWS opens a WebSocket to rawURL (ws://host:port/path) within timeout.
func dialWS(rawURL string, timeout time.Duration) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return nil, fmt.Errorf("websocket URL %q: want ws://host:port/path", rawURL)
	}
	c, err := net.DialTimeout("tcp", u.Host, timeout)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", rawURL, err)
	}
	c.SetDeadline(time.Now().Add(timeout))
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		c.Close()
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket %s: %w", rawURL, err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket %s: handshake: %w", rawURL, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		!strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") ||
		resp.Header.Get("Sec-WebSocket-Accept") != wsAccept(key) {
		c.Close()
		return nil, fmt.Errorf("websocket %s: handshake refused: %s", rawURL, resp.Status)
	}
	c.SetDeadline(time.Time{})
	return &wsConn{c: c, r: br}, nil
}

// Frame opcodes (RFC 6455 section 5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// appendFrame appends one final client frame (masked with mask, as a
// client must) to b.
func appendFrame(b []byte, opcode byte, payload []byte, mask [4]byte) []byte {
	b = append(b, 0x80|opcode)
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// write sends one frame.
func (w *wsConn) write(opcode byte, payload []byte) error {
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return err
	}
	frame := appendFrame(nil, opcode, payload, mask)
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.c.Write(frame)
	return err
}

// WriteText sends one text message.
func (w *wsConn) WriteText(msg []byte) error { return w.write(wsText, msg) }

// errWSClosed is returned by ReadText once the server closed the socket.
var errWSClosed = errors.New("websocket closed")

// readFrame reads one frame: its FIN bit, opcode and unmasked payload.
func readFrame(r *bufio.Reader, limit int) (fin bool, opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return
	}
	fin, opcode = h[0]&0x80 != 0, h[0]&0x0F
	if h[0]&0x70 != 0 {
		return fin, opcode, nil, fmt.Errorf("websocket frame with reserved bits %#x", h[0]&0x70)
	}
	masked := h[1]&0x80 != 0
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err = io.ReadFull(r, ext[:]); err != nil {
			return
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err = io.ReadFull(r, ext[:]); err != nil {
			return
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > uint64(limit) {
		return fin, opcode, nil, fmt.Errorf("websocket frame of %d bytes is over the %d-byte limit", n, limit)
	}
	var mask [4]byte
	if masked {
		if _, err = io.ReadFull(r, mask[:]); err != nil {
			return
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return
	}
	if masked {
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
	}
	return fin, opcode, payload, nil
}

// ReadText returns the next text message, answering pings and joining
// fragments on the way. It returns errWSClosed after a close frame.
func (w *wsConn) ReadText() ([]byte, error) {
	var msg []byte
	inMessage := false
	for {
		fin, op, p, err := readFrame(w.r, wsMaxMessage)
		if err != nil {
			return nil, err
		}
		switch op {
		case wsPing:
			if err := w.write(wsPong, p); err != nil {
				return nil, err
			}
			continue
		case wsPong:
			continue
		case wsClose:
			w.write(wsClose, nil)
			return nil, errWSClosed
		case wsText, wsBinary:
			if inMessage {
				return nil, fmt.Errorf("websocket: a new message began inside a fragmented one")
			}
			msg, inMessage = p, true
		case wsContinuation:
			if !inMessage {
				return nil, fmt.Errorf("websocket: a continuation frame outside a message")
			}
			if len(msg)+len(p) > wsMaxMessage {
				return nil, fmt.Errorf("websocket message over the %d-byte limit", wsMaxMessage)
			}
			msg = append(msg, p...)
		default:
			return nil, fmt.Errorf("websocket frame with unknown opcode %#x", op)
		}
		if fin {
			return msg, nil
		}
	}
}

// Close closes the connection without waiting for the server.
func (w *wsConn) Close() error { return w.c.Close() }
