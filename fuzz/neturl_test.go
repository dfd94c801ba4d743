package fuzz

import (
	"net/url"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// urlDifference is a recorded class of URLs on which the spec model (which
// follows the WHATWG URL Standard, as browsers do) and net/url (which
// follows RFC 3986, with quirks of its own) legitimately disagree about the
// origin. FuzzOriginNetURL demands agreement everywhere else.
type urlDifference struct {
	name string
	// source says whose rule differs: "WHATWG vs RFC 3986" when the two
	// standards differ, "net/url" when net/url departs from RFC 3986.
	source string
	// doc says what each side does.
	doc string
	// example is a URL the two disagree on because of this difference
	// (TestURLDifferences checks that they do).
	example string
	// applies reports whether a URL belongs to the class.
	applies func(s string) bool
}

// urlDifferences is the recorded list. Keep every entry as narrow as the
// difference it names: a broad one hides real disagreements.
var urlDifferences = []urlDifference{
	{
		name: "backslash", source: "WHATWG vs RFC 3986",
		doc: "In special URLs the URL Standard reads `\\` as `/`, so `http://a\\@b` has host a; RFC 3986 has no such rule: " +
			"net/url keeps `\\` in the authority and rejects it in a host (the classic userinfo confusion, OWASP CheatSheetSeries#2401).",
		example: `http://example.com\@evil.com`,
		applies: func(s string) bool { return strings.Contains(s, `\`) },
	},
	{
		name: "port-range", source: "WHATWG vs RFC 3986",
		doc:     "The URL Standard fails on a port above 65535; RFC 3986's port is *DIGIT with no bound, and net/url accepts any digits.",
		example: "https://a.example:65536",
		applies: func(s string) bool {
			_, port, ok := splitHostPort(s)
			n := strings.TrimLeft(port, "0")
			return ok && allDigits(port) && (len(n) > 5 || len(n) == 5 && n > "65535")
		},
	},
	{
		name: "host-code-points", source: "WHATWG vs RFC 3986",
		doc: "The URL Standard allows ` { } in a domain and forbids < > ; RFC 3986's reg-name allows neither ` { } nor < >, " +
			"and net/url accepts < > (and \") in hosts but refuses ` { }.",
		example: "https://a{b}.example",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			return ok && strings.ContainsAny(host, "`{}<>")
		},
	},
	{
		name: "percent-host", source: "WHATWG vs RFC 3986",
		doc: "The URL Standard percent-decodes a host and then refuses % (a forbidden domain code point) and zones; RFC 3986/6874 allow " +
			"pct-encoded hosts and `%25` zones in IPv6 literals, which net/url decodes (for non-ASCII bytes and zones only). The model refuses any %.",
		example: "http://[fe80::1%25eth0]",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			return ok && strings.Contains(host, "%")
		},
	},
	{
		name: "percent-invalid", source: "WHATWG vs RFC 3986",
		doc: "A % not followed by two hex digits is kept as is by the URL Standard (a validation error only); RFC 3986's pct-encoded " +
			"requires two hex digits and net/url rejects the URL (in userinfo, path and fragment).",
		example: "https://a.example/%zz",
		applies: func(s string) bool {
			for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
				if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
					return true
				}
				s = s[i+1:]
			}
			return false
		},
	},
	{
		name: "userinfo-code-points", source: "WHATWG vs RFC 3986",
		doc: "The URL Standard percent-encodes any byte of the userinfo percent-encode set; RFC 3986's userinfo is unreserved, " +
			"pct-encoded, sub-delims and \":\" only, and net/url rejects the URL otherwise. Userinfo is never part of the origin.",
		example: "https://a b@a.example",
		applies: func(s string) bool {
			auth, ok := authority(s)
			at := strings.LastIndexByte(auth, '@')
			if !ok || at < 0 {
				return false
			}
			for i := 0; i < at; i++ {
				c := auth[i]
				if !(isAlnum(c) || strings.IndexByte("-._~!$&'()*+,;=:%@", c) >= 0) {
					return true
				}
			}
			return false
		},
	},
	{
		name: "ipv4-number-forms", source: "WHATWG vs RFC 3986",
		doc: "The URL Standard parses a host whose last label is a number as IPv4, in decimal, 0x-hex or 0-octal parts, one to four " +
			"of them, and serializes it as four decimal bytes (`http://2130706433` and `http://0x7f.1` are `http://127.0.0.1`); RFC 3986 " +
			"reads such a host as a reg-name and net/url keeps it as written.",
		example: "http://0x7f.1",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			if !ok || strings.HasPrefix(host, "[") {
				return false
			}
			host = strings.TrimSuffix(host, ".")
			last := host[strings.LastIndexByte(host, '.')+1:]
			return last != "" && (allDigits(last) || len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
		},
	},
	{
		name: "ipv6-serialization", source: "WHATWG vs RFC 3986",
		doc: "The URL Standard serializes an IPv6 host in compressed lowercase hex, IPv4-mapped tails included " +
			"(`[::ffff:127.0.0.1]` is `[::ffff:7f00:1]`, `[0:0:0:0:0:0:0:1]` is `[::1]`); RFC 3986 compares IP literals as written and " +
			"net/url keeps them as written.",
		example: "https://[::ffff:127.0.0.1]",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			return ok && strings.HasPrefix(host, "[")
		},
	},
	{
		name: "brackets-in-reg-name", source: "net/url",
		doc: "Both standards allow [ and ] only around an IP literal; net/url accepts a ] anywhere in a host that does not start with [ " +
			"(shouldEscape lets brackets through in hosts).",
		example: "http://a]",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			return ok && !strings.HasPrefix(host, "[") && strings.Contains(host, "]")
		},
	},
	{
		name: "controls-in-fragment", source: "net/url",
		doc: "RFC 3986 allows no control bytes anywhere; the URL Standard removes tab, LF and CR and percent-encodes the other C0 " +
			"controls; net/url rejects them everywhere except in the fragment, which it cuts off before checking. The model refuses " +
			"controls everywhere (a deviation from the URL Standard that HTTP cannot observe: field values carry no controls).",
		example: "http://a#\x00",
		applies: func(s string) bool {
			_, frag, ok := strings.Cut(s, "#")
			return ok && strings.IndexFunc(frag, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
		},
	},
	{
		name: "colons-in-host", source: "net/url",
		doc: "RFC 3986 allows no \":\" in a reg-name, nor does the URL Standard; net/url takes the text after the last colon as the " +
			"port and keeps the rest as host, except for http and https under GODEBUG urlstrictcolons=1, the default only for " +
			"modules declaring go 1.26 or later (go.dev/issue/75223); crosscheck's go.mod declares go 1.25.",
		example: "ws://a:b:80",
		applies: func(s string) bool {
			host, _, ok := splitHostPort(s)
			return ok && strings.Contains(host, ":") && !strings.HasPrefix(host, "[")
		},
	},
}

// FuzzOriginNetURL checks that spec.URLOrigin and net/url give every
// special-scheme URL the same origin (scheme, lowercase host, port with the
// default elided), or both none, except for the URLs urlDifferences lists;
// and that a string spec.ParseOrigin accepts is, to net/url too, a URL with
// a scheme and a host only: no userinfo, path, query or fragment.
func FuzzOriginNetURL(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		scheme, _, _ := strings.Cut(s, ":")
		if _, special := defaultPorts[strings.ToLower(scheme)]; !special {
			return
		}
		m, mok := modelOrigin(s)
		n, nok := netURLOrigin(s)
		if (mok != nok || m != n) && difference(s) == "" {
			t.Errorf("origin of %q: spec.URLOrigin gives %q (ok %v), net/url gives %q (ok %v), and no recorded WHATWG/RFC 3986 difference applies", s, m, mok, n, nok)
		}
		if _, err := spec.ParseOrigin(s); err != nil || difference(s) != "" {
			return
		}
		u, err := url.Parse(s)
		switch {
		case err != nil:
			t.Errorf("ParseOrigin accepts %q, net/url.Parse rejects it: %v", s, err)
		case u.User != nil || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "":
			t.Errorf("ParseOrigin accepts %q, which net/url reads with userinfo, path, query or fragment: %#v", s, u)
		}
	})
}

// TestURLDifferences checks every recorded difference: its example belongs
// to it and the model and net/url do disagree on it.
func TestURLDifferences(t *testing.T) {
	for _, d := range urlDifferences {
		t.Run(d.name, func(t *testing.T) {
			if !d.applies(d.example) {
				t.Errorf("example %q is not in the class", d.example)
			}
			m, mok := modelOrigin(d.example)
			n, nok := netURLOrigin(d.example)
			if mok == nok && m == n {
				t.Errorf("example %q: spec and net/url agree (%q, ok %v): the difference is not shown", d.example, m, mok)
			}
			if d.source != "WHATWG vs RFC 3986" && d.source != "net/url" {
				t.Errorf("source %q, want WHATWG vs RFC 3986 or net/url", d.source)
			}
		})
	}
}

// difference returns the name of the first recorded difference s belongs
// to, or "".
func difference(s string) string {
	for _, d := range urlDifferences {
		if d.applies(s) {
			return d.name
		}
	}
	return ""
}

// modelOrigin is the serialized tuple origin spec gives an absolute URL.
func modelOrigin(s string) (string, bool) {
	o, ok := spec.URLOrigin(s)
	if !ok || o.Opaque {
		return "", false
	}
	return o.Serialize(), true
}

// netURLOrigin is the tuple origin net/url gives an absolute URL, in the
// same serialization: lowercase scheme and ASCII host, IPv6 in brackets, the
// port as a number without leading zeros, the default port elided.
func netURLOrigin(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Hostname() == "" {
		return "", false
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	host = asciiLower(host)
	port := u.Port()
	if port != "" {
		if port = strings.TrimLeft(port, "0"); port == "" {
			port = "0"
		}
	}
	if port == defaultPorts[u.Scheme] {
		port = ""
	}
	if port != "" {
		return u.Scheme + "://" + host + ":" + port, true
	}
	return u.Scheme + "://" + host, true
}

// authority returns the authority of a URL written scheme://authority…,
// ending at the first / ? or #.
func authority(s string) (string, bool) {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", false
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return rest, true
}

// splitHostPort splits a URL's authority (userinfo dropped at the last @)
// into host and port; the port is what follows the last colon outside
// brackets.
func splitHostPort(s string) (host, port string, ok bool) {
	auth, ok := authority(s)
	if !ok {
		return "", "", false
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	i := strings.LastIndexByte(auth, ':')
	if i < 0 || strings.LastIndexByte(auth, ']') > i {
		return auth, "", true
	}
	return auth[:i], auth[i+1:], true
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
