package browser

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wsPeer is the server end of one test connection: it answers the opening
// handshake as told, then reads and writes raw frames.
type wsPeer struct {
	c  net.Conn
	br *bufio.Reader
}

// serveWS listens on 127.0.0.1 and hands the first connection, after the
// handshake answered by accept, to fn.
func serveWS(t *testing.T, accept func(key string) string, fn func(p *wsPeer)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Header.Get("Origin") != "" {
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\n\r\n")
			return
		}
		io.WriteString(c, accept(req.Header.Get("Sec-WebSocket-Key")))
		fn(&wsPeer{c: c, br: br})
	}()
	return "ws://" + ln.Addr().String() + "/session"
}

// goodAccept is a correct 101 answer to key.
func goodAccept(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
}

// frame is a server frame: unmasked, with the given first byte.
func frame(b0 byte, payload []byte) []byte {
	out := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		out = append(out, byte(n))
	case n <= 0xFFFF:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

// readClientFrame reads one frame the client sent (readMaskedFrame).
func (p *wsPeer) readClientFrame(t *testing.T) (op byte, payload []byte) {
	op, payload, err := readMaskedFrame(p.br)
	if err != nil {
		t.Errorf("read a client frame: %v", err)
	}
	return op, payload
}

// readMaskedFrame reads one frame a client sent (unfragmented, as wsConn
// writes them), checks it is masked and returns its opcode and unmasked
// payload.
func readMaskedFrame(r *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	if h[1]&0x80 == 0 {
		return 0, nil, errors.New("a client frame is not masked")
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	var mask [4]byte
	if _, err := io.ReadFull(r, mask[:]); err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i&3]
	}
	return h[0] & 0x0F, payload, nil
}

func TestWSMessages(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 300)    // 16-bit length
	huge := bytes.Repeat([]byte("y"), 70_000) // 64-bit length
	pongs := make(chan []byte, 1)
	echoed := make(chan []byte, 1)
	u := serveWS(t, goodAccept, func(p *wsPeer) {
		p.c.Write(frame(0x81, []byte("hello")))
		p.c.Write(frame(0x81, long))
		p.c.Write(frame(0x81, huge))
		// A fragmented message with a ping between its fragments.
		p.c.Write(frame(0x01, []byte("frag")))
		p.c.Write(frame(0x89, []byte("are you there")))
		p.c.Write(frame(0x00, []byte("men")))
		p.c.Write(frame(0x80, []byte("ted")))
		op, payload := p.readClientFrame(t)
		if op == wsPong {
			pongs <- payload
		}
		op, payload = p.readClientFrame(t)
		if op == wsText {
			echoed <- payload
		}
		p.c.Write(frame(0x88, []byte{0x03, 0xE8, 'b', 'y', 'e'}))
		p.readClientFrame(t) // the client's answer to the close
	})
	ws, err := dialWS(context.Background(), u, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.close()
	for _, want := range [][]byte{[]byte("hello"), long, huge, []byte("fragmented")} {
		got, err := ws.read()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("read %d bytes %.20q, want %d bytes %.20q", len(got), got, len(want), want)
		}
	}
	select {
	case p := <-pongs:
		if string(p) != "are you there" {
			t.Errorf("pong payload %q, want the ping's", p)
		}
	case <-time.After(2 * time.Second):
		t.Error("no pong for the ping")
	}
	msg := bytes.Repeat([]byte(`{"id":1}`), 40) // 320 bytes: a 16-bit length
	if err := ws.writeText(msg); err != nil {
		t.Fatal(err)
	}
	if got := <-echoed; !bytes.Equal(got, msg) {
		t.Errorf("server read %q, want %q", got, msg)
	}
	if _, err := ws.read(); !errors.Is(err, errWSClosed) {
		t.Errorf("read after the close frame: %v, want errWSClosed", err)
	}
}

func TestWSProtocolErrors(t *testing.T) {
	tests := []struct {
		name   string
		accept func(string) string
		frames [][]byte
		want   string
	}{
		{"wrong accept key", func(string) string {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm9wZQ==\r\n\r\n"
		}, nil, "Sec-WebSocket-Accept"},
		{"no upgrade", func(string) string { return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" }, nil, "want 101"},
		{"an extension not asked for", func(k string) string {
			return strings.Replace(goodAccept(k), "\r\n\r\n", "\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n", 1)
		}, nil, "extension"},
		{"masked server frame", goodAccept, [][]byte{{0x81, 0x81, 1, 2, 3, 4, 'a'}}, "masked"},
		{"reserved bit", goodAccept, [][]byte{frame(0xC1, []byte("a"))}, "reserved"},
		{"fragmented ping", goodAccept, [][]byte{frame(0x09, []byte("a"))}, "control frame"},
		{"continuation without a message", goodAccept, [][]byte{frame(0x80, []byte("a"))}, "continuation"},
		{"a message inside a message", goodAccept, [][]byte{frame(0x01, []byte("a")), frame(0x81, []byte("b"))}, "inside"},
		{"too long", goodAccept, [][]byte{frame(0x81, bytes.Repeat([]byte("z"), 2000))}, "longer than 1024"},
		{"unknown opcode", goodAccept, [][]byte{frame(0x83, []byte("a"))}, "opcode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := serveWS(t, tt.accept, func(p *wsPeer) {
				for _, f := range tt.frames {
					p.c.Write(f)
				}
				io.Copy(io.Discard, p.br) // until the client closes
			})
			ws, err := dialWS(context.Background(), u, 1024)
			if err == nil {
				_, err = ws.read()
				ws.close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestBiDiCalls(t *testing.T) {
	events := make(chan string, 1)
	u := serveWS(t, goodAccept, func(p *wsPeer) {
		for i := 0; i < 2; i++ {
			_, payload := p.readClientFrame(t)
			var cmd struct {
				ID     int    `json:"id"`
				Method string `json:"method"`
			}
			json.Unmarshal(payload, &cmd)
			// An event first, then the answer.
			p.c.Write(frame(0x81, []byte(`{"type":"event","method":"log.entryAdded","params":{"text":"hi"}}`)))
			if cmd.Method == "script.evaluate" {
				p.c.Write(frame(0x81, []byte(`{"type":"error","id":`+strconv.Itoa(cmd.ID)+`,"error":"no such frame","message":"gone"}`)))
			} else {
				p.c.Write(frame(0x81, []byte(`{"type":"success","id":`+strconv.Itoa(cmd.ID)+`,"result":{"value":42}}`)))
			}
		}
		p.c.Write(frame(0x88, nil))
		p.readClientFrame(t)
	})
	ws, err := dialWS(context.Background(), u, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b := newBiDi(ws, func(method string, params json.RawMessage) {
		select {
		case events <- method + " " + string(params):
		default:
		}
	})
	defer b.close()
	var out struct{ Value int }
	if err := b.call(context.Background(), "session.status", nil, &out); err != nil || out.Value != 42 {
		t.Errorf("session.status = %+v, %v; want 42, nil", out, err)
	}
	if got := <-events; got != `log.entryAdded {"text":"hi"}` {
		t.Errorf("event %q", got)
	}
	err = b.call(context.Background(), "script.evaluate", map[string]any{"expression": "1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "script.evaluate: no such frame: gone") {
		t.Errorf("script.evaluate error = %v, want the BiDi error named", err)
	}
	<-b.done
	if err := b.call(context.Background(), "session.end", nil, nil); !errors.Is(err, errBiDiGone) {
		t.Errorf("a call after the connection closed: %v, want errBiDiGone", err)
	}
}
