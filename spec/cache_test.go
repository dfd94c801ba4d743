package spec

import (
	"testing"
)

func TestMaxAge(t *testing.T) {
	acma := func(v ...string) []Header {
		var h []Header
		for _, x := range v {
			h = append(h, Header{"Access-Control-Max-Age", x})
		}
		return h
	}
	tests := []struct {
		name   string
		h      []Header
		limit  int64
		want   int64
		parsed bool
	}{
		{"absent defaults to 5", nil, 0, 5, false},
		{"zero", acma("0"), 0, 0, true},
		{"one", acma("1"), 0, 1, true},
		{"600", acma(" 600 "), 0, 600, true},
		{"7200 under a 7200 cap", acma("7200"), 7200, 7200, true},
		{"7201 capped", acma("7201"), 7200, 7200, true},
		{"86400 without cap", acma("86400"), 0, 86400, true},
		{"negative fails to parse", acma("-1"), 0, 5, false},
		{"plus sign", acma("+5"), 0, 5, false},
		{"fraction", acma("5.5"), 0, 5, false},
		{"unit", acma("5s"), 0, 5, false},
		{"letters", acma("abc"), 0, 5, false},
		{"empty", acma(""), 0, 5, false},
		{"two lines fail (single-valued header)", acma("10", "20"), 0, 5, false},
		{"huge saturates to the cap", acma("99999999999999999999"), 7200, 7200, true},
		{"huge without a cap stays huge", acma("99999999999999999999"), 0, 1 << 62, true},
		{"default capped by a smaller limit", nil, 2, 2, false},
	}
	for _, tt := range tests {
		got, parsed := MaxAge(tt.h, tt.limit)
		if got != tt.want || parsed != tt.parsed {
			t.Errorf("%s: MaxAge = %d, %v; want %d, %v", tt.name, got, parsed, tt.want, tt.parsed)
		}
	}
}

func TestPreflightCache(t *testing.T) {
	const o, u = "https://a.test", "https://b.test/x"
	pre := Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "true",
		"Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "x-a", "Access-Control-Max-Age", "60")}
	put := PreflightRequest{Origin: o, Method: "PUT", Headers: hdr("X-A", "1")}
	var c PreflightCache
	if !c.NeedsPreflight(put, u, 0) {
		t.Fatal("an empty cache must not skip the preflight")
	}
	if age := c.Store(put, u, pre, 0, 7200); age != 60 {
		t.Errorf("Store applied max-age %d, want 60", age)
	}
	if len(c.Entries) != 2 {
		t.Fatalf("Store made %d entries, want 2 (one method, one header)", len(c.Entries))
	}
	tests := []struct {
		name string
		r    PreflightRequest
		url  string
		now  int64 // ms
		want bool
	}{
		{"same request within max-age", put, u, 59_999, false},
		{"expired once 60 s have passed", put, u, 60_000, true},
		{"other URL (query)", put, u + "?q", 1, true},
		{"other origin", PreflightRequest{Origin: "https://c.test", Method: "PUT", Headers: put.Headers}, u, 1, true},
		{"header not cached", PreflightRequest{Origin: o, Method: "PUT", Headers: hdr("X-B", "1")}, u, 1, true},
		{"header cached case-insensitively", PreflightRequest{Origin: o, Method: "PUT", Headers: hdr("x-A", "1")}, u, 1, false},
		{"non-credentialed entry does not serve include", PreflightRequest{Origin: o, Method: "PUT", Credentials: CredentialsInclude}, u, 1, true},
		{"safelisted method needs no entry", PreflightRequest{Origin: o, Method: "GET"}, u, 1, false},
		{"forced safelisted method needs an entry", PreflightRequest{Origin: o, Method: "POST", ForcePreflight: true}, u, 1, true},
	}
	for _, tt := range tests {
		if got := c.NeedsPreflight(tt.r, tt.url, tt.now); got != tt.want {
			t.Errorf("%s: NeedsPreflight = %v, want %v", tt.name, got, tt.want)
		}
	}

	// A credentialed preflight's entries also serve non-credentialed requests.
	var cc PreflightCache
	credPut := put
	credPut.Credentials = CredentialsInclude
	cc.Store(credPut, u, pre, 0, 0)
	if cc.NeedsPreflight(credPut, u, 1) || cc.NeedsPreflight(put, u, 1) {
		t.Error("a credentialed entry should serve both credentialed and non-credentialed requests")
	}
	// Storing again sets the matching entries' max-age; they keep the
	// time they were stored ("removed after max-age seconds have passed
	// since storing the entry").
	cc.Store(credPut, u, Response{Status: 204, Headers: append(hdr("Access-Control-Max-Age", "90"), pre.Headers[:4]...)}, 30_000, 0)
	if len(cc.Entries) != 2 || cc.Entries[0].MaxAge != 90 || cc.Entries[0].Stored != 0 || cc.Entries[0].Expires() != 90_000 {
		t.Errorf("update: %+v; want 2 entries stored at 0 with max-age 90 (expiring at 90000 ms)", cc.Entries)
	}

	// `*` entries: any method and any header but Authorization, whatever
	// the credentials mode of the request they serve.
	var sc PreflightCache
	starPre := Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*, authorization")}
	sc.Store(PreflightRequest{Origin: o, Method: "PATCH", Headers: hdr("Authorization", "x")}, u, starPre, 0, 0)
	if sc.NeedsPreflight(PreflightRequest{Origin: o, Method: "DELETE", Headers: hdr("X-Z", "1")}, u, 1) {
		t.Error("* entries should cover any method and header")
	}
	var sc2 PreflightCache
	sc2.Store(PreflightRequest{Origin: o, Method: "PATCH"}, u, Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*")}, 0, 0)
	if !sc2.NeedsPreflight(PreflightRequest{Origin: o, Method: "GET", Headers: hdr("Authorization", "x")}, u, 1) {
		t.Error("a * header entry must never cover Authorization")
	}
	var sc3 PreflightCache
	credStar := Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", o, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "PUT, *")}
	sc3.Store(PreflightRequest{Origin: o, Method: "PUT", Credentials: CredentialsInclude}, u, credStar, 0, 0)
	if sc3.NeedsPreflight(PreflightRequest{Origin: o, Method: "DELETE", Credentials: CredentialsInclude}, u, 1) {
		t.Error("a method cache entry match is an entry whose method is the method or *: a credentialed * entry serves DELETE")
	}

	// A failed preflight stores nothing; a forced preflight without ACAM caches its method.
	var fc PreflightCache
	fc.Store(put, u, Response{Status: 500, Headers: pre.Headers}, 0, 0)
	if len(fc.Entries) != 0 {
		t.Error("a failed preflight was cached")
	}
	forced := PreflightRequest{Origin: o, Method: "POST", ForcePreflight: true}
	fc.Store(forced, u, Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", o)}, 0, 0)
	if fc.NeedsPreflight(forced, u, 1) {
		t.Error("a forced preflight without ACAM should cache the request's method")
	}
	var ec PreflightCache
	ec.Store(forced, u, Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", o, "Access-Control-Allow-Methods", "")}, 0, 0)
	if !ec.NeedsPreflight(forced, u, 1) {
		t.Error("an empty ACAM is an empty list, not null: the forced method is not cached")
	}
	if n := fc.Clear(o, u); n != 1 || len(fc.Entries) != 0 {
		t.Errorf("Clear removed %d, left %d entries; want 1 and 0", n, len(fc.Entries))
	}

	// Max-age 0 makes entries that never serve; the default is 5 s.
	var zc PreflightCache
	zc.Store(put, u, Response{Status: 204, Headers: append(hdr("Access-Control-Max-Age", "0"), pre.Headers[:4]...)}, 0, 0)
	if !zc.NeedsPreflight(put, u, 0) {
		t.Error("a max-age 0 entry served a request")
	}
	var dc PreflightCache
	dc.Store(put, u, Response{Status: 204, Headers: pre.Headers[:4]}, 1000, 0)
	if dc.NeedsPreflight(put, u, 5999) || !dc.NeedsPreflight(put, u, 6000) {
		t.Error("an entry without Access-Control-Max-Age should serve for 5 s")
	}
}

func TestCacheEntryExpiresSaturates(t *testing.T) {
	e := CacheEntry{MaxAge: 1 << 62, Stored: 5}
	if got := e.Expires(); got != 1<<62 {
		t.Errorf("Expires() = %d, want the saturated 1<<62", got)
	}
}
