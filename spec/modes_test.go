package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// outcome is the comparable summary of a verdict in these tables.
type outcome struct {
	Outcome   Outcome
	Type      ResponseType
	Stage     Stage
	Reason    Reason
	Hop       int
	Preflight bool
	Exposed   []string
}

func summary(v Verdict) outcome {
	return outcome{v.Outcome, v.ResponseType, v.Stage, v.Reason, v.Hop, v.Preflight, v.Exposed}
}

func allowedAs(t ResponseType, pre bool, exposed ...string) outcome {
	if exposed == nil {
		exposed = []string{}
	}
	return outcome{Outcome: Allowed, Type: t, Preflight: pre, Exposed: exposed}
}

func opaqueAs(t ResponseType, pre bool) outcome {
	return outcome{Outcome: Opaque, Type: t, Preflight: pre}
}

func blockedAt(s Stage, r Reason, hop int, pre bool) outcome {
	return outcome{Outcome: Blocked, Stage: s, Reason: r, Hop: hop, Preflight: pre}
}

// TestJudgeModes covers request modes, redirect modes, forced preflights,
// body types and the URLs a browser answers itself. Expectations follow
// fetch.bs: main fetch's switch, HTTP fetch's redirect-mode switch,
// HTTP-redirect fetch, the Request constructor and the Headers guard.
func TestJudgeModes(t *testing.T) {
	star := hdr("Access-Control-Allow-Origin", "*")
	sameURL := page + "/x"
	req := func(r Request) Exchange {
		if r.Origin == "" {
			r.Origin = page
		}
		if r.URL == "" {
			r.URL = api
		}
		return Exchange{Request: r, Response: Response{Status: 200, Headers: hdr("Content-Type", "text/plain", "X-A", "1")}}
	}
	withResp := func(ex Exchange, h []Header) Exchange {
		ex.Response.Headers = h
		return ex
	}
	hop := func(ex Exchange, status int, loc string, h []Header) Exchange {
		ex.Redirects = append(ex.Redirects, Redirect{Status: status, Location: loc, Headers: h})
		return ex
	}
	pre := func(ex Exchange, h ...string) Exchange {
		ex.Preflight = &Response{Status: 204, Headers: hdr(h...)}
		return ex
	}
	tests := []struct {
		name string
		ex   Exchange
		want outcome
		sent []SentRequest // checked when not nil
	}{
		// Mode no-cors: an opaque response, no CORS check anywhere.
		{"no-cors GET to another origin is opaque without ACAO", req(Request{Mode: ModeNoCORS}), opaqueAs(ResponseOpaque, false),
			[]SentRequest{{URL: api, Method: "GET", Headers: hdr("Accept", "*/*")}}},
		{"no-cors POST sends Origin; the guard drops unsafe headers",
			req(Request{Mode: ModeNoCORS, Method: "POST", HasBody: true, Headers: hdr("X-Custom", "1", "Content-Type", "application/json", "Range", "bytes=0-1", "Accept-Language", "fr")}),
			opaqueAs(ResponseOpaque, false),
			[]SentRequest{{URL: api, Method: "POST", Origin: page, Headers: hdr("Accept-Language", "fr", "Content-Type", "text/plain;charset=UTF-8", "Accept", "*/*")}}},
		{"no-cors: a second Accept that makes the combined value unsafe is dropped",
			req(Request{Mode: ModeNoCORS, Headers: hdr("Accept", strings.Repeat("a", 100), "Accept", strings.Repeat("b", 100))}),
			opaqueAs(ResponseOpaque, false),
			[]SentRequest{{URL: api, Method: "GET", Headers: hdr("Accept", strings.Repeat("a", 100))}}},
		{"no-cors drops a Blob's unsafe type", req(Request{Mode: ModeNoCORS, Method: "POST", HasBody: true, BodyType: BlobBody("application/json")}),
			opaqueAs(ResponseOpaque, false), []SentRequest{{URL: api, Method: "POST", Origin: page, Headers: hdr("Accept", "*/*")}}},
		{"no-cors PUT throws", req(Request{Mode: ModeNoCORS, Method: "put"}), blockedAt(StageRequest, NoCORSMethod, 0, false), []SentRequest{}},
		{"no-cors with a stream body throws", req(Request{Mode: ModeNoCORS, Method: "POST", HasBody: true, BodyType: BodyStream}), blockedAt(StageRequest, NoCORSStreamBody, 0, false), nil},
		{"invalid method before no-cors-method", req(Request{Mode: ModeNoCORS, Method: "TRACE"}), blockedAt(StageRequest, MethodForbidden, 0, false), nil},
		{"no-cors-method before an invalid header", req(Request{Mode: ModeNoCORS, Method: "DELETE", Headers: hdr("X A", "1")}), blockedAt(StageRequest, NoCORSMethod, 0, false), nil},
		{"no-cors redirect error to another origin", req(Request{Mode: ModeNoCORS, Redirect: RedirectError}), blockedAt(StageRequest, NoCORSRedirectMode, 0, false), []SentRequest{}},
		{"no-cors redirect manual to another origin", req(Request{Mode: ModeNoCORS, Redirect: RedirectManual}), blockedAt(StageRequest, NoCORSRedirectMode, 0, false), nil},
		{"no-cors redirect error to the page's origin is basic", req(Request{Mode: ModeNoCORS, Redirect: RedirectError, URL: sameURL}),
			allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},
		{"no-cors manual same-origin redirect is opaqueredirect", hop(req(Request{Mode: ModeNoCORS, Redirect: RedirectManual, URL: sameURL}), 302, api, nil),
			opaqueAs(ResponseOpaqueRedirect, false), []SentRequest{{URL: sameURL, Method: "GET", Headers: hdr("Accept", "*/*")}}},
		{"no-cors follows a redirect without CORS checks", hop(req(Request{Mode: ModeNoCORS}), 302, other, nil), opaqueAs(ResponseOpaque, false),
			[]SentRequest{{URL: api, Method: "GET", Headers: hdr("Accept", "*/*")}, {URL: other, Method: "GET", Headers: hdr("Accept", "*/*")}}},
		{"no-cors same-origin then another origin becomes opaque", hop(req(Request{Mode: ModeNoCORS, URL: sameURL}), 302, api, nil), opaqueAs(ResponseOpaque, false), nil},
		{"no-cors to a userinfo Location is not the CORS rule", hop(req(Request{Mode: ModeNoCORS}), 302, "https://u:p@other.example/", nil), opaqueAs(ResponseOpaque, false), nil},
		{"no-cors redirect to ftp", hop(req(Request{Mode: ModeNoCORS}), 302, "ftp://other.example/", nil), blockedAt(StageRedirect, RedirectScheme, 0, false), nil},

		// Mode same-origin.
		{"same-origin mode to another origin", req(Request{Mode: ModeSameOrigin}), blockedAt(StageRequest, ModeSameOriginCrossOrigin, 0, false), []SentRequest{}},
		{"same-origin mode same-origin", req(Request{Mode: ModeSameOrigin, URL: sameURL, Method: "PUT", Headers: hdr("X-A", "1")}), allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},
		{"same-origin mode redirected away", hop(req(Request{Mode: ModeSameOrigin, URL: sameURL}), 302, "/y", nil),
			allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},
		{"same-origin mode redirected to another origin", hop(hop(req(Request{Mode: ModeSameOrigin, URL: sameURL}), 302, "/y", nil), 307, api, nil),
			blockedAt(StageRedirect, ModeSameOriginCrossOrigin, 1, false),
			[]SentRequest{{URL: sameURL, Method: "GET", Headers: hdr("Accept", "*/*")}, {URL: page + "/y", Method: "GET", Headers: hdr("Accept", "*/*")}}},
		{"same-origin mode, data: URL", req(Request{Mode: ModeSameOrigin, URL: "data:,x"}), allowedAs(ResponseBasic, false, "content-type"), nil},

		// Redirect modes.
		{"error mode: CORS check of the redirect first", hop(req(Request{Redirect: RedirectError}), 302, other, nil), blockedAt(StageRedirect, ACAOMissing, 0, false), nil},
		{"error mode: a redirect that passes the CORS check", hop(req(Request{Redirect: RedirectError}), 301, other, star), blockedAt(StageRedirect, RedirectModeError, 0, false),
			[]SentRequest{{URL: api, Method: "GET", Origin: page, Headers: hdr("Accept", "*/*")}}},
		{"error mode: a same-origin redirect", hop(req(Request{Redirect: RedirectError, URL: sameURL}), 302, "/y", nil), blockedAt(StageRedirect, RedirectModeError, 0, false), nil},
		{"error mode: a final 302 without Location", withResp(func() Exchange { ex := req(Request{Redirect: RedirectError}); ex.Response.Status = 302; return ex }(), star),
			blockedAt(StageResponse, RedirectModeError, 0, false), nil},
		{"follow mode: a final 302 without Location reaches script", withResp(func() Exchange { ex := req(Request{}); ex.Response.Status = 302; return ex }(), star),
			allowedAs(ResponseCORS, false), nil},
		{"error mode: a 200 is fine", withResp(req(Request{Redirect: RedirectError}), star), allowedAs(ResponseCORS, false), nil},
		{"manual mode: opaqueredirect after the CORS check", hop(req(Request{Redirect: RedirectManual}), 307, other, star), opaqueAs(ResponseOpaqueRedirect, false),
			[]SentRequest{{URL: api, Method: "GET", Origin: page, Headers: hdr("Accept", "*/*")}}},
		{"manual mode: a redirect failing the CORS check", hop(req(Request{Redirect: RedirectManual}), 307, other, nil), blockedAt(StageRedirect, ACAOMissing, 0, false), nil},
		{"manual mode: a final 303 without Location", withResp(func() Exchange { ex := req(Request{Redirect: RedirectManual}); ex.Response.Status = 303; return ex }(), star),
			opaqueAs(ResponseOpaqueRedirect, false), nil},
		{"manual mode after a preflight", pre(hop(req(Request{Redirect: RedirectManual, Method: "PUT"}), 308, other, star), "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
			opaqueAs(ResponseOpaqueRedirect, true), nil},

		// Forced preflights (XMLHttpRequest with an upload listener).
		{"forced preflight of a safelisted POST", pre(withResp(req(Request{Method: "POST", HasBody: true, ForcePreflight: true}), star), "Access-Control-Allow-Origin", "*"),
			allowedAs(ResponseCORS, true),
			[]SentRequest{{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "POST"}, {URL: api, Method: "POST", Origin: page, Headers: hdr("Content-Type", "text/plain;charset=UTF-8", "Accept", "*/*")}}},
		{"forced preflight answered without ACAO", withResp(req(Request{Method: "GET", ForcePreflight: true}), star), blockedAt(StagePreflight, ACAOMissing, 0, true), nil},
		{"forced PUT without ACAM passes (methods = [PUT])", pre(withResp(req(Request{Method: "PUT", ForcePreflight: true}), star), "Access-Control-Allow-Origin", "*"), allowedAs(ResponseCORS, true), nil},
		{"forced preflight does nothing same-origin", req(Request{URL: sameURL, Method: "POST", HasBody: true, ForcePreflight: true}), allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},

		// Body types.
		{"Blob with an unsafe type preflights", pre(withResp(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("application/json")}), star),
			"Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "content-type"), allowedAs(ResponseCORS, true),
			[]SentRequest{{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "POST", ACRH: "content-type"},
				{URL: api, Method: "POST", Origin: page, Headers: hdr("Content-Type", "application/json", "Accept", "*/*")}}},
		{"Blob with an unsafe type and no ACAH", withResp(pre(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("application/json")}), "Access-Control-Allow-Origin", "*"), star),
			blockedAt(StagePreflight, HeaderNotAllowed, 0, true), nil},
		{"Blob type is lowercased", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("TEXT/Plain")}), star), allowedAs(ResponseCORS, false), nil},
		{"Blob without type adds no Content-Type", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("")}), star), allowedAs(ResponseCORS, false),
			[]SentRequest{{URL: api, Method: "POST", Origin: page, Headers: hdr("Accept", "*/*")}}},
		{"Blob type with a non-ASCII character is emptied", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("application/jsön")}), star), allowedAs(ResponseCORS, false), nil},
		{"script's Content-Type wins over the Blob's", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BlobBody("application/json"), Headers: hdr("Content-Type", "text/plain")}), star),
			allowedAs(ResponseCORS, false), nil},
		{"FormData is safelisted", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BodyFormData}), star), allowedAs(ResponseCORS, false),
			[]SentRequest{{URL: api, Method: "POST", Origin: page, Headers: hdr("Content-Type", FormDataContentType, "Accept", "*/*")}}},
		{"URLSearchParams is safelisted", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BodyURLSearchParams}), star), allowedAs(ResponseCORS, false), nil},
		{"a stream body forces a preflight", withResp(req(Request{Method: "POST", HasBody: true, BodyType: BodyStream}), star), blockedAt(StagePreflight, ACAOMissing, 0, true), nil},
		{"a stream body and a 307", pre(hop(req(Request{Method: "POST", HasBody: true, BodyType: BodyStream}), 307, other, star), "Access-Control-Allow-Origin", "*"),
			blockedAt(StageRedirect, RedirectStreamBody, 0, true), nil},
		{"a stream body and a 301", pre(hop(req(Request{Method: "PUT", HasBody: true, BodyType: BodyStream}), 301, other, star), "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT"),
			blockedAt(StageRedirect, RedirectStreamBody, 0, true), nil},
		{"a stream body and a 303 becomes a GET, still forced", pre(withResp(hop(req(Request{Method: "POST", HasBody: true, BodyType: BodyStream}), 303, other, star), star), "Access-Control-Allow-Origin", "*"),
			allowedAs(ResponseCORS, true),
			[]SentRequest{{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "POST"}, {URL: api, Method: "POST", Origin: page, Headers: hdr("Accept", "*/*")},
				{Preflight: true, URL: other, Method: "OPTIONS", Origin: "null", ACRM: "GET"}, {URL: other, Method: "GET", Origin: "null", Headers: hdr("Accept", "*/*")}}},
		{"a stream body and a redirect's CORS check fails first", pre(hop(req(Request{Method: "POST", HasBody: true, BodyType: BodyStream}), 307, other, nil), "Access-Control-Allow-Origin", "*"),
			blockedAt(StageRedirect, ACAOMissing, 0, true), nil},
		{"a same-origin stream body and a same-origin 307", hop(req(Request{URL: sameURL, Mode: ModeSameOrigin, Method: "POST", HasBody: true, BodyType: BodyStream}), 307, "/y", nil),
			blockedAt(StageRedirect, RedirectStreamBody, 0, false), nil},

		// URLs the browser answers itself.
		{"data: URL in cors mode", req(Request{URL: "data:text/plain,hello"}), allowedAs(ResponseBasic, false, "content-type"), []SentRequest{}},
		{"data: URL with a method and a body", req(Request{URL: "data:,x", Method: "PUT", HasBody: true}), allowedAs(ResponseBasic, false, "content-type"), []SentRequest{}},
		{"data: URL without a comma", req(Request{URL: "data:text/plain"}), blockedAt(StageRequest, DataURLInvalid, 0, false), nil},
		{"data: URL with bad base64", req(Request{URL: "data:;base64,@@@@"}), blockedAt(StageRequest, DataURLInvalid, 0, false), nil},
		{"data: URL with good base64", req(Request{URL: "data:;base64,aGk%3D"}), allowedAs(ResponseBasic, false, "content-type"), nil},
		{"data: URL from an opaque origin", req(Request{Origin: "null", URL: "data:,x"}), allowedAs(ResponseBasic, false, "content-type"), nil},
		{"about:blank in cors mode", req(Request{URL: "about:blank"}), blockedAt(StageRequest, SchemeNotHTTP, 0, false), nil},
		{"about:blank in no-cors mode", req(Request{URL: "about:blank", Mode: ModeNoCORS}), opaqueAs(ResponseOpaque, false), []SentRequest{}},
		{"about:srcdoc in no-cors mode", req(Request{URL: "about:srcdoc", Mode: ModeNoCORS}), blockedAt(StageRequest, SchemeNotHTTP, 0, false), nil},
		{"about:blank in same-origin mode", req(Request{URL: "about:blank", Mode: ModeSameOrigin}), blockedAt(StageRequest, ModeSameOriginCrossOrigin, 0, false), nil},
		{"blob: URL of the page's origin names no Blob", req(Request{URL: "blob:https://app.example/0f0e4c1a-95f4-4d35-b3b7-7f3c1b0f2f6e"}), blockedAt(StageRequest, BlobURLUnresolved, 0, false), []SentRequest{}},
		{"blob: URL with POST", req(Request{URL: "blob:https://app.example/0f0e", Method: "POST", HasBody: true}), blockedAt(StageRequest, BlobURLUnresolved, 0, false), nil},
		{"blob: URL of another origin", req(Request{URL: "blob:https://api.example/0f0e"}), blockedAt(StageRequest, SchemeNotHTTP, 0, false), nil},
		{"blob: URL of another origin, no-cors", req(Request{URL: "blob:https://api.example/0f0e", Mode: ModeNoCORS}), blockedAt(StageRequest, BlobURLUnresolved, 0, false), nil},
		{"blob: URL of another origin, same-origin mode", req(Request{URL: "blob:https://api.example/0f0e", Mode: ModeSameOrigin}), blockedAt(StageRequest, ModeSameOriginCrossOrigin, 0, false), nil},

		// 407: handled in HTTP-network-or-cache fetch, before the CORS check.
		{"407 with ACAO *", withResp(func() Exchange { ex := req(Request{}); ex.Response.Status = 407; return ex }(), star), blockedAt(StageResponse, ProxyAuthRequired, 0, false), nil},
		{"407 same-origin", func() Exchange { ex := req(Request{URL: sameURL}); ex.Response.Status = 407; return ex }(), blockedAt(StageResponse, ProxyAuthRequired, 0, false), nil},
		{"407 no-cors", func() Exchange { ex := req(Request{Mode: ModeNoCORS}); ex.Response.Status = 407; return ex }(), blockedAt(StageResponse, ProxyAuthRequired, 0, false), nil},
		{"407 to the preflight", func() Exchange {
			ex := pre(req(Request{Method: "PUT"}), "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT")
			ex.Preflight.Status = 407
			return ex
		}(), blockedAt(StagePreflight, ProxyAuthRequired, 0, true), nil},
		{"401 under cors tainting is a response", withResp(func() Exchange { ex := req(Request{}); ex.Response.Status = 401; return ex }(), append(hdr("WWW-Authenticate", "Basic"), star...)), allowedAs(ResponseCORS, false), nil},

		// Location: extracted per its ABNF (URI-reference) before parsing.
		{"Location with a space", hop(req(Request{}), 302, "/a b", star), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"Location with a pipe", hop(req(Request{}), 302, "/a|b", star), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"Location with raw UTF-8", hop(req(Request{}), 302, "/café", star), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"Location percent-encoded", withResp(hop(req(Request{}), 302, "/caf%C3%A9?q=1#f", star), star), allowedAs(ResponseCORS, false), nil},
		{"Location with a bad percent", hop(req(Request{}), 302, "/a%2", star), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"two Location lines", hop(req(Request{}), 302, other, append(hdr("Location", other), star...)), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"Location with surrounding spaces", withResp(hop(req(Request{}), 302, "  /y  ", star), star), allowedAs(ResponseCORS, false), nil},
		{"Location with a first segment colon", hop(req(Request{}), 302, "1a:b", star), blockedAt(StageRedirect, RedirectLocationInvalid, 0, false), nil},
		{"Location to an IPv6 host", withResp(hop(req(Request{}), 302, "https://[2001:db8::1]/x", star), star), allowedAs(ResponseCORS, false), nil},

		// Header values are ByteStrings.
		{"Latin-1 header value", withResp(pre(req(Request{Headers: hdr("X-Name", "é")}), "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "x-name"), star), allowedAs(ResponseCORS, true), nil},
		{"a header value above U+00FF throws", req(Request{Headers: hdr("X-Name", "€")}), blockedAt(StageRequest, HeaderInvalid, 0, false), nil},
		{"ByteString conversion comes before the URL's userinfo", req(Request{URL: "https://u:p@api.example/", Headers: hdr("X-Name", "値")}), blockedAt(StageRequest, HeaderInvalid, 0, false), nil},
		{"ByteString conversion comes before the method check", req(Request{Method: "TRACE", Headers: hdr("X-Name", "値")}), blockedAt(StageRequest, HeaderInvalid, 0, false), nil},
		{"ByteString conversion comes before no-cors-method", req(Request{Method: "PUT", Mode: ModeNoCORS, Headers: hdr("X-Name", "値")}), blockedAt(StageRequest, HeaderInvalid, 0, false), nil},
		{"a name that is not a token comes after the method check", req(Request{Method: "TRACE", Headers: hdr("X Name", "1")}), blockedAt(StageRequest, MethodForbidden, 0, false), nil},

		// IPv6 hosts compare once parsed.
		{"an IPv6 URL spelled otherwise is same-origin", req(Request{Origin: "https://[2001:db8::1]", URL: "https://[2001:DB8:0:0::1]/data", Method: "PUT"}), allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},
		{"a v4-mapped IPv6 URL in dotted form is same-origin", req(Request{Origin: "https://[::ffff:c000:201]", URL: "https://[::ffff:192.0.2.1]:443/x"}), allowedAs(ResponseBasic, false, "content-type", "x-a"), nil},
		{"an IPv6 origin fetching another address", withResp(req(Request{Origin: "https://[2001:db8::1]", URL: "https://[2001:db8::2]/x"}), hdr("Access-Control-Allow-Origin", "https://[2001:db8::1]")), allowedAs(ResponseCORS, false), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, tr := Explain(tt.ex)
			if diff := cmp.Diff(tt.want, summary(v)); diff != "" {
				t.Errorf("Explain mismatch (-want +got):\n%s\nsteps: %v", diff, tr.Steps)
			}
			if tt.sent != nil {
				got := tr.Sent
				if got == nil {
					got = []SentRequest{}
				}
				if diff := cmp.Diff(tt.sent, got); diff != "" {
					t.Errorf("sent requests mismatch (-want +got):\n%s", diff)
				}
			}
			if diff := cmp.Diff(summary(v), summary(Judge(tt.ex))); diff != "" {
				t.Errorf("Judge and Explain disagree (-explain +judge):\n%s", diff)
			}
		})
	}
}
