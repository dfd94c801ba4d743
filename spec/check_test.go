package spec

import (
	"testing"
)

func acao(v ...string) []Header {
	var h []Header
	for _, x := range v {
		h = append(h, Header{"Access-Control-Allow-Origin", x})
	}
	return h
}

func TestCORSCheck(t *testing.T) {
	const o = "https://a.test"
	withACAC := func(h []Header, v ...string) []Header {
		for _, x := range v {
			h = append(h, Header{"Access-Control-Allow-Credentials", x})
		}
		return h
	}
	tests := []struct {
		name   string
		origin string
		creds  Credentials
		h      []Header
		want   Reason
	}{
		{"exact", o, CredentialsOmit, acao(o), ReasonNone},
		{"surrounding OWS stripped", o, CredentialsOmit, acao(" https://a.test\t"), ReasonNone},
		{"wildcard", o, CredentialsOmit, acao("*"), ReasonNone},
		{"wildcard same-origin mode", o, CredentialsSameOrigin, acao("*"), ReasonNone},
		{"wildcard ignores ACAC", o, CredentialsOmit, withACAC(acao("*"), "false"), ReasonNone},
		{"missing", o, CredentialsOmit, nil, ACAOMissing},
		{"missing on include", o, CredentialsInclude, []Header{{"Access-Control-Allow-Credentials", "true"}}, ACAOMissing},
		{"empty value is present but invalid", o, CredentialsOmit, acao(""), ACAOInvalid},
		{"trailing slash", o, CredentialsOmit, acao("https://a.test/"), ACAOMismatch},
		{"uppercase host", o, CredentialsOmit, acao("https://A.TEST"), ACAOMismatch},
		{"uppercase scheme", o, CredentialsOmit, acao("HTTPS://a.test"), ACAOMismatch},
		{"explicit default port", o, CredentialsOmit, acao("https://a.test:443"), ACAOMismatch},
		{"query suffix", o, CredentialsOmit, acao("https://a.test?"), ACAOMismatch},
		{"other scheme", o, CredentialsOmit, acao("http://a.test"), ACAOMismatch},
		{"subdomain", o, CredentialsOmit, acao("https://sub.a.test"), ACAOMismatch},
		{"null for a tuple origin", o, CredentialsOmit, acao("null"), ACAOMismatch},
		{"null for an opaque origin", "null", CredentialsOmit, acao("null"), ReasonNone},
		{"Null is not null", "null", CredentialsOmit, acao("Null"), ACAOInvalid},
		{"bare host", o, CredentialsOmit, acao("a.test"), ACAOInvalid},
		{"scheme-relative", o, CredentialsOmit, acao("//a.test"), ACAOInvalid},
		{"quoted star", o, CredentialsOmit, acao(`"*"`), ACAOInvalid},
		{"double star", o, CredentialsOmit, acao("**"), ACAOInvalid},
		{"star space star", o, CredentialsOmit, acao("* *"), ACAOMultiple},
		{"two lines of star", o, CredentialsOmit, acao("*", "*"), ACAOMultiple},
		{"two lines star and origin", o, CredentialsOmit, acao("*", o), ACAOMultiple},
		{"two identical origin lines", o, CredentialsOmit, acao(o, o), ACAOMultiple},
		{"list in one line", o, CredentialsOmit, acao("https://x.test, https://a.test"), ACAOMultiple},
		{"space separated", o, CredentialsOmit, acao("https://x.test https://a.test"), ACAOMultiple},
		{"wildcard with credentials", o, CredentialsInclude, withACAC(acao("*"), "true"), ACAOWildcardWithCredentials},
		{"credentials exact true", o, CredentialsInclude, withACAC(acao(o), "true"), ReasonNone},
		{"credentials true with OWS", o, CredentialsInclude, withACAC(acao(o), " true\t"), ReasonNone},
		{"credentials missing", o, CredentialsInclude, acao(o), ACACNotTrue},
		{"credentials True", o, CredentialsInclude, withACAC(acao(o), "True"), ACACNotTrue},
		{"credentials TRUE", o, CredentialsInclude, withACAC(acao(o), "TRUE"), ACACNotTrue},
		{"credentials 1", o, CredentialsInclude, withACAC(acao(o), "1"), ACACNotTrue},
		{"credentials quoted", o, CredentialsInclude, withACAC(acao(o), `"true"`), ACACNotTrue},
		{"credentials two lines", o, CredentialsInclude, withACAC(acao(o), "true", "true"), ACACNotTrue},
		{"credentials for null origin", "null", CredentialsInclude, withACAC(acao("null"), "true"), ReasonNone},
		{"ACAC ignored without include", o, CredentialsOmit, withACAC(acao(o), "false"), ReasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, d := CORSCheck(tt.origin, tt.creds, tt.h); got != tt.want {
				t.Errorf("CORSCheck(%q, %s) = %q (%q), want %q", tt.origin, tt.creds, got, d, tt.want)
			}
		})
	}
}

func TestClassifyAllowOrigin(t *testing.T) {
	tests := []struct {
		h    []Header
		want AllowOriginKind
	}{
		{nil, AllowOriginAbsent},
		{acao("*"), AllowOriginWildcard},
		{acao("null"), AllowOriginNull},
		{acao("https://x.test/path"), AllowOriginOrigin},
		{acao("foo:bar"), AllowOriginOrigin},
		{acao("a", "b"), AllowOriginMultiple},
		{acao("a.test"), AllowOriginInvalid},
		{acao("https://"), AllowOriginInvalid},
	}
	for _, tt := range tests {
		if got, _ := ClassifyAllowOrigin(tt.h); got != tt.want {
			t.Errorf("ClassifyAllowOrigin(%v) = %v, want %v", tt.h, got, tt.want)
		}
	}
}

func TestCheckPreflight(t *testing.T) {
	const o = "https://a.test"
	ok := func(extra ...Header) Response {
		return Response{Status: 204, Headers: append(acao(o), extra...)}
	}
	cred := func(extra ...Header) Response {
		return ok(append([]Header{{"Access-Control-Allow-Credentials", "true"}}, extra...)...)
	}
	acam := func(v string) Header { return Header{"Access-Control-Allow-Methods", v} }
	acah := func(v string) Header { return Header{"Access-Control-Allow-Headers", v} }
	req := func(method string, creds Credentials, h ...Header) PreflightRequest {
		return PreflightRequest{Origin: o, Method: method, Headers: h, Credentials: creds}
	}
	xt := Header{"X-Test", "1"}
	auth := Header{"Authorization", "Bearer x"}
	tests := []struct {
		name string
		r    PreflightRequest
		p    Response
		want Reason
	}{
		{"PUT listed", req("PUT", CredentialsOmit), ok(acam("PUT")), ReasonNone},
		{"put does not allow PUT", req("PUT", CredentialsOmit), ok(acam("put")), MethodNotAllowed},
		{"PATCH does not allow patch", req("patch", CredentialsOmit), ok(acam("PATCH")), MethodNotAllowed},
		{"patch allows patch", req("patch", CredentialsOmit), ok(acam("patch")), ReasonNone},
		{"PATCH not allowed by patch", req("PATCH", CredentialsOmit), ok(acam("patch")), MethodNotAllowed},
		{"safelisted method needs no ACAM", req("GET", CredentialsOmit, xt), ok(acah("x-test")), ReasonNone},
		{"safelisted method with odd ACAM", req("GET", CredentialsOmit, xt), ok(acam("get"), acah("x-test")), ReasonNone},
		{"no ACAM", req("DELETE", CredentialsOmit), ok(), MethodNotAllowed},
		{"empty ACAM", req("DELETE", CredentialsOmit), ok(acam("")), MethodNotAllowed},
		{"forced preflight without ACAM caches its own method", PreflightRequest{Origin: o, Method: "PUT", ForcePreflight: true}, ok(), ReasonNone},
		{"forced preflight with ACAM needs the method", PreflightRequest{Origin: o, Method: "PUT", ForcePreflight: true}, ok(acam("DELETE")), MethodNotAllowed},
		{"star method without credentials", req("SUPER", CredentialsOmit), ok(acam("*")), ReasonNone},
		{"star method with credentials", req("PUT", CredentialsInclude), cred(acam("*")), MethodNotAllowed},
		{"literal star method with credentials", req("*", CredentialsInclude), cred(acam("*")), ReasonNone},
		{"ACAM parse failure", req("PUT", CredentialsOmit), ok(acam("PUT, DEL ETE")), ACAMInvalid},
		{"ACAM failure even for a safelisted method", req("GET", CredentialsOmit, xt), ok(acam("PUT;"), acah("*")), ACAMInvalid},
		{"ACAH parse failure", req("PUT", CredentialsOmit), ok(acam("PUT"), acah("x-a:")), ACAHInvalid},
		{"ACAM fails before ACAH", req("PUT", CredentialsOmit), ok(acam("a b"), acah("x-a:")), ACAMInvalid},
		{"header listed other case", req("PUT", CredentialsOmit, xt), ok(acam("PUT"), acah("X-TEST")), ReasonNone},
		{"header not listed", req("PUT", CredentialsOmit, xt), ok(acam("PUT"), acah("x-test2")), HeaderNotAllowed},
		{"one of two headers missing", req("PUT", CredentialsOmit, xt, Header{"X-Other", "1"}), ok(acam("PUT"), acah("x-test")), HeaderNotAllowed},
		{"star header without credentials", req("PUT", CredentialsOmit, xt), ok(acam("PUT"), acah("*")), ReasonNone},
		{"star header with credentials", req("PUT", CredentialsInclude, xt), cred(acam("PUT"), acah("*")), HeaderNotAllowed},
		{"literal star header with credentials", req("PUT", CredentialsInclude, Header{"*", "1"}), cred(acam("PUT"), acah("*")), ReasonNone},
		{"star never covers Authorization", req("GET", CredentialsOmit, auth), ok(acah("*")), HeaderNotAllowed},
		{"Authorization listed next to star", req("GET", CredentialsOmit, auth), ok(acah("*, authorization")), ReasonNone},
		{"Authorization listed", req("GET", CredentialsInclude, auth), cred(acah("Authorization")), ReasonNone},
		{"safelisted header need not be listed", req("PUT", CredentialsOmit, Header{"Content-Type", "text/plain"}), ok(acam("PUT")), ReasonNone},
		{"unsafe content-type must be listed", req("PUT", CredentialsOmit, Header{"Content-Type", "application/json"}), ok(acam("PUT")), HeaderNotAllowed},
		{"status 199", req("PUT", CredentialsOmit), Response{Status: 199, Headers: append(acao(o), acam("PUT"))}, PreflightStatus},
		{"status 200", req("PUT", CredentialsOmit), Response{Status: 200, Headers: append(acao(o), acam("PUT"))}, ReasonNone},
		{"status 299", req("PUT", CredentialsOmit), Response{Status: 299, Headers: append(acao(o), acam("PUT"))}, ReasonNone},
		{"status 300", req("PUT", CredentialsOmit), Response{Status: 300, Headers: append(acao(o), acam("PUT"))}, PreflightStatus},
		{"status 404", req("PUT", CredentialsOmit), Response{Status: 404, Headers: append(acao(o), acam("PUT"))}, PreflightStatus},
		{"status 500 with bad ACAO reports ACAO", req("PUT", CredentialsOmit), Response{Status: 500}, ACAOMissing},
		{"redirect with Location", req("PUT", CredentialsOmit), Response{Status: 302, Headers: append(acao(o), Header{"Location", "/x"})}, PreflightRedirect},
		{"redirect without Location is a status failure", req("PUT", CredentialsOmit), Response{Status: 302, Headers: acao(o)}, PreflightStatus},
		{"preflight CORS check uses credentials", req("PUT", CredentialsInclude), ok(acam("PUT")), ACACNotTrue},
		{"preflight wildcard with credentials", req("PUT", CredentialsInclude), Response{Status: 204, Headers: []Header{{"Access-Control-Allow-Origin", "*"}, acam("PUT")}}, ACAOWildcardWithCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, d := CheckPreflight(tt.r, tt.p); got != tt.want {
				t.Errorf("CheckPreflight = %q (%q), want %q", got, d, tt.want)
			}
		})
	}
}

func TestCheckPreflightReportsFirstSortedHeader(t *testing.T) {
	r := PreflightRequest{Origin: "https://a.test", Method: "GET", Headers: []Header{{"X-Zed", "1"}, {"x-beta", "1"}, {"X-Alpha", "1"}}}
	p := Response{Status: 200, Headers: append(acao("https://a.test"), Header{"Access-Control-Allow-Headers", "x-alpha"})}
	if got, d := CheckPreflight(r, p); got != HeaderNotAllowed || d != "x-beta" {
		t.Errorf("CheckPreflight = %q %q, want header-not-allowed x-beta", got, d)
	}
}
