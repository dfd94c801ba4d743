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
	c.Store(put, u, pre, 0, 7200)
	if len(c.Entries) != 2 {
		t.Fatalf("Store made %d entries, want 2 (one method, one header)", len(c.Entries))
	}
	tests := []struct {
		name string
		r    PreflightRequest
		url  string
		now  int64
		want bool
	}{
		{"same request within max-age", put, u, 59, false},
		{"expired", put, u, 60, true},
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
	// Storing again refreshes rather than duplicates.
	cc.Store(credPut, u, pre, 30, 0)
	if len(cc.Entries) != 2 || cc.Entries[0].Expires != 90 {
		t.Errorf("refresh: %d entries, first expires %d; want 2 entries expiring at 90", len(cc.Entries), cc.Entries[0].Expires)
	}

	// `*` entries: any method and header without credentials, never Authorization.
	var sc PreflightCache
	starPre := Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*, authorization")}
	sc.Store(PreflightRequest{Origin: o, Method: "PATCH", Headers: hdr("Authorization", "x")}, u, starPre, 0, 0)
	if sc.NeedsPreflight(PreflightRequest{Origin: o, Method: "DELETE", Headers: hdr("X-Z", "1")}, u, 1) {
		t.Error("* entries should cover any method and header without credentials")
	}
	var sc2 PreflightCache
	sc2.Store(PreflightRequest{Origin: o, Method: "PATCH"}, u, Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*")}, 0, 0)
	if !sc2.NeedsPreflight(PreflightRequest{Origin: o, Method: "GET", Headers: hdr("Authorization", "x")}, u, 1) {
		t.Error("a * header entry must never cover Authorization")
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
	fc.Clear(o, u)
	if len(fc.Entries) != 0 {
		t.Error("Clear left entries")
	}
}
