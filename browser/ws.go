package browser

import (
	"bufio"
	"context"
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

// A minimal RFC 6455 websocket client, enough to speak WebDriver BiDi to a
// Firefox and the Web Inspector protocol to a WebKit MiniBrowser, both on
// 127.0.0.1: the opening handshake (no extensions, no subprotocol), masked
// text frames out, text messages in (fragmented or not, control frames in
// between), pings answered, the closing handshake. It is written here
// rather than taken from a module because that is all the two protocols
// need (about 210 lines of code, tested in ws_test.go against a server that
// sends every frame shape); the frame rules it relies on are RFC 6455
// section 5. Not supported, as neither protocol uses them: extensions
// (permessage-deflate), subprotocols, wss://, and UTF-8 validation of text
// messages beyond what the JSON decoder does.

// wsGUID is the key suffix of the opening handshake (RFC 6455 §1.3).
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Frame opcodes (RFC 6455 §5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

// errWSClosed is returned by read once the peer closed the connection.
var errWSClosed = errors.New("websocket closed")

// wsConn is a client websocket connection. read must be called from one
// goroutine; write may be called from several.
type wsConn struct {
	c       net.Conn
	br      *bufio.Reader
	wmu     sync.Mutex
	maxRead int
}

// dialWS opens a websocket to a ws:// URL. It sends no Origin header.
func dialWS(ctx context.Context, rawURL string, maxRead int) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return nil, fmt.Errorf("websocket URL %q: want ws://host:port/path", rawURL)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("websocket %s: %w", rawURL, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-WebSocket-Key":     {key},
		"Sec-WebSocket-Version": {"13"},
	}}
	ws := &wsConn{c: c, br: bufio.NewReader(c), maxRead: maxRead}
	err = req.Write(c)
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(ws.br, req)
	}
	if err == nil {
		err = checkUpgrade(resp, key)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake with %s: %w", rawURL, err)
	}
	c.SetDeadline(time.Time{})
	return ws, nil
}

// checkUpgrade checks the server's answer to the opening handshake (RFC 6455
// §4.1, the client's checks 1 to 6).
func checkUpgrade(resp *http.Response, key string) error {
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("status %s, want 101", resp.Status)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return fmt.Errorf("header Upgrade: %q, want websocket", resp.Header.Get("Upgrade"))
	}
	if !headerHasToken(resp.Header, "Connection", "upgrade") {
		return fmt.Errorf("header Connection: %q, want upgrade", resp.Header.Get("Connection"))
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("header Sec-WebSocket-Accept: %q, want %q", got, want)
	}
	if e := resp.Header.Get("Sec-WebSocket-Extensions"); e != "" {
		return fmt.Errorf("extension %q was not asked for", e)
	}
	if p := resp.Header.Get("Sec-WebSocket-Protocol"); p != "" {
		return fmt.Errorf("subprotocol %q was not asked for", p)
	}
	return nil
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// writeFrame sends one whole frame, masked as a client must (§5.3).
func (w *wsConn) writeFrame(op byte, payload []byte) error {
	hdr := make([]byte, 0, 14)
	hdr = append(hdr, 0x80|op) // FIN
	switch n := len(payload); {
	case n <= 125:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 0x80|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	buf := append(hdr, payload...)
	body := buf[len(hdr):]
	for i := range body {
		body[i] ^= mask[i&3]
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := w.c.Write(buf)
	return err
}

// writeText sends one text message.
func (w *wsConn) writeText(p []byte) error { return w.writeFrame(wsText, p) }

// read returns the next data message, answering pings and reassembling
// fragments on the way. After the peer's close frame it answers it and
// returns errWSClosed.
func (w *wsConn) read() ([]byte, error) {
	var msg []byte
	started := false
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0F
		if h[0]&0x70 != 0 {
			return nil, w.fail("a reserved bit is set")
		}
		if h[1]&0x80 != 0 {
			return nil, w.fail("a server frame is masked")
		}
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.br, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		control := op&0x8 != 0
		if control && (n > 125 || !fin) {
			return nil, w.fail("a control frame is fragmented or longer than 125 bytes")
		}
		if !control && uint64(len(msg))+n > uint64(w.maxRead) {
			return nil, w.fail(fmt.Sprintf("a message is longer than %d bytes", w.maxRead))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.br, payload); err != nil {
			return nil, err
		}
		switch op {
		case wsPing:
			if err := w.writeFrame(wsPong, payload); err != nil {
				return nil, err
			}
		case wsPong:
		case wsClose:
			code := payload
			if len(code) > 2 {
				code = code[:2]
			}
			w.writeFrame(wsClose, code)
			return nil, errWSClosed
		case wsText, wsBinary:
			if started {
				return nil, w.fail("a new message began inside a fragmented one")
			}
			started, msg = true, payload
		case wsContinuation:
			if !started {
				return nil, w.fail("a continuation frame without a message")
			}
			msg = append(msg, payload...)
		default:
			return nil, w.fail(fmt.Sprintf("unknown opcode %#x", op))
		}
		if started && fin && !control {
			return msg, nil
		}
	}
}

// fail closes the connection with status 1002 (protocol error) and returns
// the error.
func (w *wsConn) fail(why string) error {
	w.writeFrame(wsClose, []byte{0x03, 0xEA})
	w.c.Close()
	return fmt.Errorf("websocket protocol error: %s", why)
}

// close starts the closing handshake (status 1000) and closes the
// connection without waiting for the answer.
func (w *wsConn) close() {
	w.c.SetWriteDeadline(time.Now().Add(time.Second))
	w.writeFrame(wsClose, []byte{0x03, 0xE8})
	w.c.Close()
}
