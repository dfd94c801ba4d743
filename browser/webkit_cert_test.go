package browser

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
