package spec

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
)

// Origin is a tuple origin (scheme, host, port) or an opaque origin.
// Host is lowercase ASCII (IPv6 addresses keep their brackets); Port is
// empty when it is the scheme's default port.
type Origin struct {
	Scheme string
	Host   string
	Port   string
	Opaque bool
}

// Serialize returns the ASCII serialization of o: `scheme://host[:port]`,
// or "null" for an opaque origin.
func (o Origin) Serialize() string {
	if o.Opaque {
		return "null"
	}
	if o.Port == "" {
		return o.Scheme + "://" + o.Host
	}
	return o.Scheme + "://" + o.Host + ":" + o.Port
}

// SameOrigin reports whether a and b are the same origin. Opaque origins
// are never the same origin as anything here (the model has no identities).
func (a Origin) SameOrigin(b Origin) bool {
	return !a.Opaque && !b.Opaque && a.Scheme == b.Scheme && equalFold(a.Host, b.Host) && a.Port == b.Port
}

// errOrigin explains why a string is not a serialized origin.
var (
	errOriginEmpty   = errors.New("empty origin")
	errOriginForm    = errors.New("want scheme://host[:port] (no path, query, fragment or userinfo) or null")
	errOriginCase    = errors.New("a serialized origin is lowercase")
	errOriginPort    = errors.New("invalid port")
	errOriginDefault = errors.New("a serialized origin omits the scheme's default port")
	errOriginHost    = errors.New("an IP address host is serialized as four decimal bytes (IPv4) or in compressed lowercase hex (IPv6)")
	errOriginASCII   = errors.New("a serialized origin is ASCII: write an internationalized host in its xn-- form")
)

// ParseOrigin parses a serialized origin: "null" or `scheme://host[:port]`
// in the form browsers send in the Origin header (lowercase, default port
// omitted, no trailing slash). It is strict: anything a browser would not
// send is an error.
func ParseOrigin(s string) (Origin, error) {
	if s == "" {
		return Origin{}, errOriginEmpty
	}
	if s == "null" {
		return Origin{Opaque: true}, nil
	}
	u, ok := parseAbsoluteURL(s)
	if !ok || u.userinfo || u.rest != "" || !u.hasAuthority {
		return Origin{}, errOriginForm
	}
	if hasUpper(u.scheme) || hasUpper(u.host) {
		return Origin{}, errOriginCase
	}
	for i := 0; i < len(u.host); i++ {
		if u.host[i] >= 0x80 {
			return Origin{}, errOriginASCII
		}
	}
	if u.badPort {
		return Origin{}, errOriginPort
	}
	if u.portNotSerialized {
		return Origin{}, errOriginDefault
	}
	if u.emptyPort {
		return Origin{}, errOriginPort
	}
	if u.at {
		return Origin{}, errOriginForm
	}
	if u.hostNotSerialized {
		return Origin{}, errOriginHost
	}
	return u.origin(), nil
}

// URLOrigin returns the origin of an absolute URL. URLs whose scheme has no
// tuple origin here (anything but http, https, ws, wss, ftp) give an opaque
// origin; ok is false when s is not an absolute URL the model can parse.
func URLOrigin(s string) (o Origin, ok bool) {
	u, ok := parseAbsoluteURL(s)
	if !ok || u.badPort {
		return Origin{}, false
	}
	if !u.hasAuthority {
		return Origin{Opaque: true}, true
	}
	return u.origin(), true
}

// urlParts is the part of a parsed absolute URL the model needs. Strings are
// substrings of the input: parsing does not allocate.
type urlParts struct {
	scheme            string // as written; compare with equalFold
	host              string // as written (brackets kept for IPv6)
	port              string // "" when absent or the default port
	rest              string // path, query and fragment, "" when none
	userinfo          bool   // username or password present
	hasAuthority      bool   // a special scheme with //host
	portNotSerialized bool
	badPort           bool
	// hostNotSerialized: an IP address host in another spelling than its
	// serialization (hex or short IPv4, uncompressed IPv6); emptyPort: a
	// ":" with no port; at: an "@" in the authority, even with empty
	// userinfo. URLs may have them; serialized origins never do.
	hostNotSerialized bool
	emptyPort         bool
	at                bool
	ipv4              uint32 // the address when the host is IPv4
	ipv6              netip.Addr
}

func (u urlParts) origin() Origin {
	host := toLower(u.host)
	switch {
	case u.ipv6.IsValid():
		host = "[" + SerializeIPv6(u.ipv6) + "]"
	case u.hostNotSerialized:
		host = serializeIPv4(u.ipv4)
	}
	return Origin{Scheme: toLower(u.scheme), Host: host, Port: u.port}
}

// wireURL is the URL as a server receives the request: the scheme and host
// serialized as the URL Standard does (lowercase, IP addresses in their
// serialized form, the default port elided), no userinfo (it never goes on
// the wire), the path ("/" when empty; a backslash is a slash in special
// URLs) and query as written, no fragment.
func (u urlParts) wireURL() string {
	o := u.origin()
	if !u.hasAuthority {
		s, _, _ := strings.Cut(toLower(u.scheme)+":"+u.rest, "#")
		return s
	}
	rest, _, _ := strings.Cut(u.rest, "#")
	path, query, hasQuery := strings.Cut(rest, "?")
	path = strings.ReplaceAll(path, "\\", "/")
	if path == "" {
		path = "/"
	}
	var b strings.Builder
	b.Grow(len(o.Scheme) + 3 + len(o.Host) + 6 + len(rest) + 1)
	b.WriteString(o.Scheme)
	b.WriteString("://")
	b.WriteString(o.Host)
	if o.Port != "" {
		b.WriteByte(':')
		b.WriteString(o.Port)
	}
	b.WriteString(path)
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}

// serialize returns the URL's serialization as the model knows it: wireURL
// and the fragment. s is the URL as written; it is returned as is when it
// is already in that form (the common case), so that no string is built.
func (u urlParts) serialize(s string) string {
	if u.canonical(s) {
		return s
	}
	w := u.wireURL()
	if i := strings.IndexByte(u.rest, '#'); i >= 0 {
		w += u.rest[i:]
	}
	return w
}

// canonical reports whether s, the text u was parsed from, is already its
// serialization: a lowercase scheme and host in serialized form, no
// userinfo, no port to elide, a path that starts with "/" and no backslash.
func (u urlParts) canonical(s string) bool {
	if !u.hasAuthority || u.at || u.hostNotSerialized || u.portNotSerialized || u.emptyPort ||
		hasUpper(u.scheme) || hasUpper(u.host) || !strings.HasPrefix(u.rest, "/") {
		return false
	}
	for i := 0; i < len(u.rest); i++ {
		if c := u.rest[i]; c == '\\' {
			return false
		} else if c == '?' || c == '#' {
			break
		}
	}
	return len(s) == len(u.scheme)+3+len(u.host)+portLen(u.port)+len(u.rest)
}

// portLen is the length of ":port", 0 for none.
func portLen(p string) int {
	if p == "" {
		return 0
	}
	return 1 + len(p)
}

// isHTTPScheme reports whether u's scheme is http or https.
func (u urlParts) isHTTPScheme() bool {
	return equalFold(u.scheme, "http") || equalFold(u.scheme, "https")
}

// sameOrigin compares the tuple origins of two parsed URLs.
func (u urlParts) sameOrigin(v urlParts) bool {
	if !u.hasAuthority || !v.hasAuthority || !equalFold(u.scheme, v.scheme) || u.port != v.port {
		return false
	}
	if u.plainHost() && v.plainHost() {
		return equalFold(u.host, v.host)
	}
	return u.origin().Host == v.origin().Host
}

// sameOriginAs compares u's origin with a request origin.
func (u urlParts) sameOriginAs(o Origin) bool {
	if !u.hasAuthority || o.Opaque || !equalFold(u.scheme, o.Scheme) || u.port != o.Port {
		return false
	}
	if u.plainHost() {
		return equalFold(u.host, o.Host)
	}
	return u.origin().Host == o.Host
}

// plainHost reports whether u's host compares as written (ASCII case
// aside): it is not an IP address spelled otherwise than serialized (an
// IPv6 address, or a short or hex IPv4 one).
func (u urlParts) plainHost() bool { return !u.hostNotSerialized && !u.ipv6.IsValid() }

func defaultPort(scheme string) string {
	switch {
	case equalFold(scheme, "http"), equalFold(scheme, "ws"):
		return "80"
	case equalFold(scheme, "https"), equalFold(scheme, "wss"):
		return "443"
	case equalFold(scheme, "ftp"):
		return "21"
	}
	return ""
}

// isScheme reports whether s is a URL scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// forbiddenHostByte marks the bytes the URL Standard forbids in hosts
// (forbidden host code points), plus ASCII controls and DEL.
func forbiddenHostByte(c byte) bool {
	if c <= 0x20 || c == 0x7f {
		return true
	}
	switch c {
	case '#', '/', ':', '<', '>', '?', '@', '[', '\\', ']', '^', '|', '%':
		return true
	}
	return false
}

// parseAbsoluteURL parses the absolute URLs the model meets (request URLs,
// Location values, Access-Control-Allow-Origin values) without allocating.
// It follows the URL Standard where it matters here: schemes are
// case-insensitive; special schemes (http, https, ws, wss, ftp) need
// `//host`, may carry userinfo and a port; the default port is elided.
// Non-special schemes are accepted with any rest. It does not percent-decode
// or IDNA-map hosts (a non-ASCII host is kept as written).
func parseAbsoluteURL(s string) (u urlParts, ok bool) {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || !isScheme(s[:colon]) {
		return u, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return u, false
		}
	}
	u.scheme = s[:colon]
	if defaultPort(u.scheme) == "" {
		// Non-special scheme: an opaque origin, whatever follows.
		u.rest = s[colon+1:]
		return u, true
	}
	rest := s[colon+1:]
	if !strings.HasPrefix(rest, "//") {
		return u, false
	}
	rest = rest[2:]
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' && rest[end] != '#' && rest[end] != '\\' {
		end++
	}
	authority := rest[:end]
	u.rest = rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		// A URL includes credentials when its username or password is
		// not empty: "https://@h" and "https://:@h" do not.
		u.userinfo = authority[:at] != "" && authority[:at] != ":"
		u.at = true
		authority = authority[at+1:]
	}
	host, port := authority, ""
	if strings.HasPrefix(host, "[") {
		rb := strings.IndexByte(host, ']')
		if rb < 0 {
			return u, false
		}
		a, ok := parseIPv6(host[1:rb])
		if !ok {
			return u, false
		}
		u.ipv6 = a
		u.hostNotSerialized = "["+SerializeIPv6(a)+"]" != toLower(host[:rb+1])
		host, port = authority[:rb+1], authority[rb+1:]
		if port != "" && port[0] != ':' {
			return u, false
		}
		if port != "" {
			port = port[1:]
		}
	} else if c := strings.LastIndexByte(host, ':'); c >= 0 {
		host, port = authority[:c], authority[c+1:]
		if host == "" {
			return u, false
		}
		for i := 0; i < len(host); i++ {
			if forbiddenHostByte(host[i]) {
				return u, false
			}
		}
	} else {
		for i := 0; i < len(host); i++ {
			if forbiddenHostByte(host[i]) {
				return u, false
			}
		}
	}
	if host == "" || host == "[]" {
		return u, false
	}
	if !strings.HasPrefix(host, "[") && endsInANumber(host) {
		// The URL Standard parses such a host as IPv4, or fails.
		a, ok := parseIPv4(host)
		if !ok {
			return u, false
		}
		u.ipv4 = a
		u.hostNotSerialized = !isSerializedIPv4(host)
	}
	u.host = host
	u.hasAuthority = true
	u.emptyPort = port == "" && strings.HasSuffix(authority, ":")
	if port != "" {
		n := 0
		for i := 0; i < len(port); i++ {
			c := port[i]
			if c < '0' || c > '9' {
				u.badPort = true
				return u, true
			}
			n = n*10 + int(c-'0')
			if n > 65535 {
				u.badPort = true
				return u, true
			}
		}
		// Leading zeros serialize away: "https://a:0443" is port 443.
		for len(port) > 1 && port[0] == '0' {
			port = port[1:]
			u.portNotSerialized = true
		}
		if port == defaultPort(u.scheme) {
			u.portNotSerialized = true
			port = ""
		}
	}
	u.port = port
	return u, true
}

// resolveLocation resolves a Location value against the current URL. It
// returns ok=false when the value is not a valid URL reference.
func resolveLocation(base, loc string) (resolved string, u urlParts, ok bool) {
	if p, isAbs := parseAbsoluteURL(loc); isAbs && !p.badPort {
		return loc, p, true
	}
	if i := strings.IndexByte(loc, ':'); i > 0 && isScheme(loc[:i]) {
		// Absolute, but not parsable.
		return "", u, false
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", u, false
	}
	ref, err := url.Parse(loc)
	if err != nil || strings.ContainsAny(loc, " \t<>\"{}|^`") {
		return "", u, false
	}
	resolved = b.ResolveReference(ref).String()
	p, isAbs := parseAbsoluteURL(resolved)
	if !isAbs || p.badPort {
		return "", u, false
	}
	return resolved, p, true
}

// IsAbsoluteURL reports whether s parses as an absolute URL by the model's
// URL rules (a scheme, and for http(s) and the other special schemes a
// non-empty host and a valid port).
func IsAbsoluteURL(s string) bool {
	u, ok := parseAbsoluteURL(s)
	return ok && !u.badPort
}
