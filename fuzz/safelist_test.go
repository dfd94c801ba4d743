package fuzz

import (
	"slices"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// The Fetch Standard's limits, written here rather than read from spec so
// that a wrong constant there fails.
const (
	valueLimit = 128  // bytes of one CORS-safelisted request-header value
	totalLimit = 1024 // bytes of all safelisted values of a request
)

// FuzzSafelist checks the CORS-safelisted request-header rules on any list
// of headers:
//
//   - spec.IsSafelistedRequestHeader holds only for Accept,
//     Accept-Language, Content-Language, Content-Type and Range, values of
//     at most 128 bytes, without CORS-unsafe request-header bytes in Accept
//     and Content-Type, with only the allowed bytes in the language headers,
//     a Content-Type essence of the three form types and a Range of
//     `bytes=start-[end]`;
//   - the 128-byte limit is inclusive and exact: a safelisted value grown to
//     128 bytes without changing its meaning stays safelisted, grown to 129
//     bytes it is not;
//   - spec.UnsafeRequestHeaderNames gives lowercase, sorted, unique names:
//     those of the headers that are not safelisted, or every name once the
//     safelisted values total more than 1024 bytes: eight safelisted values
//     of 128 bytes stay safe, one more byte makes them all unsafe.
func FuzzSafelist(f *testing.F) { f.Fuzz(safelistProperties) }

func safelistProperties(t *testing.T, headers string) {
	{
		hs := parseHeaders(headers)
		total := 0
		for _, h := range hs {
			if !spec.IsSafelistedRequestHeader(h.Name, h.Value) {
				continue
			}
			total += len(h.Value)
			checkSafelisted(t, h)
			if grown, ok := grow(h, valueLimit); ok && !spec.IsSafelistedRequestHeader(grown.Name, grown.Value) {
				t.Errorf("%q is safelisted but the same value grown to %d bytes (%q) is not", h, len(grown.Value), grown.Value)
			}
			if grown, ok := grow(h, valueLimit+1); ok && spec.IsSafelistedRequestHeader(grown.Name, grown.Value) {
				t.Errorf("value of %d bytes is safelisted: %q", len(grown.Value), grown)
			}
		}
		got := spec.UnsafeRequestHeaderNames(hs)
		var want []string
		for _, h := range hs {
			if total > totalLimit || !spec.IsSafelistedRequestHeader(h.Name, h.Value) {
				want = append(want, asciiLower(h.Name))
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("UnsafeRequestHeaderNames(%q) = %q, want %q (safelisted values total %d bytes)", hs, got, want, total)
		}
		for _, h := range hs {
			// The total limit, at its edge: eight values of exactly 128
			// bytes (1024 in all) stay safelisted; one byte more, here the
			// header itself, makes every one of them unsafe.
			g, ok := grow(h, valueLimit)
			if len(h.Value) == 0 || !ok || !spec.IsSafelistedRequestHeader(g.Name, g.Value) {
				continue
			}
			eight := slices.Repeat([]spec.Header{g}, totalLimit/valueLimit)
			if names := spec.UnsafeRequestHeaderNames(eight); len(names) != 0 {
				t.Errorf("%d copies of %q (%d bytes, within %d) are unsafe: %q", len(eight), g, totalLimit, totalLimit, names)
			}
			if names := spec.UnsafeRequestHeaderNames(append(eight, h)); !slices.Equal(names, []string{asciiLower(h.Name)}) {
				t.Errorf("%d copies of %q and %q (%d bytes) are safelisted: UnsafeRequestHeaderNames = %q", len(eight), g, h, totalLimit+len(h.Value), names)
			}
			break
		}
	}
}

// checkSafelisted checks a header spec calls safelisted against this
// test's own reading of the rules.
func checkSafelisted(t *testing.T, h spec.Header) {
	t.Helper()
	v := h.Value
	if len(v) > valueLimit {
		t.Errorf("%q is safelisted with a %d-byte value", h, len(v))
	}
	switch strings.ToLower(h.Name) {
	case "accept":
		if i := strings.IndexFunc(v, isUnsafeRune); i >= 0 {
			t.Errorf("%q is safelisted with the CORS-unsafe byte %q", h, v[i])
		}
	case "accept-language", "content-language":
		for i := 0; i < len(v); i++ {
			c := v[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte(" *,-.;=", c) >= 0) {
				t.Errorf("%q is safelisted with the byte %q", h, c)
			}
		}
	case "content-type":
		if i := strings.IndexFunc(v, isUnsafeRune); i >= 0 {
			t.Errorf("%q is safelisted with the CORS-unsafe byte %q", h, v[i])
		}
		essence, _, _ := strings.Cut(strings.Trim(v, "\t\n\r "), ";")
		switch strings.ToLower(strings.TrimRight(essence, "\t\n\r ")) {
		case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		default:
			t.Errorf("%q is safelisted with the essence %q", h, essence)
		}
	case "range":
		start, end, ok := strings.Cut(strings.TrimPrefix(v, "bytes="), "-")
		if !strings.HasPrefix(v, "bytes=") || !ok || start == "" || !allDigits(start) || !allDigits(end) {
			t.Errorf("%q is safelisted but is not bytes=start-[end]", h)
		}
	default:
		t.Errorf("%q is safelisted but its name is none of Accept, Accept-Language, Content-Language, Content-Type, Range", h)
	}
}

// isUnsafeRune reports a CORS-unsafe request-header byte (this test's own
// table): a control other than tab, " ( ) : < > ? @ [ \ ] { }, or DEL.
// Bytes above 0x7f are not unsafe; strings.IndexFunc sees them as runes
// >= 0x80 (or U+FFFD) and this returns false for them.
func isUnsafeRune(r rune) bool {
	if r < 0x20 {
		return r != '\t'
	}
	return r == 0x7f || strings.ContainsRune(`"():<>?@[\]{}`, r)
}

func allDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }

// grow returns h with its value lengthened to exactly n bytes in a way that
// keeps it safelisted if it was: letters appended to Accept and the language
// headers, a parameter appended to Content-Type, leading zeros in Range's
// start. ok is false when the value is already longer than n.
func grow(h spec.Header, n int) (spec.Header, bool) {
	v := h.Value
	if len(v) > n {
		return h, false
	}
	switch strings.ToLower(h.Name) {
	case "range":
		if len(v) < n {
			v = "bytes=" + strings.Repeat("0", n-len(v)) + strings.TrimPrefix(v, "bytes=")
		}
	case "content-type":
		if len(v) < n {
			v += ";" + strings.Repeat("a", n-len(v)-1)
		}
	default:
		v += strings.Repeat("a", n-len(v))
	}
	return spec.Header{Name: h.Name, Value: v}, true
}
