package spec

import (
	"strings"
	"unicode/utf8"
)

// This file holds what the model needs of the URLs a browser answers
// itself, without a server: scheme fetch's about:, blob: and data: URLs.

// isScheme reports whether u's scheme is name (ASCII case-insensitively).
func (u urlParts) isScheme(name string) bool { return equalFold(u.scheme, name) }

// blobOrigin is the origin of a blob: URL: the origin of the URL its path
// holds when that is an http(s) URL ("blob:https://app.example/uuid" is
// https://app.example), else an opaque origin (ok false).
func (u urlParts) blobOrigin() (o Origin, ok bool) {
	inner, _, _ := strings.Cut(u.rest, "#")
	p, ok := parseAbsoluteURL(inner)
	if !ok || p.badPort || !p.isHTTPScheme() {
		return Origin{}, false
	}
	return p.origin(), true
}

// isAboutBlank reports whether u is about:blank (its path is exactly
// "blank"; a query or fragment may follow).
func (u urlParts) isAboutBlank() bool {
	path := u.rest
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return u.isScheme("about") && path == "blank"
}

// dataURLType runs the data: URL processor far enough to say whether it
// fails and, when not, the MIME type the response's Content-Type gets: the
// text before the first comma (with ";base64" removed when the body is
// base64), "text/plain;charset=US-ASCII" when that is empty or not a MIME
// type. A data: URL without a comma, or whose base64 body does not decode
// (forgiving-base64), fails.
func (u urlParts) dataURLType() (mimeType string, ok bool) {
	input, _, _ := strings.Cut(u.rest, "#")
	input = strings.Trim(input, "\t\n\f\r ")
	mime, body, found := strings.Cut(input, ",")
	if !found {
		return "", false
	}
	mime = strings.Trim(mime, "\t\n\f\r ")
	if i := strings.LastIndexByte(mime, ';'); i >= 0 {
		param := strings.TrimLeft(mime[i+1:], " ")
		if equalFold(param, "base64") {
			if !forgivingBase64(percentDecode(body)) {
				return "", false
			}
			mime = mime[:i]
		}
	}
	if strings.HasPrefix(mime, ";") {
		mime = "text/plain" + mime
	}
	if _, ok := mimeEssence(mime); !ok {
		return "text/plain;charset=US-ASCII", true
	}
	return mime, true
}

// percentDecode decodes %XX sequences; others are kept as they are.
func percentDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// forgivingBase64 reports whether the Infra Standard's forgiving-base64
// decode succeeds on s.
func forgivingBase64(s string) bool {
	n := 0
	data := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\t', '\n', '\f', '\r', ' ':
		default:
			data = append(data, s[i])
		}
	}
	if len(data)%4 == 0 {
		switch {
		case len(data) >= 2 && data[len(data)-1] == '=' && data[len(data)-2] == '=':
			data = data[:len(data)-2]
		case len(data) >= 1 && data[len(data)-1] == '=':
			data = data[:len(data)-1]
		}
	}
	if len(data)%4 == 1 {
		return false
	}
	for _, c := range data {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			n++
		default:
			return false
		}
	}
	return true
}

// localResponse is scheme fetch for a URL that is not http(s): the
// response the browser makes itself, or the reason of its network error.
// No blob: URL resolves: an exchange cannot register a Blob (and scheme
// fetch also refuses any method but GET).
func (j *judge) localResponse() (Response, Reason) {
	switch {
	case j.cur.isAboutBlank():
		return Response{Status: 200, Headers: []Header{{"Content-Type", "text/html;charset=utf-8"}}}, ReasonNone
	case j.cur.isScheme("data"):
		mime, ok := j.cur.dataURLType()
		if !ok {
			return Response{}, DataURLInvalid
		}
		return Response{Status: 200, Headers: []Header{{"Content-Type", mime}}}, ReasonNone
	case j.cur.isScheme("blob"):
		return Response{}, BlobURLUnresolved
	}
	return Response{}, SchemeNotHTTP
}

// byteString converts a header name or value from a script string (UTF-8
// in Go) to the bytes the Headers object holds: code points U+0080 to
// U+00FF become one byte each; ok is false when a code point is above
// U+00FF (the ByteString conversion throws). Bytes that are not UTF-8 are
// kept as they are. s is returned unchanged when it is ASCII.
func byteString(s string) (string, bool) {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s, true
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b = append(b, s[i]) // not UTF-8: a raw byte
		case r > 0xFF:
			return "", false
		default:
			b = append(b, byte(r))
		}
		i += max(size, 1)
	}
	return string(b), true
}
