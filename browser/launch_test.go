package browser

import (
	"strings"
	"testing"
)

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	if got := b.tail("x"); got != "" {
		t.Errorf("tail of nothing = %q, want \"\"", got)
	}
	for _, p := range []string{"  abc", "defgh", "ijk\n"} {
		if n, err := b.Write([]byte(p)); n != len(p) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", p, n, err, len(p))
		}
	}
	// The last 8 bytes, "efghijk\n", trimmed.
	if got, want := b.tail("chromium"), "\nchromium output (tail):\nefghijk"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
	if _, err := b.Write([]byte(strings.Repeat("z", 20))); err != nil {
		t.Fatal(err)
	}
	if got := b.tail("w"); !strings.HasSuffix(got, "\n"+strings.Repeat("z", 8)) || len(b.buf) != 8 {
		t.Errorf("after a write longer than max: tail %q, %d bytes kept; want the last 8", got, len(b.buf))
	}
}
