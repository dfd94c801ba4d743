package spec

import (
	"net/netip"
	"testing"
)

// TestSerializeIPv6 serializes IPv6 addresses as the URL Standard's IPv6
// serializer does (its examples and the compression rule: the first
// longest run of two or more zero pieces).
func TestSerializeIPv6(t *testing.T) {
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
		a, err := netip.ParseAddr(tt.in)
		if err != nil {
			t.Fatalf("ParseAddr(%q): %v", tt.in, err)
		}
		if got := SerializeIPv6(a); got != tt.want {
			t.Errorf("SerializeIPv6(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
