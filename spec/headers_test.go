package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGetDecodeSplit(t *testing.T) {
	// The examples table under "get, decode, and split" in fetch.bs.
	tests := []struct {
		name  string
		value string
		want  []string
	}{
		{"trailing comma", "nosniff,", []string{"nosniff", ""}},
		{"empty", "", []string{""}},
		{"unterminated quote keeps the comma", `text/html;", x/x`, []string{`text/html;", x/x`}},
		{"quoted parameter", `x/x;test="hi",y/y`, []string{`x/x;test="hi"`, "y/y"}},
		{"empty elements and inner spaces", "x / x,,,1", []string{"x / x", "", "", "1"}},
		{"comma inside quotes", `"1,2", 3`, []string{`"1,2"`, "3"}},
		{"escaped quote", `"a\",b", c`, []string{`"a\",b"`, "c"}},
		{"backslash at end", `"a\`, []string{`"a\`}},
		{"tabs", "\tPATCH\t,\tPUT", []string{"PATCH", "PUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, GetDecodeSplit(tt.value)); diff != "" {
				t.Errorf("GetDecodeSplit(%q) mismatch (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestExtractHeaderListValues(t *testing.T) {
	h := func(vs ...string) []Header {
		var hs []Header
		for _, v := range vs {
			hs = append(hs, Header{"Access-Control-Allow-Methods", v})
		}
		return append(hs, Header{"X-Other", "not, a list item"})
	}
	tests := []struct {
		name   string
		h      []Header
		want   []string
		status ListStatus
	}{
		{"absent is null", []Header{{"X-Other", "PUT"}}, nil, ListAbsent},
		{"two tokens", h("PUT, DELETE"), []string{"PUT", "DELETE"}, ListValid},
		{"empty element", h("PUT,,DELETE"), []string{"PUT", "DELETE"}, ListValid},
		{"OWS around commas", h("PUT ,\tDELETE"), []string{"PUT", "DELETE"}, ListValid},
		{"leading and trailing commas", h(",PUT,"), []string{"PUT"}, ListValid},
		{"empty value is the empty list", h(""), []string{}, ListValid},
		{"two lines concatenate", h("PUT", "patch"), []string{"PUT", "patch"}, ListValid},
		{"space inside an element", h("Bad method name"), nil, ListFailure},
		{"semicolon", h("PUT;DELETE"), nil, ListFailure},
		{"quoted", h(`"PUT"`), nil, ListFailure},
		{"one bad element fails the whole list", h("PUT, DEL ETE"), nil, ListFailure},
		{"one bad line fails the whole list", h("PUT", "x:"), nil, ListFailure},
		{"header name matched case-insensitively", []Header{{"access-control-allow-methods", "GET"}}, []string{"GET"}, ListValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, st := ExtractHeaderListValues(tt.h, "Access-Control-Allow-Methods")
			if st != tt.status {
				t.Errorf("status = %v, want %v", st, tt.status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetHeader(t *testing.T) {
	h := []Header{{"ACAO", " a "}, {"X", "y"}, {"acao", "b\t"}, {"Acao", ""}}
	got, ok := GetHeader(h, "acao")
	if !ok || got != "a, b, " {
		t.Errorf("GetHeader = %q, %v; want %q, true", got, ok, "a, b, ")
	}
	if got, ok := GetHeader(h, "X"); !ok || got != "y" {
		t.Errorf("GetHeader(X) = %q, %v", got, ok)
	}
	if _, ok := GetHeader(h, "Z"); ok {
		t.Error("GetHeader(Z) found a missing header")
	}
}

func TestIsForbiddenRequestHeader(t *testing.T) {
	tests := []struct {
		name, value string
		want        bool
	}{
		{"Cookie", "a=b", true},
		{"cookie2", "x", true},
		{"Origin", "https://evil.example", true},
		{"Referer", "x", true},
		{"Access-Control-Request-Headers", "x", true},
		{"Content-Length", "3", true},
		{"Sec-Foo", "x", true},
		{"proxy-authorization", "x", true},
		{"Proxy", "x", false}, // the prefix is "proxy-"
		{"DNT", "1", true},
		{"X-HTTP-Method-Override", "TRACE", true},
		{"x-http-method", "get, connect", true},
		{"X-Method-Override", `"PUT", track`, true},
		{"X-HTTP-Method-Override", "PATCH", false},
		{"X-HTTP-Method-Override", `"TRACE"`, false}, // quotes are kept, so not a method match
		{"User-Agent", "x", false},
		{"Authorization", "Bearer x", false},
		{"X-Custom", "1", false},
	}
	for _, tt := range tests {
		if got := IsForbiddenRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsForbiddenRequestHeader(%q, %q) = %v, want %v", tt.name, tt.value, got, tt.want)
		}
	}
}

func TestIsSafelistedRequestHeader(t *testing.T) {
	pad := func(prefix string, n int) string { return prefix + strings.Repeat("a", n-len(prefix)) }
	tests := []struct {
		name, value string
		want        bool
	}{
		{"Accept", "*/*", true},
		{"accept", "application/vnd.api+json;q=0.9", true},
		{"Accept", "", true},
		{"Accept", "a\tb", true},
		{"Accept", `text/html; q="0.9"`, false},
		{"Accept", "urn:x", false},
		{"Accept", "a\x0bb", false},
		{"Accept", "{}", false},
		{"Accept", "a\x7f", false},
		{"Accept", pad("", 128), true},
		{"Accept", pad("", 129), false},
		{"Accept-Language", "en-US,en;q=0.9", true},
		{"Content-Language", "de-CH; q=0.8", true},
		{"Accept-Language", "*", true},
		{"Accept-Language", "en_US", false},
		{"Content-Language", "fr\tCA", false},
		{"Content-Language", "@", false},
		{"Accept-Language", "\x01", false},
		{"Content-Language", pad("", 128), true},
		{"Content-Language", pad("", 129), false},
		{"Content-Type", "text/plain", true},
		{"Content-Type", "Text/Plain;charset=utf-8", true},
		{"content-type", "text/plain;", true},
		{"Content-Type", "text/plain;garbage", true},
		{"Content-Type", "text/plain ;x", true},
		{"Content-Type", "multipart/form-data; boundary=x", true},
		{"Content-Type", "application/x-www-form-urlencoded", true},
		{"Content-Type", `text/plain; charset="utf-8"`, false},
		{"Content-Type", "text /plain", false},
		{"Content-Type", "text\t/\tplain", false},
		{"Content-Type", "text/plain,", false},
		{"Content-Type", ",text/plain", false},
		{"Content-Type", "text/plain,text/plain", false},
		{"Content-Type", "text/plain\x0b", false},
		{"Content-Type", "application/www-form-urlencoded", false},
		{"Content-Type", "application/json", false},
		{"Content-Type", "text", false},
		{"Content-Type", "/plain", false},
		{"Content-Type", `multipart/form-data;"`, false},
		{"Content-Type", "application/x-www-form-urlencoded;\x7f", false},
		{"Content-Type", pad("text/plain; long=", 128), true},
		{"Content-Type", pad("text/plain; long=", 129), false},
		{"Range", "bytes=100-200", true},
		{"Range", "bytes=200-", true},
		{"Range", "bytes=-200", false},
		{"Range", "bytes=200-100", false},
		{"Range", "bytes=100-200,300-400", false},
		{"Range", "bytes =100-200", false},
		{"Range", "bytes= 100-200", false},
		{"Range", "bytes=100 -200", false},
		{"Range", "bytes=100-\t200", false},
		{"Range", "Bytes=0-1", false},
		{"Range", "bytes 100-200", false},
		{"Range", "MB=100-200", false},
		{"Range", "bytes=abc-def", false},
		{"Range", "bytes=" + strings.Repeat("0", 120) + "1-", true}, // 128 bytes
		{"Range", "bytes=" + strings.Repeat("0", 121) + "1-", false},
		{"Authorization", "Bearer x", false},
		{"X-Custom", "1", false},
		{"Save-Data", "on", false},
	}
	for _, tt := range tests {
		if got := IsSafelistedRequestHeader(tt.name, tt.value); got != tt.want {
			t.Errorf("IsSafelistedRequestHeader(%q, %q (%d bytes)) = %v, want %v", tt.name, tt.value, len(tt.value), got, tt.want)
		}
	}
}

func TestParseSingleRange(t *testing.T) {
	tests := []struct {
		value      string
		ws         bool
		start, end string
		ok         bool
	}{
		{"bytes=0-", false, "0", "", true},
		{"bytes=-500", false, "", "500", true},
		{"bytes=5-4", false, "", "", false},
		{"bytes=99999999999999999999-100000000000000000000", false, "99999999999999999999", "100000000000000000000", true},
		{"bytes=100000000000000000000-99999999999999999999", false, "", "", false},
		{"bytes=007-7", false, "007", "7", true},
		{"bytes = 1 - 2", true, "1", "2", true},
		{"bytes = 1 - 2", false, "", "", false},
		{"bytes=-", false, "", "", false},
		{"bytes", false, "", "", false},
		{"bytes=1", false, "", "", false},
		{"bytes=1-2 ", false, "", "", false},
	}
	for _, tt := range tests {
		s, e, ok := ParseSingleRange(tt.value, tt.ws)
		if s != tt.start || e != tt.end || ok != tt.ok {
			t.Errorf("ParseSingleRange(%q, %v) = %q, %q, %v; want %q, %q, %v", tt.value, tt.ws, s, e, ok, tt.start, tt.end, tt.ok)
		}
	}
}

func TestUnsafeRequestHeaderNames(t *testing.T) {
	accept128 := []Header{}
	for i := 0; i < 8; i++ {
		accept128 = append(accept128, Header{"Accept", strings.Repeat("a", 128)})
	}
	tests := []struct {
		name string
		h    []Header
		want []string
	}{
		{"none", nil, nil},
		{"safelisted only", []Header{{"Accept", "*/*"}, {"Content-Type", "text/plain"}}, nil},
		{"lowercased sorted deduplicated", []Header{{"X-B", "1"}, {"x-a", "1"}, {"X-A", "2"}, {"Accept", "*/*"}}, []string{"x-a", "x-b"}},
		{"a safelisted name with an unsafe value", []Header{{"Content-Type", "application/json"}}, []string{"content-type"}},
		{"1024 bytes in total stays safe", accept128, nil},
		{"1152 bytes in total makes all unsafe", append(append([]Header{}, accept128...), Header{"Accept", strings.Repeat("a", 128)}), []string{"accept"}},
		{"over 1024 pulls in every safelisted name", append(append([]Header{}, accept128...), Header{"Accept", strings.Repeat("a", 128)}, Header{"Content-Language", "eu"}), []string{"accept", "content-language"}},
		{"1024 plus one byte", append(append([]Header{}, accept128...), Header{"Content-Language", "e"}), []string{"accept", "content-language"}},
		{"more than 64 headers, all safelisted", repeatHeader("Accept", "a", 70), nil},
		{"more than 64 headers, one unsafe", append(repeatHeader("Accept", "a", 70), Header{"X-Z", "1"}), []string{"x-z"}},
		{"more than 64 headers over 1024 bytes", repeatHeader("Accept", strings.Repeat("a", 20), 70), []string{"accept"}},
		{"unsafe values do not count toward 1024", append(append([]Header{}, accept128...), Header{"X-Big", strings.Repeat("a", 500)}), []string{"x-big"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, UnsafeRequestHeaderNames(tt.h)); diff != "" {
				t.Errorf("UnsafeRequestHeaderNames mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExposedHeaderNames(t *testing.T) {
	resp := func(extra ...Header) []Header {
		return append([]Header{
			{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}, {"Content-Length", "3"},
			{"X-A", "1"}, {"x-b", "2"}, {"Set-Cookie", "a=b"}, {"Set-Cookie2", "c=d"}, {"*", "star"}, {"Age", "1"},
		}, extra...)
	}
	tests := []struct {
		name  string
		h     []Header
		cors  bool
		creds Credentials
		want  []string
	}{
		{"safelisted only", resp(), true, CredentialsOmit, []string{"cache-control", "content-length", "content-type"}},
		{"one exposed name", resp(Header{"Access-Control-Expose-Headers", "X-A"}), true, CredentialsOmit, []string{"cache-control", "content-length", "content-type", "x-a"}},
		{"case-insensitive list, two lines", resp(Header{"Access-Control-Expose-Headers", "x-a"}, Header{"Access-Control-Expose-Headers", "X-B, Set-Cookie"}), true, CredentialsInclude, []string{"cache-control", "content-length", "content-type", "x-a", "x-b"}},
		{"parse failure exposes nothing extra", resp(Header{"Access-Control-Expose-Headers", "x a, X-A"}), true, CredentialsOmit, []string{"cache-control", "content-length", "content-type"}},
		{"star without credentials exposes all but set-cookie", resp(Header{"Access-Control-Expose-Headers", "*"}), true, CredentialsSameOrigin, []string{"*", "access-control-expose-headers", "age", "cache-control", "content-length", "content-type", "x-a", "x-b"}},
		{"star with credentials is literal", resp(Header{"Access-Control-Expose-Headers", "*"}), true, CredentialsInclude, []string{"*", "cache-control", "content-length", "content-type"}},
		{"basic response exposes all but set-cookie", resp(), false, CredentialsInclude, []string{"*", "age", "cache-control", "content-length", "content-type", "x-a", "x-b"}},
		{"nothing readable is the empty set", []Header{{"X-A", "1"}}, true, CredentialsOmit, []string{}},
		{"every safelisted name, any case", []Header{{"PRAGMA", "x"}, {"expires", "0"}, {"Last-Modified", "x"}, {"Content-Language", "en"}, {"Server", "x"}, {"Content-Location", "/"}}, true, CredentialsOmit, []string{"content-language", "expires", "last-modified", "pragma"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ExposedHeaderNames(tt.h, tt.cors, tt.creds)); diff != "" {
				t.Errorf("ExposedHeaderNames mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLexHelpers(t *testing.T) {
	for _, s := range []string{"GET", "x-a", "!#$%&'*+-.^_`|~09"} {
		if !IsToken(s) {
			t.Errorf("IsToken(%q) = false", s)
		}
	}
	for _, s := range []string{"", "a b", "a:", `"a"`, "é", "a/b", "a;", "a,b"} {
		if IsToken(s) {
			t.Errorf("IsToken(%q) = true", s)
		}
	}
	if got := NormalizeHeaderValue("\r\n\t x y \t\n"); got != "x y" {
		t.Errorf("NormalizeHeaderValue = %q", got)
	}
	if compareFold("a", "B") >= 0 || compareFold("B", "a") <= 0 || compareFold("ab", "A") <= 0 || compareFold("A", "ab") >= 0 || compareFold("x", "X") != 0 {
		t.Error("compareFold orders wrongly")
	}
	if toLower("X-Ab") != "x-ab" || toLower("x") != "x" {
		t.Error("toLower")
	}
	if !IsForbiddenResponseHeaderName("set-cookie") || IsForbiddenResponseHeaderName("cookie") {
		t.Error("IsForbiddenResponseHeaderName")
	}
}
