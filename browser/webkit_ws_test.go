package browser

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// The expected bytes are RFC 6455's own examples (sections 1.3 and 5.7).
func TestWSAccept(t *testing.T) {
	if got, want := wsAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="; got != want {
		t.Errorf("wsAccept = %q, want %q", got, want)
	}
}

func TestWSMaskedFrame(t *testing.T) {
	got := appendFrame(nil, wsText, []byte("Hello"), [4]byte{0x37, 0xfa, 0x21, 0x3d})
	want := []byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}
	if !bytes.Equal(got, want) {
		t.Errorf("masked frame = % x, want % x", got, want)
	}
	// Lengths that need the 16- and 64-bit length fields.
	for _, n := range []int{125, 126, 65535, 65536} {
		f := appendFrame(nil, wsText, bytes.Repeat([]byte{'a'}, n), [4]byte{1, 2, 3, 4})
		fin, op, p, err := readFrame(bufio.NewReader(bytes.NewReader(f)), 1<<20)
		if err != nil || !fin || op != wsText || len(p) != n || strings.Trim(string(p), "a") != "" {
			t.Errorf("%d bytes: read back fin=%v op=%d len=%d err=%v", n, fin, op, len(p), err)
		}
	}
}

// TestWSReadText reads server frames (unmasked, as a server sends them):
// RFC 6455's unmasked "Hello", its fragmented "Hel" + "lo", a ping between
// the fragments (answered with a pong), then a close.
func TestWSReadText(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	ws := &wsConn{c: client, r: bufio.NewReader(client)}
	stream := []byte{
		0x81, 0x05, 'H', 'e', 'l', 'l', 'o',
		0x01, 0x03, 'H', 'e', 'l',
		0x89, 0x05, 'H', 'e', 'l', 'l', 'o',
		0x80, 0x02, 'l', 'o',
		0x88, 0x00,
	}
	pong := make(chan []byte, 1)
	go func() {
		server.SetDeadline(time.Now().Add(5 * time.Second))
		server.Write(stream[:12])
		server.Write(stream[12:19])
		// The pong comes before the rest: read it.
		r := bufio.NewReader(server)
		fin, op, p, err := readFrame(r, 1<<10)
		if err == nil && fin && op == wsPong {
			pong <- p
		} else {
			pong <- nil
		}
		server.Write(stream[19:])
		readFrame(r, 1<<10) // the client's close
	}()
	for i, want := range []string{"Hello", "Hello"} {
		got, err := ws.ReadText()
		if err != nil || string(got) != want {
			t.Fatalf("message %d = %q, %v; want %q", i, got, err, want)
		}
	}
	if p := <-pong; string(p) != "Hello" {
		t.Errorf("pong payload = %q, want the ping's %q", p, "Hello")
	}
	if _, err := ws.ReadText(); !errors.Is(err, errWSClosed) {
		t.Errorf("after a close frame: error %v, want errWSClosed", err)
	}
}

func TestWSReadRejects(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
	}{
		{"reserved bits", []byte{0xC1, 0x00}},
		{"continuation first", []byte{0x80, 0x00}},
		{"text inside a fragmented message", []byte{0x01, 0x01, 'a', 0x81, 0x01, 'b'}},
		{"unknown opcode", []byte{0x83, 0x00}},
		{"over the limit", []byte{0x82, 0x7F, 0x7F, 0, 0, 0, 0, 0, 0, 0}},
		{"truncated", []byte{0x81, 0x05, 'H'}},
	}
	for _, tt := range tests {
		ws := &wsConn{r: bufio.NewReader(bytes.NewReader(tt.bytes))}
		if msg, err := ws.ReadText(); err == nil {
			t.Errorf("%s: ReadText = %q, want an error", tt.name, msg)
		}
	}
}

func TestDialWSRefusesBadHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		bufio.NewReader(c).ReadString('\n')
		// Switching protocols with a wrong accept key.
		c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n"))
	}()
	if _, err := dialWS("ws://"+ln.Addr().String()+"/socket", 2*time.Second); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("dialWS error = %v, want a refused handshake", err)
	}
	if _, err := dialWS("http://127.0.0.1/", time.Second); err == nil {
		t.Error("dialWS(http://…) succeeded, want an error")
	}
}
