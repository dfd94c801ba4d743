package fuzz

import (
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// parseHeaders decodes the header-list encoding the fuzz targets take (and
// internal/seedgen writes): one
// header per line ("\n"), the name up to the first ":" and the value after it
// as is (no whitespace stripped, so the fuzzer controls optional whitespace).
// A line without ":" is a header with an empty value. The empty string is no
// header at all.
func parseHeaders(s string) []spec.Header {
	if s == "" {
		return nil
	}
	var hs []spec.Header
	for line := range strings.SplitSeq(s, "\n") {
		name, value, _ := strings.Cut(line, ":")
		hs = append(hs, spec.Header{Name: name, Value: value})
	}
	return hs
}

// credentialsModes maps a fuzzed byte to a credentials mode (the encoding
// of internal/seedgen: 0 omit, 1 same-origin, 2 include).
var credentialsModes = [...]spec.Credentials{spec.CredentialsOmit, spec.CredentialsSameOrigin, spec.CredentialsInclude}

func credentialsMode(b uint8) spec.Credentials { return credentialsModes[int(b)%len(credentialsModes)] }

// flipCase returns hs with the ASCII letters of every name swapped between
// upper and lower case where the next bit of mask (cycling) is set. Values
// are kept. It returns a new slice.
func flipCase(hs []spec.Header, mask uint64, bit *int) []spec.Header {
	if hs == nil {
		return nil
	}
	out := make([]spec.Header, len(hs))
	for i, h := range hs {
		b := []byte(h.Name)
		for j, c := range b {
			isLetter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			if !isLetter {
				continue
			}
			if mask>>(uint(*bit)%64)&1 == 1 {
				b[j] = c ^ 0x20
			}
			*bit++
		}
		out[i] = spec.Header{Name: string(b), Value: h.Value}
	}
	return out
}

// isUnrelatedHeaderName reports whether a response header named name can
// matter to no CORS algorithm: an HTTP token that is not one of the
// Access-Control-* headers and not Location (which redirects read).
func isUnrelatedHeaderName(name string) bool {
	lower := strings.ToLower(name)
	return spec.IsToken(name) && !strings.HasPrefix(lower, "access-control-") && lower != "location"
}

// insertHeader returns hs with h inserted at position pos modulo
// len(hs)+1, in a new slice.
func insertHeader(hs []spec.Header, h spec.Header, pos uint64) []spec.Header {
	i := int(pos % uint64(len(hs)+1))
	out := make([]spec.Header, 0, len(hs)+1)
	out = append(out, hs[:i]...)
	out = append(out, h)
	return append(out, hs[i:]...)
}

// lines returns the values of hs's lines named name (ASCII
// case-insensitively), each stripped of surrounding spaces and tabs.
// It is the fuzz targets' own reading of a header, independent of spec's.
func lines(hs []spec.Header, name string) []string {
	var vs []string
	for _, h := range hs {
		if asciiEqualFold(h.Name, name) {
			vs = append(vs, strings.Trim(h.Value, " \t"))
		}
	}
	return vs
}

// listElements splits every line named name on commas and strips spaces and
// tabs around each element, dropping empty ones: the fuzz targets' own
// reading of an Access-Control-* list (no quoted strings in token lists).
func listElements(hs []spec.Header, name string) []string {
	var out []string
	for _, v := range lines(hs, name) {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// asciiEqualFold compares a and b ignoring ASCII case only (strings.EqualFold
// also folds Unicode: "ſ" matches "s", which HTTP does not).
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
