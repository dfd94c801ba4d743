package spec

import (
	"slices"
	"strings"
)

// Header names the model looks up.
const (
	hACAO     = "Access-Control-Allow-Origin"
	hACAC     = "Access-Control-Allow-Credentials"
	hACAM     = "Access-Control-Allow-Methods"
	hACAH     = "Access-Control-Allow-Headers"
	hACEH     = "Access-Control-Expose-Headers"
	hACMA     = "Access-Control-Max-Age"
	hLocation = "Location"
)

// SafelistValueLimit is the length above which a header value is never a
// CORS-safelisted request-header, and SafelistTotalLimit the total length of
// safelisted values above which all of them become CORS-unsafe.
const (
	SafelistValueLimit = 128
	SafelistTotalLimit = 1024
)

// HeaderLines returns the number of header lines named name (compared
// case-insensitively) and the first one's value with surrounding spaces and
// tabs stripped.
func HeaderLines(h []Header, name string) (n int, first string) {
	for i := range h {
		if equalFold(h[i].Name, name) {
			if n == 0 {
				first = trimOWS(h[i].Value)
			}
			n++
		}
	}
	return n, first
}

// GetHeader implements the Fetch Standard's "get": the values of all lines
// named name, each stripped of surrounding spaces and tabs, joined with ", ".
// ok is false when there is no such line.
func GetHeader(h []Header, name string) (value string, ok bool) {
	n, first := HeaderLines(h, name)
	if n <= 1 {
		return first, n == 1
	}
	var b strings.Builder
	sep := ""
	for i := range h {
		if equalFold(h[i].Name, name) {
			b.WriteString(sep)
			b.WriteString(trimOWS(h[i].Value))
			sep = ", "
		}
	}
	return b.String(), true
}

// GetDecodeSplit implements the Fetch Standard's "get, decode, and split" of
// one header value: split on commas that are not inside an HTTP quoted
// string, keep quoted strings (quotes and escapes included) inside their
// element, and strip spaces and tabs around each element. Empty elements are
// kept. It never fails.
func GetDecodeSplit(value string) []string {
	// At most one element per comma, plus one: allocate once.
	values := make([]string, 0, strings.Count(value, ",")+1)
	var tmp strings.Builder // only for elements holding a quoted string
	pos := 0
	for {
		// Collect code points that are not " or ,.
		start := pos
		for pos < len(value) && value[pos] != '"' && value[pos] != ',' {
			pos++
		}
		if tmp.Len() == 0 && (pos >= len(value) || value[pos] == ',') {
			// The common case: the element is a plain slice of value.
			values = append(values, trimOWS(value[start:pos]))
		} else {
			tmp.WriteString(value[start:pos])
			if pos < len(value) && value[pos] == '"' {
				end := quotedStringEnd(value, pos)
				tmp.WriteString(value[pos:end])
				pos = end
				if pos < len(value) {
					continue
				}
			}
			values = append(values, trimOWS(tmp.String()))
			tmp.Reset()
		}
		if pos >= len(value) {
			return values
		}
		pos++ // the comma
	}
}

// quotedStringEnd returns the position just past the HTTP quoted string
// that starts at value[start] == '"' (or the end of value when it is not
// closed), following "collect an HTTP quoted string".
func quotedStringEnd(value string, start int) int {
	pos := start + 1
	for pos < len(value) {
		switch value[pos] {
		case '"':
			return pos + 1
		case '\\':
			pos += 2
			if pos > len(value) {
				return len(value)
			}
		default:
			pos++
		}
	}
	return pos
}

// nextListItem returns the first element of a comma-separated list value
// and the rest after its comma, with optional whitespace removed. more is
// false when s held no further element.
func nextListItem(s string) (item, rest string, more bool) {
	if s == "" {
		return "", "", false
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return trimOWS(s[:i]), s[i+1:], true
	}
	return trimOWS(s), "", true
}

// ListStatus is the result of parsing a #token header list.
type ListStatus int

// The outcomes of extracting header list values.
const (
	ListAbsent  ListStatus = iota // no line with that name: null
	ListValid                     // every element of every line is a token (empty elements skipped)
	ListFailure                   // some element is not a token: failure
)

// checkTokenList parses every line named name as `#token` (RFC 9110 list:
// commas, optional whitespace, empty elements allowed) and reports whether
// it is absent, valid or a failure; bad is the first element that is not a
// token.
func checkTokenList(h []Header, name string) (st ListStatus, bad string) {
	st = ListAbsent
	for i := range h {
		if !equalFold(h[i].Name, name) {
			continue
		}
		st = ListValid
		for item, rest, more := nextListItem(h[i].Value); more; item, rest, more = nextListItem(rest) {
			if item != "" && !IsToken(item) {
				return ListFailure, item
			}
		}
	}
	return st, ""
}

// list is a #token list header found once in a header list, so that many
// membership tests do not rescan the whole list.
type list struct {
	value string   // the only line's value, when there is exactly one
	h     []Header // the header list, when there are several lines
	name  string
}

func findList(h []Header, name string) list {
	n := 0
	l := list{name: name}
	for i := range h {
		if equalFold(h[i].Name, name) {
			n++
			l.value = h[i].Value
		}
	}
	if n > 1 {
		l.h = h
	}
	return l
}

// has reports whether the list contains want (ignoring ASCII case when fold
// is set).
func (l list) has(want string, fold bool) bool {
	if l.h != nil {
		return listHas(l.h, l.name, want, fold)
	}
	for item, rest, more := nextListItem(l.value); more; item, rest, more = nextListItem(rest) {
		if item == want || fold && equalFold(item, want) {
			return true
		}
	}
	return false
}

// listHas reports whether a list header contains want, byte-for-byte, or
// ignoring ASCII case when fold is set. The list must have been checked.
func listHas(h []Header, name, want string, fold bool) bool {
	for i := range h {
		if !equalFold(h[i].Name, name) {
			continue
		}
		for item, rest, more := nextListItem(h[i].Value); more; item, rest, more = nextListItem(rest) {
			if item == want || fold && equalFold(item, want) {
				return true
			}
		}
	}
	return false
}

// ExtractHeaderListValues implements "extracting header list values" for the
// `#token` list headers (Access-Control-Allow-Methods, -Allow-Headers,
// -Expose-Headers, -Request-Headers): the elements of every line named name,
// in order, empty elements dropped. The status says whether the header was
// absent (values nil), valid, or a failure (values nil).
func ExtractHeaderListValues(h []Header, name string) ([]string, ListStatus) {
	st, _ := checkTokenList(h, name)
	if st != ListValid {
		return nil, st
	}
	n := 0
	for i := range h {
		if equalFold(h[i].Name, name) {
			n += strings.Count(h[i].Value, ",") + 1
		}
	}
	values := make([]string, 0, n) // at most one element per comma and line: allocate once
	for i := range h {
		if !equalFold(h[i].Name, name) {
			continue
		}
		for item, rest, more := nextListItem(h[i].Value); more; item, rest, more = nextListItem(rest) {
			if item != "" {
				values = append(values, item)
			}
		}
	}
	return values, ListValid
}

// IsForbiddenRequestHeader reports whether (name, value) is a forbidden
// request-header, which the Headers object of a request silently drops.
func IsForbiddenRequestHeader(name, value string) bool {
	switch {
	case hasPrefixFold(name, "proxy-"), hasPrefixFold(name, "sec-"):
		return true
	case equalFold(name, "X-HTTP-Method"), equalFold(name, "X-HTTP-Method-Override"), equalFold(name, "X-Method-Override"):
		for _, m := range GetDecodeSplit(value) {
			if IsForbiddenMethod(m) {
				return true
			}
		}
		return false
	}
	if len(name) < len("TE") || len(name) > len("Access-Control-Request-Headers") {
		return false
	}
	switch lower(name[0]) {
	case 'a', 'c', 'd', 'e', 'h', 'k', 'o', 'r', 's', 't', 'u', 'v':
	default:
		return false
	}
	for _, f := range forbiddenRequestHeaderNames {
		if equalFold(name, f) {
			return true
		}
	}
	return false
}

var forbiddenRequestHeaderNames = [...]string{
	"Accept-Charset", "Accept-Encoding", "Access-Control-Request-Headers", "Access-Control-Request-Method",
	"Connection", "Content-Length", "Cookie", "Cookie2", "Date", "DNT", "Expect", "Host", "Keep-Alive",
	"Origin", "Referer", "Set-Cookie", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Via",
}

// IsCORSUnsafeRequestHeaderByte reports whether b is a CORS-unsafe
// request-header byte: a control byte other than tab, one of
// " ( ) : < > ? @ [ \ ] { }, or DEL.
func IsCORSUnsafeRequestHeaderByte(b byte) bool {
	if b < 0x20 {
		return b != '\t'
	}
	switch b {
	case '"', '(', ')', ':', '<', '>', '?', '@', '[', '\\', ']', '{', '}', 0x7f:
		return true
	}
	return false
}

func hasUnsafeByte(v string) bool {
	for i := 0; i < len(v); i++ {
		if IsCORSUnsafeRequestHeaderByte(v[i]) {
			return true
		}
	}
	return false
}

// IsSafelistedRequestHeader reports whether (name, value) is a
// CORS-safelisted request-header on its own (the 1024-byte total is applied
// by [UnsafeRequestHeaderNames]). value must already be normalized.
func IsSafelistedRequestHeader(name, value string) bool {
	if len(value) > SafelistValueLimit {
		return false
	}
	switch {
	case equalFold(name, "Accept"):
		return !hasUnsafeByte(value)
	case equalFold(name, "Accept-Language"), equalFold(name, "Content-Language"):
		for i := 0; i < len(value); i++ {
			c := value[i]
			switch {
			case '0' <= c && c <= '9', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
			case c == ' ', c == '*', c == ',', c == '-', c == '.', c == ';', c == '=':
			default:
				return false
			}
		}
		return true
	case equalFold(name, "Content-Type"):
		if hasUnsafeByte(value) {
			return false
		}
		essence, ok := mimeEssence(value)
		if !ok {
			return false
		}
		return equalFold(essence, "application/x-www-form-urlencoded") ||
			equalFold(essence, "multipart/form-data") || equalFold(essence, "text/plain")
	case equalFold(name, "Range"):
		start, _, ok := ParseSingleRange(value, false)
		return ok && start != ""
	}
	return false
}

// mimeEssence parses value as a MIME type (WHATWG MIME Sniffing "parse a
// MIME type") far enough to return its essence `type/subtype` (not
// lowercased). Parameters never make parsing fail, so they are skipped.
func mimeEssence(value string) (string, bool) {
	v := NormalizeHeaderValue(value)
	slash := strings.IndexByte(v, '/')
	if slash < 0 {
		return "", false
	}
	typ := v[:slash]
	sub := v[slash+1:]
	if semi := strings.IndexByte(sub, ';'); semi >= 0 {
		sub = sub[:semi]
	}
	for len(sub) > 0 && isHTTPWhitespace(sub[len(sub)-1]) {
		sub = sub[:len(sub)-1]
	}
	if !IsToken(typ) || !IsToken(sub) {
		return "", false
	}
	return v[:slash+1+len(sub)], true
}

// ParseSingleRange implements "parse a single range header value": `bytes=`
// then an optional start, `-`, an optional end (ASCII digits), optional
// whitespace around `=` and `-` only when allowWhitespace is set. start and
// end are the digit strings ("" for null); ok is false on failure (both
// null, start > end, anything else).
func ParseSingleRange(value string, allowWhitespace bool) (start, end string, ok bool) {
	if !strings.HasPrefix(value, "bytes") {
		return "", "", false
	}
	pos := len("bytes")
	skip := func() {
		for allowWhitespace && pos < len(value) && (value[pos] == ' ' || value[pos] == '\t') {
			pos++
		}
	}
	digits := func() string {
		s := pos
		for pos < len(value) && '0' <= value[pos] && value[pos] <= '9' {
			pos++
		}
		return value[s:pos]
	}
	skip()
	if pos >= len(value) || value[pos] != '=' {
		return "", "", false
	}
	pos++
	skip()
	start = digits()
	skip()
	if pos >= len(value) || value[pos] != '-' {
		return "", "", false
	}
	pos++
	skip()
	end = digits()
	if pos != len(value) || start == "" && end == "" {
		return "", "", false
	}
	if start != "" && end != "" && compareDecimal(start, end) > 0 {
		return "", "", false
	}
	return start, end, true
}

// compareDecimal compares two strings of ASCII digits as numbers of any size.
func compareDecimal(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// IsNonWildcardRequestHeaderName reports whether name is a CORS non-wildcard
// request-header name: Authorization, which `*` in
// Access-Control-Allow-Headers never covers.
func IsNonWildcardRequestHeaderName(name string) bool { return equalFold(name, "Authorization") }

// UnsafeRequestHeaderNames returns the CORS-unsafe request-header names of a
// request's header list: the names of headers that are not CORS-safelisted,
// plus every safelisted one when their values total more than 1024 bytes;
// lowercased, de-duplicated and sorted. This is the value a browser sends
// in Access-Control-Request-Headers (joined by ",").
func UnsafeRequestHeaderNames(h []Header) []string {
	u := unsafeHeaders(h)
	var names []string
	for i := range h {
		if u.has(i) {
			names = append(names, toLower(h[i].Name))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// unsafeSet marks which entries of a request's header list are CORS-unsafe:
// not CORS-safelisted on their own, or safelisted while the safelisted
// values total more than 1024 bytes. It is the one implementation of that
// rule; the preflight decision, the preflight check and
// UnsafeRequestHeaderNames all read it.
type unsafeSet struct {
	safe  uint64 // bit i: h[i] is safelisted on its own (lists of up to 64 headers)
	large []bool // the same for longer lists
	over  bool   // the safelisted values total more than 1024 bytes
	n     int
}

// unsafeHeaders tests every header of h once.
func unsafeHeaders(h []Header) unsafeSet {
	u := unsafeSet{n: len(h)}
	if len(h) > 64 {
		u.large = make([]bool, len(h))
	}
	total := 0
	for i := range h {
		if IsSafelistedRequestHeader(h[i].Name, h[i].Value) {
			total += len(h[i].Value)
			if u.large != nil {
				u.large[i] = true
			} else {
				u.safe |= 1 << i
			}
		}
	}
	u.over = total > SafelistTotalLimit
	return u
}

// has reports whether h[i] is CORS-unsafe.
func (u unsafeSet) has(i int) bool {
	if u.over {
		return true
	}
	if u.large != nil {
		return !u.large[i]
	}
	return u.safe&(1<<i) == 0
}

// any reports whether some header is CORS-unsafe.
func (u unsafeSet) any() bool {
	for i := 0; i < u.n; i++ {
		if u.has(i) {
			return true
		}
	}
	return false
}

// IsForbiddenResponseHeaderName reports whether name is Set-Cookie or
// Set-Cookie2, which script never reads.
func IsForbiddenResponseHeaderName(name string) bool {
	return equalFold(name, "Set-Cookie") || equalFold(name, "Set-Cookie2")
}

// IsSafelistedResponseHeaderName reports whether script can read a response
// header named name without it being exposed: Cache-Control,
// Content-Language, Content-Length, Content-Type, Expires, Last-Modified,
// Pragma.
func IsSafelistedResponseHeaderName(name string) bool {
	if len(name) < len("Pragma") || len(name) > len("Content-Language") {
		return false
	}
	for _, s := range [...]string{"Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma"} {
		if equalFold(name, s) {
			return true
		}
	}
	return false
}
