package browser

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestURLIPv6 serializes IPv6 addresses as the URL Standard's host
// serializer does (its examples and the compression rule: the first
// longest run of two or more zero pieces).
func TestURLIPv6(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2001:db8::1", "2001:db8::1"},
		{"2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"::ffff:192.0.2.1", "::ffff:c000:201"},
		{"::1", "::1"},
		{"::", "::"},
		{"1::", "1::"},
		{"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
		{"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
		{"1:0:1:1:1:1:1:1", "1:0:1:1:1:1:1:1"},
		{"fe80::abcd:ef01", "fe80::abcd:ef01"},
	}
	for _, tt := range tests {
		ip := net.ParseIP(tt.in)
		if ip == nil {
			t.Fatalf("ParseIP(%q) failed", tt.in)
		}
		if got := urlIPv6(ip); got != tt.want {
			t.Errorf("urlIPv6(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWebKitCertHosts lists each host of the authorities once, as WebKit
// looks a pinned certificate up: DNS names as they are, IPv6 addresses
// without brackets in the URL Standard's form, IPv4 dotted.
func TestWebKitCertHosts(t *testing.T) {
	got := webkitCertHosts([]string{
		"api.example:443", "api.example:8443",
		"[2001:db8::1]:443", "[2001:0db8::0001]:8443",
		"[::ffff:c000:201]:443",
		"192.0.2.1:443",
		"app.example",
	})
	want := []string{"api.example", "2001:db8::1", "::ffff:c000:201", "192.0.2.1", "app.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("webkitCertHosts mismatch (-want +got):\n%s", diff)
	}
}
