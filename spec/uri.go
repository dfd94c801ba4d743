package spec

import (
	"net/netip"
	"strings"
)

// The Location header's grammar is RFC 3986's URI-reference (RFC 9110
// §10.2.2). Fetch's location URL extracts the header per its ABNF before
// the URL parser sees it, so a value the URL parser would repair (a space,
// a non-ASCII byte, a "|") but the grammar refuses is a failure: a network
// error. (Browsers repair such values instead; whatwg/fetch#883 tracks the
// difference.)

// uriChar marks the bytes that may appear literally in a URI-reference:
// unreserved, sub-delims, gen-delims and "%".
var uriChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-._~!$&'()*+,;=:/?#[]@%" {
		t[c] = true
	}
	return t
}()

// pcharOK reports whether s holds only pchar, "/" and, when extra is
// non-empty, the bytes in extra (query and fragment add "?"), with every
// "%" starting a pct-encoded triplet.
func pcharOK(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHexDigit(s[i+1]) || !isHexDigit(s[i+2]) {
				return false
			}
			i += 2
		case c == '/', c == ':', c == '@':
		case c == '[', c == ']', c == '#', c == '?':
			if strings.IndexByte(extra, c) < 0 {
				return false
			}
		case !uriChar[c]:
			return false
		}
	}
	return true
}

// isURIReference reports whether s matches RFC 3986's URI-reference: a
// URI (scheme ":" hier-part) or a relative reference, with an optional
// query and fragment.
func isURIReference(s string) bool {
	for i := 0; i < len(s); i++ {
		if !uriChar[s[i]] {
			return false
		}
	}
	rest, frag, hasFrag := strings.Cut(s, "#")
	if hasFrag && !pcharOK(frag, "?") {
		return false
	}
	rest, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery && !pcharOK(query, "?") {
		return false
	}
	hasScheme := false
	if i := strings.IndexByte(rest, ':'); i > 0 && isScheme(rest[:i]) {
		slash := strings.IndexByte(rest, '/')
		if slash < 0 || slash > i {
			rest, hasScheme = rest[i+1:], true
		}
	}
	if after, ok := strings.CutPrefix(rest, "//"); ok {
		authority, path := after, ""
		if i := strings.IndexByte(after, '/'); i >= 0 {
			authority, path = after[:i], after[i:]
		}
		return validAuthority(authority) && pcharOK(path, "")
	}
	if !hasScheme {
		// path-noscheme: the first segment holds no ":".
		first, _, _ := strings.Cut(rest, "/")
		if strings.IndexByte(first, ':') >= 0 {
			return false
		}
	}
	return pcharOK(rest, "")
}

// validAuthority checks [ userinfo "@" ] host [ ":" port ].
func validAuthority(a string) bool {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		userinfo := a[:i]
		if strings.ContainsAny(userinfo, "@/[]") || !pcharOK(userinfo, "") {
			return false
		}
		a = a[i+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return false
		}
		host, port = a[:end+1], a[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
		if !validIPLiteral(host[1 : len(host)-1]) {
			return false
		}
	} else {
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			host, port = a[:i], a[i+1:]
		}
		if strings.ContainsAny(host, ":@[]/") || !pcharOK(host, "") {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

// validIPLiteral checks what is between the brackets: an IPv6 address or
// IPvFuture ("v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )).
func validIPLiteral(s string) bool {
	if len(s) > 0 && (s[0] == 'v' || s[0] == 'V') {
		hex, rest, ok := strings.Cut(s[1:], ".")
		if !ok || hex == "" || rest == "" {
			return false
		}
		for i := 0; i < len(hex); i++ {
			if !isHexDigit(hex[i]) {
				return false
			}
		}
		return !strings.ContainsAny(rest, "%/?#[]@") && pcharOK(rest, "")
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}
