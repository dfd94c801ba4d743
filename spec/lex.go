package spec

// tchar marks the bytes allowed in an HTTP token (RFC 9110 §5.6.2):
// "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~" / DIGIT / ALPHA.
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// IsToken reports whether s is a non-empty HTTP token, the syntax of method
// names and header names.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

// trimOWS strips optional whitespace (spaces and horizontal tabs) from both
// ends of s, as HTTP parsing does to field values and list elements.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// isHTTPWhitespace reports whether c is an HTTP whitespace byte (tab, LF,
// CR, space).
func isHTTPWhitespace(c byte) bool { return c == '\t' || c == '\n' || c == '\r' || c == ' ' }

// NormalizeHeaderValue strips leading and trailing HTTP whitespace bytes
// (tab, LF, CR, space) from a header value, as the Headers object does
// before validating and storing a value.
func NormalizeHeaderValue(v string) string {
	for len(v) > 0 && isHTTPWhitespace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isHTTPWhitespace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

// lower returns the ASCII lowercase of c.
func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold reports whether a and b are equal under ASCII case folding
// (the spec's "byte-case-insensitive match").
func equalFold(a, b string) bool {
	// Small enough to inline: most comparisons fail on length.
	return len(a) == len(b) && (a == b || equalFoldSameLen(a, b))
}

func equalFoldSameLen(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if x, y := a[i], b[i]; x != y && (x^y != 0x20 || lower(x|0x20) < 'a' || lower(x|0x20) > 'z') {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

// compareFold orders a and b by their ASCII-lowercased bytes.
func compareFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// hasUpper reports whether s has an ASCII uppercase letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// toLower is strings.ToLower for ASCII that does not allocate when s is
// already lowercase.
func toLower(s string) string {
	if !hasUpper(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}
