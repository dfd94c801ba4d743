package spec

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const (
	page  = "https://app.example"
	api   = "https://api.example/data"
	other = "https://other.example/data"
)

func hdr(kv ...string) []Header {
	var h []Header
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, Header{kv[i], kv[i+1]})
	}
	return h
}

func allowAll(origin string) []Header {
	return hdr("Access-Control-Allow-Origin", origin, "Access-Control-Allow-Credentials", "true",
		"Access-Control-Allow-Methods", "PUT, patch, DELETE", "Access-Control-Allow-Headers", "x-probe, authorization, content-type")
}

func TestJudge(t *testing.T) {
	ok := func(pre bool, exposed ...string) Verdict {
		n := 0
		if pre {
			n = 1
		}
		if exposed == nil {
			exposed = []string{}
		}
		return Verdict{Outcome: Allowed, ResponseType: ResponseCORS, Preflight: pre, Preflights: n, Exposed: exposed}
	}
	blocked := func(stage Stage, r Reason, pre bool) Verdict {
		n := 0
		if pre {
			n = 1
		}
		return Verdict{Outcome: Blocked, Stage: stage, Reason: r, Preflight: pre, Preflights: n}
	}
	basic := func(v Verdict) Verdict {
		v.ResponseType = ResponseBasic
		return v
	}
	get := func(creds Credentials, resp ...string) Exchange {
		return Exchange{Request: Request{Origin: page, URL: api, Method: "GET", Credentials: creds}, Response: Response{Status: 200, Headers: hdr(resp...)}}
	}
	put := func(creds Credentials, pre []Header, h ...Header) Exchange {
		return Exchange{Request: Request{Origin: page, URL: api, Method: "PUT", Headers: h, Credentials: creds},
			Preflight: &Response{Status: 204, Headers: pre},
			Response:  Response{Status: 200, Headers: allowAll(page)}}
	}
	redirectTo := func(loc string, hopHeaders []Header, final []Header) Exchange {
		return Exchange{Request: Request{Origin: page, URL: api, Method: "GET", Credentials: CredentialsOmit},
			Redirects: []Redirect{{Status: 302, Location: loc, Headers: hopHeaders}},
			Response:  Response{Status: 200, Headers: final}}
	}
	star := hdr("Access-Control-Allow-Origin", "*")
	tests := []struct {
		name string
		ex   Exchange
		want Verdict
	}{
		// Request stage.
		{"invalid URL", Exchange{Request: Request{Origin: page, URL: "not a url"}}, blocked(StageRequest, SchemeNotHTTP, false)},
		{"ftp URL", Exchange{Request: Request{Origin: page, URL: "ftp://api.example/x"}}, blocked(StageRequest, SchemeNotHTTP, false)},
		{"userinfo in URL", Exchange{Request: Request{Origin: page, URL: "https://u:p@api.example/"}}, blocked(StageRequest, URLCredentials, false)},
		{"userinfo beats scheme", Exchange{Request: Request{Origin: page, URL: "ftp://u@api.example/"}}, blocked(StageRequest, URLCredentials, false)},
		{"method beats scheme", Exchange{Request: Request{Origin: page, URL: "ftp://api.example/", Method: "TRACE"}}, blocked(StageRequest, MethodForbidden, false)},
		{"method not a token", Exchange{Request: Request{Origin: page, URL: api, Method: "GE T"}}, blocked(StageRequest, MethodInvalid, false)},
		{"forbidden method any case", Exchange{Request: Request{Origin: page, URL: api, Method: "track"}}, blocked(StageRequest, MethodForbidden, false)},
		{"header name not a token", Exchange{Request: Request{Origin: page, URL: api, Headers: hdr("X A", "1")}}, blocked(StageRequest, HeaderInvalid, false)},
		{"header value with LF", Exchange{Request: Request{Origin: page, URL: api, Headers: hdr("X-A", "a\nb")}}, blocked(StageRequest, HeaderInvalid, false)},
		{"GET with body", Exchange{Request: Request{Origin: page, URL: api, HasBody: true}}, blocked(StageRequest, BodyWithGetOrHead, false)},

		// Simple requests and the CORS check.
		{"simple GET star", get(CredentialsOmit, "Access-Control-Allow-Origin", "*", "Content-Type", "text/plain", "X-A", "1"), ok(false, "content-type")},
		{"simple GET missing ACAO", get(CredentialsOmit), blocked(StageResponse, ACAOMissing, false)},
		{"credentialed star", get(CredentialsInclude, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Credentials", "true"), blocked(StageResponse, ACAOWildcardWithCredentials, false)},
		{"credentialed True", get(CredentialsInclude, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "True"), blocked(StageResponse, ACACNotTrue, false)},
		{"credentialed exact", get(CredentialsInclude, "Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true"), ok(false)},
		{"uppercase ACAO", get(CredentialsOmit, "Access-Control-Allow-Origin", "HTTPS://APP.EXAMPLE"), blocked(StageResponse, ACAOMismatch, false)},
		{"two ACAO lines", get(CredentialsOmit, "Access-Control-Allow-Origin", "*", "Access-Control-Allow-Origin", page), blocked(StageResponse, ACAOMultiple, false)},
		{"invalid ACAO", get(CredentialsOmit, "Access-Control-Allow-Origin", "app.example"), blocked(StageResponse, ACAOInvalid, false)},
		{"default credentials mode is same-origin", Exchange{Request: Request{Origin: page, URL: api}, Response: Response{Status: 500, Headers: star}}, ok(false)},
		{"same-origin request needs no CORS", Exchange{Request: Request{Origin: page, URL: "https://APP.example:443/x", Method: "DELETE", Headers: hdr("X-A", "1", "Set-Cookie", "x")}, Response: Response{Status: 200, Headers: hdr("X-B", "1", "Set-Cookie", "a")}}, basic(ok(false, "x-b"))},
		{"opaque origin with null", Exchange{Request: Request{Origin: "null", URL: api}, Response: Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "null")}}, ok(false)},
		{"forbidden header dropped keeps it simple", Exchange{Request: Request{Origin: page, URL: api, Headers: hdr("Cookie", "a=b", "X-HTTP-Method-Override", "TRACE", "Accept", " */* ")}, Response: Response{Status: 200, Headers: star}}, ok(false)},
		{"post with string body stays simple", Exchange{Request: Request{Origin: page, URL: api, Method: "post", HasBody: true}, Response: Response{Status: 200, Headers: star}}, ok(false)},

		// Preflights.
		{"PUT allowed", put(CredentialsOmit, allowAll(page)), ok(true)},
		{"put in ACAM blocks PUT", put(CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "put")), blocked(StagePreflight, MethodNotAllowed, true)},
		{"no preflight answer", Exchange{Request: Request{Origin: page, URL: api, Method: "DELETE"}, Response: Response{Status: 200, Headers: star}}, blocked(StagePreflight, ACAOMissing, true)},
		{"preflight 500", Exchange{Request: Request{Origin: page, URL: api, Method: "DELETE"}, Preflight: &Response{Status: 500, Headers: allowAll(page)}}, blocked(StagePreflight, PreflightStatus, true)},
		{"preflight redirect", Exchange{Request: Request{Origin: page, URL: api, Method: "DELETE"}, Preflight: &Response{Status: 307, Headers: append(allowAll(page), Header{"Location", other})}}, blocked(StagePreflight, PreflightRedirect, true)},
		{"ACAM invalid", put(CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT;")), blocked(StagePreflight, ACAMInvalid, true)},
		{"ACAH invalid", put(CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", `"x"`)), blocked(StagePreflight, ACAHInvalid, true)},
		{"header not allowed", put(CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT"), Header{"X-Probe", "1"}), blocked(StagePreflight, HeaderNotAllowed, true)},
		{"preflight ok, response lacks ACAO", Exchange{Request: Request{Origin: page, URL: api, Method: "PUT"}, Preflight: &Response{Status: 200, Headers: allowAll(page)}, Response: Response{Status: 200}}, blocked(StageResponse, ACAOMissing, true)},
		{"8 x 128-byte Accept plus default none", Exchange{Request: Request{Origin: page, URL: api, Headers: repeatHeader("Accept", strings.Repeat("a", 128), 8)}, Response: Response{Status: 200, Headers: star}}, ok(false)},
		{"9 x 128-byte Accept preflights", Exchange{Request: Request{Origin: page, URL: api, Headers: repeatHeader("Accept", strings.Repeat("a", 128), 9)}, Preflight: &Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Headers", "accept")}, Response: Response{Status: 200, Headers: star}}, ok(true)},
		{"default Accept counts toward 1024", Exchange{Request: Request{Origin: page, URL: api, Headers: repeatHeader("Content-Language", strings.Repeat("a", 128), 8)}, Response: Response{Status: 200, Headers: star}}, blocked(StagePreflight, ACAOMissing, true)},

		// Redirects.
		{"redirect hop without ACAO", redirectTo(other, nil, star), blocked(StageRedirect, ACAOMissing, false)},
		{"redirect to userinfo", redirectTo("https://u:p@other.example/", star, star), blocked(StageRedirect, RedirectCredentials, false)},
		{"redirect to empty userinfo is fine", redirectTo("https://:@other.example/", star, star), ok(false)},
		{"redirect to ftp", redirectTo("ftp://other.example/", star, star), blocked(StageRedirect, RedirectScheme, false)},
		{"redirect to an invalid URL", redirectTo("https://exa mple/", star, star), blocked(StageRedirect, RedirectLocationInvalid, false)},
		{"tainted origin fails an exact ACAO", redirectTo(other, star, hdr("Access-Control-Allow-Origin", page)), blocked(StageResponse, ACAOMismatch, false)},
		{"tainted origin passes null", redirectTo(other, star, hdr("Access-Control-Allow-Origin", "null")), ok(false)},
		{"redirect without Location is final", Exchange{Request: Request{Origin: page, URL: api}, Redirects: []Redirect{{Status: 302, Headers: star}}, Response: Response{Status: 200}}, ok(false)},
		{"21 redirects", Exchange{Request: Request{Origin: page, URL: api}, Redirects: repeatRedirect(21, star), Response: Response{Status: 200, Headers: star}}, blocked(StageRedirect, RedirectLimit, false)},
		{"20 redirects", Exchange{Request: Request{Origin: page, URL: api}, Redirects: repeatRedirect(20, star), Response: Response{Status: 200, Headers: star}}, ok(false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Judge(tt.ex)
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Verdict{}, "Hop", "Detail")); diff != "" {
				t.Errorf("Judge mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func repeatHeader(name, value string, n int) []Header {
	h := make([]Header, n)
	for i := range h {
		h[i] = Header{name, value}
	}
	return h
}

func repeatRedirect(n int, h []Header) []Redirect {
	r := make([]Redirect, n)
	for i := range r {
		r[i] = Redirect{Status: 302, Location: api, Headers: h}
	}
	return r
}

// TestJudgeRedirects covers what a redirect does to the request: method
// rewriting, Authorization removal, taint, and a fresh preflight.
func TestJudgeRedirects(t *testing.T) {
	star := hdr("Access-Control-Allow-Origin", "*")
	preStar := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "content-type, x-w3c")}
	tests := []struct {
		name        string
		ex          Exchange
		wantOutcome Outcome
		wantReason  Reason
		wantSent    []SentRequest
	}{
		{
			name: "POST with JSON and 303 becomes a simple GET",
			ex: Exchange{Request: Request{Origin: page, URL: api, Method: "POST", Headers: hdr("Content-Type", "application/json"), HasBody: true},
				Preflight: preStar, Redirects: []Redirect{{Status: 303, Location: other, Headers: star}}, Response: Response{Status: 200, Headers: star}},
			wantOutcome: Allowed,
			wantSent: []SentRequest{
				{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "POST", ACRH: "content-type"},
				{URL: api, Method: "POST", Origin: page, Headers: hdr("Content-Type", "application/json")},
				{URL: other, Method: "GET", Origin: "null"}, // 303: Content-Type removed with the body
			},
		},
		{
			name: "PUT with 307 keeps PUT and preflights again, from null",
			ex: Exchange{Request: Request{Origin: page, URL: api, Method: "PUT", Headers: hdr("X-W3C", "1")},
				Preflight: preStar, Redirects: []Redirect{{Status: 307, Location: other, Headers: star}}, Response: Response{Status: 200, Headers: star}},
			wantOutcome: Allowed,
			wantSent: []SentRequest{
				{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "PUT", ACRH: "x-w3c"},
				{URL: api, Method: "PUT", Origin: page, Headers: hdr("X-W3C", "1")},
				{Preflight: true, URL: other, Method: "OPTIONS", Origin: "null", ACRM: "PUT", ACRH: "x-w3c"},
				{URL: other, Method: "PUT", Origin: "null", Headers: hdr("X-W3C", "1")},
			},
		},
		{
			name: "Authorization removed on a cross-origin hop: no second preflight",
			ex: Exchange{Request: Request{Origin: page, URL: api, Headers: hdr("Authorization", "Bearer x")},
				Preflight: &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Headers", "authorization")},
				Redirects: []Redirect{{Status: 302, Location: other, Headers: star}}, Response: Response{Status: 200, Headers: star}},
			wantOutcome: Allowed,
			wantSent: []SentRequest{
				{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "GET", ACRH: "authorization"},
				{URL: api, Method: "GET", Origin: page, Headers: hdr("Authorization", "Bearer x")},
				{URL: other, Method: "GET", Origin: "null"}, // Authorization removed
			},
		},
		{
			name: "same-origin hop then cross-origin keeps the origin",
			ex: Exchange{Request: Request{Origin: page, URL: page + "/start", Method: "GET"},
				Redirects: []Redirect{{Status: 302, Location: "/next"}, {Status: 302, Location: api}}, Response: Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", page)}},
			wantOutcome: Allowed,
			wantSent: []SentRequest{
				{URL: page + "/start", Method: "GET"},
				{URL: page + "/next", Method: "GET"},
				{URL: api, Method: "GET", Origin: page},
			},
		},
		{
			name: "cross-origin back to the page origin is tainted",
			ex: Exchange{Request: Request{Origin: page, URL: api, Method: "GET"},
				Redirects: []Redirect{{Status: 302, Location: page + "/back", Headers: star}}, Response: Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", page)}},
			wantOutcome: Blocked, wantReason: ACAOMismatch,
			wantSent: []SentRequest{
				{URL: api, Method: "GET", Origin: page},
				{URL: page + "/back", Method: "GET", Origin: "null"},
			},
		},
		{
			name: "redirect to the page origin with userinfo after cors tainting",
			ex: Exchange{Request: Request{Origin: page, URL: api, Method: "GET"},
				Redirects: []Redirect{{Status: 302, Location: "https://u@app.example/", Headers: star}}, Response: Response{Status: 200, Headers: star}},
			wantOutcome: Blocked, wantReason: RedirectCredentials,
			wantSent: []SentRequest{{URL: api, Method: "GET", Origin: page}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, tr := Explain(tt.ex)
			if v.Outcome != tt.wantOutcome || v.Reason != tt.wantReason {
				t.Errorf("verdict = %s %s, want %s %s", v.Outcome, v.Reason, tt.wantOutcome, tt.wantReason)
			}
			if diff := cmp.Diff(tt.wantSent, tr.Sent, cmpopts.IgnoreFields(SentRequest{}, "Headers")); diff != "" {
				t.Errorf("sent requests mismatch (-want +got):\n%s", diff)
			}
			if len(tr.Steps) == 0 {
				t.Error("Explain recorded no steps")
			}
			if j := Judge(tt.ex); j.Outcome != v.Outcome || j.Reason != v.Reason {
				t.Errorf("Judge and Explain disagree: %v vs %v", j, v)
			}
		})
	}
}

func TestJudgeDoesNotModifyInput(t *testing.T) {
	ex := Exchange{Request: Request{Origin: page, URL: api, Method: "POST", Headers: hdr("Cookie", "x", "Authorization", "a"), HasBody: true},
		Preflight: &Response{Status: 204, Headers: allowAll(page)},
		Redirects: []Redirect{{Status: 302, Location: other, Headers: hdr("Access-Control-Allow-Origin", "*")}},
		Response:  Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*")}}
	before := hdr("Cookie", "x", "Authorization", "a")
	Judge(ex)
	if diff := cmp.Diff(before, ex.Request.Headers); diff != "" {
		t.Errorf("Judge changed the request headers (-before +after):\n%s", diff)
	}
}

func TestReasons(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		if seen[r] {
			t.Errorf("%s listed twice", r)
		}
		seen[r] = true
		if !r.Known() || r.Anchor() == "" || r.Doc() == "" || !strings.HasPrefix(r.SpecURL(), SpecBase+"#") {
			t.Errorf("%s lacks metadata: anchor %q doc %q", r, r.Anchor(), r.Doc())
		}
		if string(r) != strings.ToLower(string(r)) || strings.ContainsAny(string(r), " _") {
			t.Errorf("%s is not kebab-case", r)
		}
		if len(r.Stages()) == 0 {
			t.Errorf("%s has no stage", r)
		}
		// Chrome's report: a CorsError at every stage, or words saying
		// what it shows instead.
		for _, st := range r.Stages() {
			if st != StageRequest && ChromeError(r, st) == "" && r.ChromeReport() == "" {
				t.Errorf("%s at %s: neither a CorsError nor a ChromeReport", r, st)
			}
		}
		if st := r.Stages(); len(st) == 1 && st[0] == StageRequest && ChromeError(r, StageRequest) == "" && r.ChromeReport() == "" {
			t.Errorf("%s: neither a CorsError nor a ChromeReport", r)
		}
	}
	if len(seen) != len(reasons) {
		t.Errorf("Reasons() has %d codes, the metadata table %d", len(seen), len(reasons))
	}
	if Reason("nope").Known() || !ReasonNone.Known() || ReasonNone.SpecURL() != "" {
		t.Error("Known/SpecURL of unknown or empty reasons")
	}
	// Every Chrome CorsError the model names maps back to its reason.
	for _, r := range Reasons() {
		for _, s := range []Stage{StagePreflight, StageResponse} {
			c := ChromeError(r, s)
			if c == "" {
				continue
			}
			back, _, ok := ReasonFromChrome(c)
			if !ok || back != r {
				t.Errorf("ReasonFromChrome(%q) = %q, %v; want %q", c, back, ok, r)
			}
		}
	}
	for name, want := range map[string]Stage{
		"PreflightMissingAllowOriginHeader": StagePreflight, "MissingAllowOriginHeader": StageResponse,
		"PreflightInvalidStatus": StagePreflight, "MethodDisallowedByPreflightResponse": StagePreflight,
		"RedirectContainsCredentials": StageRedirect, "CorsDisabledScheme": StageRequest,
		"DisallowedByMode": StageRedirect, "NoCorsRedirectModeNotFollow": StageRequest,
	} {
		if _, got, _ := ReasonFromChrome(name); got != want {
			t.Errorf("ReasonFromChrome(%q) stage = %q, want %q", name, got, want)
		}
	}
	if _, _, ok := ReasonFromChrome("LocalNetworkAccessPermissionDenied"); ok {
		t.Error("a Private Network Access error mapped to a reason")
	}
	v := Verdict{Outcome: Blocked, Stage: StagePreflight, Reason: ACAOMissing}
	if v.ChromeError() != "PreflightMissingAllowOriginHeader" || v.SpecURL() != SpecBase+"#concept-cors-check" {
		t.Errorf("Verdict helpers: %q %q", v.ChromeError(), v.SpecURL())
	}
}

// TestEveryReasonReached makes sure the judge can return every reason code,
// and only at the stages Reason.Stages lists.
func TestEveryReasonReached(t *testing.T) {
	// Built from TestJudge's exchanges by running them again: each reason
	// must appear at least once.
	reached := map[Reason]bool{}
	for _, ex := range reasonExchanges() {
		v := Judge(ex)
		reached[v.Reason] = true
		if v.Reason != ReasonNone && !slices.Contains(v.Reason.Stages(), v.Stage) {
			t.Errorf("%s blocked at %s, not one of its Stages() %v", v.Reason, v.Stage, v.Reason.Stages())
		}
	}
	for _, r := range Reasons() {
		if !reached[r] {
			t.Errorf("no exchange reaches %s", r)
		}
	}
}

func reasonExchanges() []Exchange {
	star := hdr("Access-Control-Allow-Origin", "*")
	simple := func(resp []Header, creds Credentials) Exchange {
		return Exchange{Request: Request{Origin: page, URL: api, Credentials: creds}, Response: Response{Status: 200, Headers: resp}}
	}
	pre := func(p Response, h ...Header) Exchange {
		return Exchange{Request: Request{Origin: page, URL: api, Method: "PUT", Headers: h}, Preflight: &p, Response: Response{Status: 200, Headers: star}}
	}
	hop := func(loc string, n int) Exchange {
		r := repeatRedirect(n, star)
		r[n-1].Location = loc
		return Exchange{Request: Request{Origin: page, URL: api}, Redirects: r, Response: Response{Status: 200, Headers: star}}
	}
	return []Exchange{
		simple(nil, CredentialsOmit),
		simple(hdr("Access-Control-Allow-Origin", "a, b"), CredentialsOmit),
		simple(star, CredentialsInclude),
		simple(hdr("Access-Control-Allow-Origin", "x"), CredentialsOmit),
		simple(hdr("Access-Control-Allow-Origin", other), CredentialsOmit),
		simple(hdr("Access-Control-Allow-Origin", page), CredentialsInclude),
		pre(Response{Status: 404, Headers: star}),
		pre(Response{Status: 301, Headers: hdr("Location", "/")}),
		pre(Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "a b")}),
		pre(Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "a b")}),
		pre(Response{Status: 200, Headers: star}),
		pre(Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT")}, Header{"X-A", "1"}),
		hop("https://u:p@other.example/", 1),
		hop("https://[", 1),
		hop("ftp://x.example/", 1),
		hop(api, 21),
		{Request: Request{Origin: page, URL: "ftp://x.example/"}},
		{Request: Request{Origin: page, URL: "https://u@x.example/"}},
		{Request: Request{Origin: page, URL: api, Method: "a b"}},
		{Request: Request{Origin: page, URL: api, Method: "CONNECT"}},
		{Request: Request{Origin: page, URL: api, Headers: hdr("a:", "b")}},
		{Request: Request{Origin: page, URL: api, Method: "HEAD", HasBody: true}},
		{Request: Request{Origin: page, URL: api, Method: "PUT", Mode: ModeNoCORS}},
		{Request: Request{Origin: page, URL: api, Mode: ModeNoCORS, Redirect: RedirectManual}},
		{Request: Request{Origin: page, URL: api, Mode: ModeSameOrigin}},
		{Request: Request{Origin: page, URL: api, Redirect: RedirectError}, Redirects: []Redirect{{Status: 302, Location: other, Headers: star}}},
		{Request: Request{Origin: page, URL: api, Method: "POST", HasBody: true, BodyType: BodyStream}, Preflight: &Response{Status: 204, Headers: star},
			Redirects: []Redirect{{Status: 307, Location: other, Headers: star}}},
		{Request: Request{Origin: page, URL: api, Method: "POST", HasBody: true, BodyType: BodyStream, Mode: ModeNoCORS}},
		{Request: Request{Origin: page, URL: api}, Response: Response{Status: 407, Headers: star}},
		{Request: Request{Origin: page, URL: "data:no-comma"}},
		{Request: Request{Origin: page, URL: "blob:https://app.example/x"}},
	}
}

func TestPreflight(t *testing.T) {
	tests := []struct {
		name string
		r    Request
		want SentRequest
		ok   bool
	}{
		{"unsafe names lowercased, sorted, de-duplicated; forbidden dropped",
			Request{Origin: page, URL: api, Method: "put", Headers: hdr("X-B", "1", "x-a", "2", "X-A", "3", "Cookie", "c", "Accept", "*/*")},
			SentRequest{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "PUT", ACRH: "x-a,x-b"}, true},
		{"method kept as written when not normalized", Request{Origin: page, URL: api, Method: "patch"},
			SentRequest{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "patch"}, true},
		{"the implicit Accept pushes 1024 over", Request{Origin: page, URL: api, Headers: repeatHeader("Content-Language", strings.Repeat("a", 128), 8)},
			SentRequest{Preflight: true, URL: api, Method: "OPTIONS", Origin: page, ACRM: "GET", ACRH: "accept,content-language"}, true},
		{"opaque origin", Request{Origin: "null", URL: api, Method: "DELETE"},
			SentRequest{Preflight: true, URL: api, Method: "OPTIONS", Origin: "null", ACRM: "DELETE"}, true},
		{"simple request", Request{Origin: page, URL: api, Method: "POST", Headers: hdr("Content-Type", "text/plain"), HasBody: true}, SentRequest{}, false},
		{"same-origin request", Request{Origin: page, URL: page + "/x", Method: "PUT"}, SentRequest{}, false},
		{"refused by fetch()", Request{Origin: page, URL: api, Method: "TRACE"}, SentRequest{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Preflight(tt.r)
			if ok != tt.ok {
				t.Errorf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Preflight mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReceivedRedirect(t *testing.T) {
	tests := []struct {
		name    string
		headers []Header
		want    Redirect
		ok      bool
	}{
		{"the Location line leaves the headers", []Header{{"Access-Control-Allow-Origin", "*"}, {"location", "/b"}, {"X", "1"}},
			Redirect{Status: 302, Location: "/b", Headers: []Header{{"Access-Control-Allow-Origin", "*"}, {"X", "1"}}}, true},
		{"a second Location stays a header", []Header{{"Location", "/b"}, {"Location", "/c"}},
			Redirect{Status: 302, Location: "/b", Headers: []Header{{"Location", "/c"}}}, true},
		{"no Location", []Header{{"X", "1"}}, Redirect{Status: 302, Headers: []Header{{"X", "1"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ReceivedRedirect(302, tt.headers)
			if diff := cmp.Diff(tt.want, got); diff != "" || ok != tt.ok {
				t.Errorf("ReceivedRedirect() = %v (ok %v), want ok %v; mismatch (-want +got):\n%s", got, ok, tt.ok, diff)
			}
		})
	}
}
