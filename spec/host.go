package spec

import (
	"net/netip"
	"strconv"
	"strings"
)

// This file holds the parts of the URL Standard's host parser the model
// needs to tell a serialized host from any other spelling of it: IPv4
// addresses written in hex, octal or as fewer than four parts
// (`0x7f.1`, `2130706433`), and IPv6 addresses not in their compressed
// lowercase form (`[0:0:0:0:0:0:0:1]`, `[::ffff:127.0.0.1]`).

// endsInANumber reports whether a domain's last label (ignoring one
// trailing dot) is all ASCII digits or 0x-prefixed hex: the URL Standard
// then parses the whole host as IPv4 ("ends in a number checker").
func endsInANumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return false
	}
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if isDigits(last) {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		for i := 2; i < len(last); i++ {
			if !isHexDigit(last[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= lower(c) && lower(c) <= 'f'
}

// parseIPv4 implements the URL Standard's IPv4 parser: one to four
// dot-separated numbers, each decimal, 0x-hex or 0-octal, the last filling
// the remaining bytes. ok is false on failure (the URL is then invalid).
func parseIPv4(host string) (addr uint32, ok bool) {
	parts := strings.TrimSuffix(host, ".")
	n := strings.Count(parts, ".") + 1
	if n > 4 {
		return 0, false
	}
	var nums [4]uint64
	for i := 0; i < n; i++ {
		part := parts
		if dot := strings.IndexByte(parts, '.'); dot >= 0 {
			part, parts = parts[:dot], parts[dot+1:]
		}
		v, ok := parseIPv4Number(part)
		if !ok {
			return 0, false
		}
		nums[i] = v
	}
	for i := 0; i < n-1; i++ {
		if nums[i] > 255 {
			return 0, false
		}
	}
	if nums[n-1] >= 1<<(8*(5-n)) {
		return 0, false
	}
	v := nums[n-1]
	for i := 0; i < n-1; i++ {
		v += nums[i] << (8 * (3 - i))
	}
	return uint32(v), true
}

// parseIPv4Number parses one part of an IPv4 address. Values too large for
// any address saturate (they fail the range checks).
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	radix := uint64(10)
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		radix, s = 16, s[2:]
	case len(s) >= 2 && s[0] == '0':
		radix, s = 8, s[1:]
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := lower(s[i])
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case radix == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			return 0, false
		}
		if d >= radix {
			return 0, false
		}
		if v < 1<<40 {
			v = v*radix + d
		}
	}
	return v, true
}

// isSerializedIPv4 reports whether host is written as the IPv4 serializer
// writes it: four decimal parts without leading zeros and no trailing dot.
func isSerializedIPv4(host string) bool {
	if strings.Count(host, ".") != 3 {
		return false
	}
	for part := range strings.SplitSeq(host, ".") {
		if !isDigits(part) || len(part) > 1 && part[0] == '0' || len(part) > 3 {
			return false
		}
	}
	return true
}

// serializeIPv4 writes an address as four decimal bytes.
func serializeIPv4(a uint32) string {
	return strconv.Itoa(int(a>>24)) + "." + strconv.Itoa(int(a>>16&0xff)) + "." +
		strconv.Itoa(int(a>>8&0xff)) + "." + strconv.Itoa(int(a&0xff))
}

// parseIPv6 parses the inside of a bracketed host. It accepts what the URL
// Standard's IPv6 parser accepts (including an embedded IPv4 tail) and
// refuses zones and plain IPv4 addresses.
func parseIPv6(inside string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(inside)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// SerializeIPv6 is the URL Standard's IPv6 serializer: eight lowercase
// hex pieces without leading zeros, the first longest run of two or more
// zero pieces compressed to "::", and an IPv4-mapped address in hex too
// (::ffff:c000:201, where netip.Addr.String gives ::ffff:192.0.2.1). The
// host serializer puts the result in brackets. It is how a browser names
// an IPv6 host once it has parsed a URL.
//
// See https://url.spec.whatwg.org/#concept-ipv6-serializer.
func SerializeIPv6(a netip.Addr) string {
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	start, length := -1, 1
	for i := 0; i < 8; {
		if pieces[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > length {
			start, length = i, j-i
		}
		i = j
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == start {
			sb.WriteString("::")
			i += length - 1
			continue
		}
		if i > 0 && i != start+length {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
	}
	return sb.String()
}
