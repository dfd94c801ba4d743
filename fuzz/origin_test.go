package fuzz

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// defaultPorts are the special schemes of the URL Standard and their
// default ports: the fuzz targets' own table, independent of spec's.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21"}

// FuzzOrigin checks spec.ParseOrigin, Origin.Serialize, URLOrigin and
// IsAbsoluteURL on any string:
//
//   - ParseOrigin accepts only what it would write back: Serialize gives the
//     input byte for byte, parsing that again gives the same origin, and
//     URLOrigin of the input agrees;
//   - a serialized origin is "null" or scheme://host[:port] with no path,
//     query, fragment or userinfo, lowercase, and a port that is neither the
//     scheme's default nor written with leading zeros nor above 65535; an IP
//     address host is in the form browsers serialize (dotted decimal IPv4,
//     compressed lowercase IPv6 in brackets);
//   - URLOrigin is idempotent: the origin of a URL's serialized origin is
//     that origin; a serialized origin ParseOrigin accepts is that origin;
//   - IsAbsoluteURL holds exactly when URLOrigin succeeds.
func FuzzOrigin(f *testing.F) { f.Fuzz(originProperties) }

func originProperties(t *testing.T, s string) {
	{
		if o, err := spec.ParseOrigin(s); err == nil {
			ser := o.Serialize()
			if ser != s {
				t.Errorf("ParseOrigin(%q) accepted a string that is not its serialization %q", s, ser)
			}
			checkSerializedOrigin(t, "ParseOrigin", s, o, true)
			if o2, err := spec.ParseOrigin(ser); err != nil || o2 != o {
				t.Errorf("ParseOrigin(Serialize(ParseOrigin(%q))) = %+v, %v; want %+v", s, o2, err, o)
			}
			if u, ok := spec.URLOrigin(s); !o.Opaque && (!ok || u != o) {
				t.Errorf("URLOrigin(%q) = %+v, %v; ParseOrigin gives %+v", s, u, ok, o)
			}
		}
		u, ok := spec.URLOrigin(s)
		if abs := spec.IsAbsoluteURL(s); abs != ok {
			t.Errorf("IsAbsoluteURL(%q) = %v but URLOrigin ok = %v", s, abs, ok)
		}
		if !ok {
			return
		}
		ser := u.Serialize()
		if u.Opaque {
			if ser != "null" {
				t.Errorf("URLOrigin(%q) is opaque but serializes as %q", s, ser)
			}
			return
		}
		checkSerializedOrigin(t, "URLOrigin", s, u, false)
		if u2, ok := spec.URLOrigin(ser); !ok || u2 != u {
			t.Errorf("URLOrigin(%q) = %+v, %v; want the same origin %+v as URLOrigin(%q)", ser, u2, ok, u, s)
		}
		if o, err := spec.ParseOrigin(ser); err == nil && o != u {
			t.Errorf("ParseOrigin(%q) = %+v; URLOrigin(%q) gave %+v", ser, o, s, u)
		}
	}
}

// checkSerializedOrigin checks the serialization of an origin o. strict adds
// the checks of what a browser sends in Origin (IP address hosts in their
// serialized form), which ParseOrigin promises and URLOrigin does not (it
// keeps hosts as written: see the spec package's URL parser).
func checkSerializedOrigin(t *testing.T, fn, input string, o spec.Origin, strict bool) {
	t.Helper()
	what := func() string { return fn + "(" + strconv.Quote(input) + ")" }
	ser := o.Serialize()
	if o.Opaque {
		if ser != "null" {
			t.Errorf("%s: opaque origin serializes as %q, want null", what(), ser)
		}
		return
	}
	scheme, rest, ok := strings.Cut(ser, "://")
	def, special := defaultPorts[scheme]
	switch {
	case !ok:
		t.Errorf("%s: serialization %q has no ://", what(), ser)
		return
	case !special:
		t.Errorf("%s: serialization %q: a tuple origin with scheme %q, not a special scheme", what(), ser, scheme)
	case strings.ContainsAny(rest, "/?#@\\"):
		t.Errorf("%s: serialization %q has a path, query, fragment or userinfo", what(), ser)
	case strings.IndexFunc(ser, func(r rune) bool { return 'A' <= r && r <= 'Z' }) >= 0:
		t.Errorf("%s: serialization %q is not lowercase", what(), ser)
	}
	host, port := rest, ""
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.HasSuffix(rest, "]") {
		host, port = rest[:i], rest[i+1:]
		n, err := strconv.Atoi(port)
		switch {
		case err != nil || strings.ContainsAny(port, "+-"):
			t.Errorf("%s: serialization %q: port %q is not a number", what(), ser, port)
		case port == def:
			t.Errorf("%s: serialization %q has the default port of %s", what(), ser, scheme)
		case len(port) > 1 && port[0] == '0':
			t.Errorf("%s: serialization %q: port %q has a leading zero", what(), ser, port)
		case n > 65535:
			t.Errorf("%s: serialization %q: port %d is above 65535", what(), ser, n)
		}
	}
	if host == "" {
		t.Errorf("%s: serialization %q has an empty host", what(), ser)
	}
	if !strict {
		return
	}
	if ip, ok := hostIP(host); ok {
		if want := canonicalIP(ip); host != want {
			t.Errorf("%s: serialization %q: IP address host %q is not in the form browsers serialize (%q)", what(), ser, host, want)
		}
	} else if endsInNumber(host) || strings.HasPrefix(host, "[") {
		t.Errorf("%s: serialization %q: host %q is neither a domain nor an IP address in serialized form (the URL Standard reads a host ending in a number as IPv4, or fails)", what(), ser, host)
	}
}

// hostIP parses host as an IP address the way the URL Standard does for the
// forms netip also reads: an IPv6 address in brackets (no zone) or a dotted
// decimal IPv4 address.
func hostIP(host string) (netip.Addr, bool) {
	if inner, ok := strings.CutPrefix(host, "["); ok {
		inner, ok = strings.CutSuffix(inner, "]")
		a, err := netip.ParseAddr(inner)
		if !ok || err != nil || !a.Is6() || a.Zone() != "" {
			return netip.Addr{}, false
		}
		return a, true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// canonicalIP serializes an address as the URL Standard's host serializer
// does: dotted decimal for IPv4; for IPv6 eight lowercase hex pieces without
// leading zeros, the first longest run of two or more zero pieces written
// "::", never a dotted IPv4 tail, in brackets.
func canonicalIP(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	compress, best := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > best {
			compress, best = i, j-i
		}
		i = j
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i := 0; i < 8; i++ {
		if i == compress {
			if i == 0 {
				sb.WriteByte(':')
			}
			sb.WriteByte(':')
			i += best - 1
			continue
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
		if i < 7 {
			sb.WriteByte(':')
		}
	}
	sb.WriteByte(']')
	return sb.String()
}

// endsInNumber implements the URL Standard's "ends in a number checker":
// the last label (a trailing empty label ignored) is all ASCII digits or a
// 0x/0X hexadecimal number. Such a host is parsed as IPv4 (and fails unless
// it is one), so a domain never ends in a number.
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if labels[len(labels)-1] == "" {
		if len(labels) == 1 {
			return false
		}
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return false
}
