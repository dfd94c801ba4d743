package browser

import (
	"archive/zip"
	"bufio"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// Messages as Firefox 153.8.0esr logged them (log.entryAdded text, or the
// TypeError message), with the key of the entry each must match.
func TestFirefoxWordsMatchObservedMessages(t *testing.T) {
	const u = "https://api.example/__cc/3f7b8d154b0e0-16/acah/x"
	pre := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + u + ". (Reason: "
	tests := []struct {
		words []firefoxWord
		text  string
		key   string // "" when no entry may match
	}{
		{firefoxConsoleWords, pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.", "CORSMissingAllowOrigin2"},
		{firefoxConsoleWords, pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 301.", "CORSMissingAllowOrigin2"},
		{firefoxConsoleWords, pre + "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed).", "CORSMultipleAllowOriginNotAllowed"},
		{firefoxConsoleWords, pre + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘https://app.example, https://other.example’).", "CORSAllowOriginNotMatchingOrigin"},
		{firefoxConsoleWords, pre + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘’).", "CORSAllowOriginNotMatchingOrigin"},
		{firefoxConsoleWords, "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘" + u + "’. (Reason: Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’).", "CORSNotSupportingCredentials"},
		{firefoxConsoleWords, pre + "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’).", "CORSMissingAllowCredentials"},
		{firefoxConsoleWords, pre + "CORS request external redirect not allowed).", "CORSExternalRedirectNotAllowed"},
		{firefoxConsoleWords, pre + "CORS preflight response did not succeed). Status code: 500.", "CORSPreflightDidNotSucceed3"},
		{firefoxConsoleWords, pre + "invalid token ‘x y’ in CORS header ‘Access-Control-Allow-Methods’).", "CORSInvalidAllowMethod"},
		{firefoxConsoleWords, pre + "invalid token ‘x-a;’ in CORS header ‘Access-Control-Allow-Headers’).", "CORSInvalidAllowHeader"},
		{firefoxConsoleWords, pre + "Did not find method in CORS header ‘Access-Control-Allow-Methods’).", "CORSMethodNotFound"},
		{firefoxConsoleWords, pre + "header ‘x-probe’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response).", "CORSMissingAllowHeaderFromPreflight2"},
		{firefoxConsoleWords, "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ftp://api.example/data. (Reason: CORS request not http).", "CORSRequestNotHttp"},
		{firefoxConsoleWords, "Security Error: Content at http://app.example/__crosscheck/page may not load or link to file:///etc/hosts.", "CheckLoadURIError"},
		{firefoxConsoleWords, pre + "CORS request did not succeed). Status code: (null).", "CORSDidNotSucceed2"},
		{firefoxConsoleWords, "Blocked loading mixed active content “http://api.example/x”", ""},
		{firefoxNoReason, pre + "CORS disabled).", "CORSDisabled"},
		{firefoxTypeErrors, "Window.fetch: https://user:pass@api.example/__cc/t-22/data is an url with embedded credentials.", "MSG_URL_HAS_CREDENTIALS"},
		{firefoxTypeErrors, "Window.fetch: Invalid request method M SEARCH.", "MSG_INVALID_REQUEST_METHOD"},
		{firefoxTypeErrors, "Window.fetch: Invalid request method TRACE.", "MSG_INVALID_REQUEST_METHOD"},
		{firefoxTypeErrors, "Window.fetch: x test is an invalid header name.", "MSG_INVALID_HEADER_NAME"},
		{firefoxTypeErrors, "Window.fetch: a\nb is an invalid header value.", "MSG_INVALID_HEADER_VALUE"},
		{firefoxTypeErrors, "Window.fetch: HEAD or GET Request cannot have a body.", "Request: HEAD or GET with a body"},
		{firefoxTypeErrors, "Window.fetch: 'foo' is not a valid URL.", ""},
		{firefoxTypeErrors, "Window.fetch: Cannot convert element of element of sequence<sequence<ByteString>> branch of (sequence<sequence<ByteString>> or record<ByteString, ByteString>) to ByteString because the character at index 0 has value 26085 which is greater than 255.", "MSG_INVALID_BYTESTRING"},
		{firefoxTypeErrors, "XMLHttpRequest.setRequestHeader: Cannot convert argument 2 to ByteString because the character at index 0 has value 26085 which is greater than 255.", "MSG_INVALID_BYTESTRING"},
		{firefoxTypeErrors, "XMLHttpRequest.open: Invalid request method M SEARCH.", "MSG_INVALID_REQUEST_METHOD"},
		{firefoxTypeErrors, "Request.fetch: Invalid request method PUT.", ""},
		{firefoxConsoleWords, "Security Error: Content at https://app.example/__crosscheck/page may not load data from https://api.example/__cc/3f7b8d154b0e0-16/data.", "CheckSameOriginError"},
		{firefoxConsoleWords, "Security Error: Content at moz-nullprincipal:{5a7d0161-91f7-4ed6-b29b-0be25550c710}?https://app.example/__crosscheck/opaque may not load data from https://app.example/__cc/3f7b8d154b0e0-17/data.", "CheckSameOriginError"},
		{firefoxConsoleWords, "Security Error: Content at https://app.example/__crosscheck/page may not load data from about:blank.", "CheckSameOriginError"},
		{firefoxConsoleWords, "Security Error: Content at https://app.example/__crosscheck/page may not load data from blob:https://other.example/0b1e7c4e-5d2a-4f7e-9c1d-000000000001.", "CheckSameOriginError"},
	}
	for _, tt := range tests {
		w, ok := matchWord(tt.words, tt.text)
		if got := map[bool]string{true: w.key}[ok]; got != tt.key {
			t.Errorf("matchWord(%q) = %q, want %q", tt.text, got, tt.key)
		}
	}
}

func TestFirefoxWordPick(t *testing.T) {
	notMatching, _ := matchWord(firefoxConsoleWords, "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/x. (Reason: CORS header ‘Access-Control-Allow-Origin’ does not match ‘x’).")
	tests := []struct {
		want, got spec.Reason
	}{
		{spec.ACAOInvalid, spec.ACAOInvalid},   // a reason the message stands for is the table's
		{spec.ACAOMultiple, spec.ACAOMultiple}, // a single line with a comma
		{spec.ACAOMissing, spec.ACAOMismatch},  // else the first: a disagreement
		{"", spec.ACAOMismatch},
	}
	for _, tt := range tests {
		if got := notMatching.pick(tt.want); got != tt.got {
			t.Errorf("CORSAllowOriginNotMatchingOrigin.pick(%q) = %q, want %q", tt.want, got, tt.got)
		}
	}
}

// TestFirefoxWordsReasonsKnown: every reason in the table is one of the
// model's.
func TestFirefoxWordsReasonsKnown(t *testing.T) {
	for _, list := range [][]firefoxWord{firefoxConsoleWords, firefoxNoReason, firefoxTypeErrors} {
		for _, w := range list {
			for _, r := range w.reasons {
				if r == "" || !r.Known() {
					t.Errorf("%s: reason %q is not a model reason", w.key, r)
				}
			}
		}
	}
}

// TestFirefoxWordsCoverSecurityProperties reads the CORS templates of the
// installed Firefox's security.properties (and caps.properties) from its
// omni.ja, fills each with sample arguments, and checks that the table
// maps it to the entry of the same key, and that every CORS template of
// the file has an entry: a template Firefox renames or adds fails here.
func TestFirefoxWordsCoverSecurityProperties(t *testing.T) {
	exe := firefoxUnderTest.need(t)
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		t.Fatal(err)
	}
	props := readOmniProperties(t, filepath.Join(filepath.Dir(real), "omni.ja"),
		"chrome/en-US/locale/en-US/global/security/security.properties",
		"chrome/en-US/locale/en-US/global/security/caps.properties")
	args := map[string][]string{
		"CORSAllowOriginNotMatchingOrigin":     {"https://other.example"},
		"CORSInvalidAllowMethod":               {"x y"},
		"CORSInvalidAllowHeader":               {"x y"},
		"CORSMissingAllowHeaderFromPreflight2": {"x-test"},
		"CORSMissingAllowOrigin2":              {"200"},
		"CORSPreflightDidNotSucceed3":          {"500"},
		"CORSDidNotSucceed2":                   {"(null)"},
	}
	const u = "https://api.example/__cc/t-1/data"
	fill := func(key, tmpl string) string {
		s := strings.ReplaceAll(tmpl, "%1$S", u)
		for i, a := range args[key] {
			s = strings.ReplaceAll(s, "%"+string(rune('2'+i))+"$S", a)
		}
		if key == "CheckLoadURIError" || key == "CheckSameOriginError" {
			s = strings.Replace(strings.Replace(s, "%S", "http://app.example/p", 1), "%S", "file:///etc/hosts", 1)
		}
		return s
	}
	words := append(append([]firefoxWord(nil), firefoxConsoleWords...), firefoxNoReason...)
	inTable := map[string]bool{}
	for _, w := range words {
		inTable[w.key] = true
		tmpl, ok := props[w.key]
		if !ok {
			t.Errorf("%s: no such template in the installed Firefox's properties", w.key)
			continue
		}
		text := fill(w.key, tmpl)
		if got, ok := matchWord(words, text); !ok || got.key != w.key {
			t.Errorf("%s filled (%q) matches %q, want itself", w.key, text, got.key)
		}
	}
	for key := range props {
		// The deprecation warning is logged as a warning, which BiDi's
		// log.entryAdded does not forward as an error.
		if strings.HasPrefix(key, "CORS") && key != "CORSAllowHeaderFromPreflightDeprecation" && !inTable[key] {
			t.Errorf("security.properties has %s=%s, which the table does not map", key, props[key])
		}
	}
}

// readOmniProperties reads the named .properties files from a Firefox
// omni.ja (a zip archive) into one key→template map.
func readOmniProperties(t *testing.T, omni string, names ...string) map[string]string {
	t.Helper()
	z, err := zip.OpenReader(omni)
	if err != nil {
		t.Fatalf("open %s: %v", omni, err)
	}
	defer z.Close()
	out := map[string]string{}
	for _, name := range names {
		f, err := z.Open(name)
		if err != nil {
			t.Fatalf("%s: %s: %v", omni, name, err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", omni, name, err)
		}
		s := bufio.NewScanner(strings.NewReader(string(data)))
		for s.Scan() {
			line := strings.TrimSpace(s.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if k, v, ok := strings.Cut(line, "="); ok {
				out[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

func TestJudgeFirefox(t *testing.T) {
	const pre = "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/__cc/t-1/data. (Reason: "
	didNotSucceed := pre + "CORS request did not succeed). Status code: (null)."
	get := Received{Method: "GET", Scheme: "https", Host: "api.example", Path: "/data", Origin: "https://app.example", HasOrigin: true}
	options := Received{Preflight: true, Method: "OPTIONS", Scheme: "https", Host: "api.example", Path: "/data", ACRM: "PUT"}
	redirected := get
	redirected.Hop = 1
	networkError := JSResult{Name: "TypeError", Message: firefoxNetworkError}
	plain := &cases.Case{ID: "t/plain", Response: cases.Response{Status: 200, Headers: []cases.Header{{"Content-Type", "text/plain"}, {"X-A", "1"}}}}
	oneRedirect := &cases.Case{ID: "t/redirect", Redirects: []cases.Redirect{{Status: 302, Location: "https://other.example/x"}}}
	yes, no := true, false
	type want struct {
		outcome spec.Outcome
		stage   spec.Stage
		reason  spec.Reason
		exposed []string
		pre     *bool
		err     bool
	}
	tests := []struct {
		name  string
		c     *cases.Case
		table spec.Reason // the reason the table wants
		o     Observation
		want  want
	}{
		{"allowed: the headers script read that the case set", plain, "",
			Observation{JS: JSResult{OK: true, Status: 200, Headers: []string{"content-type", "x-a", "content-length"}}, Received: []Received{get}},
			want{outcome: spec.Allowed, exposed: []string{"content-type", "x-a"}, pre: &no}},
		{"missing ACAO on the response", plain, spec.ACAOMissing,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200."}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, reason: spec.ACAOMissing, pre: &no}},
		{"missing ACAO on the preflight: the server's log says preflight", plain, spec.ACAOMissing,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.", didNotSucceed}, Received: []Received{options}, ErrorText: "NS_ERROR_DOM_BAD_URI"},
			want{outcome: spec.Blocked, stage: spec.StagePreflight, reason: spec.ACAOMissing, pre: &yes}},
		{"missing ACAO on a redirect", oneRedirect, spec.ACAOMissing,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 302.", didNotSucceed}, Received: []Received{get}, ErrorText: "NS_ERROR_UNEXPECTED"},
			want{outcome: spec.Blocked, stage: spec.StageRedirect, reason: spec.ACAOMissing, pre: &no}},
		{"the final response after a redirect", oneRedirect, spec.ACAOMismatch,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘https://app.example’)."}, Received: []Received{get, redirected}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, reason: spec.ACAOMismatch, pre: &no}},
		{"a coarse message agrees with the reason it stands for", plain, spec.ACAOInvalid,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘app.example’)."}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, reason: spec.ACAOInvalid, pre: &no}},
		{"a coarse message names its first reason when the table wants another", plain, spec.ACAOMissing,
			Observation{JS: networkError, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ does not match ‘https://other.example’)."}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, reason: spec.ACAOMismatch, pre: &no}},
		{"the specific message before the generic one decides", plain, spec.MethodNotAllowed,
			Observation{JS: networkError, Console: []string{didNotSucceed, pre + "Did not find method in CORS header ‘Access-Control-Allow-Methods’)."}, Received: []Received{options}, ErrorText: "NS_ERROR_DOM_BAD_URI"},
			want{outcome: spec.Blocked, stage: spec.StagePreflight, reason: spec.MethodNotAllowed, pre: &yes}},
		{"a preflight redirect: the first specific message", plain, spec.PreflightRedirect,
			Observation{JS: networkError, Console: []string{pre + "CORS request external redirect not allowed).", pre + "CORS preflight response did not succeed). Status code: 302.", didNotSucceed}, Received: []Received{options}},
			want{outcome: spec.Blocked, stage: spec.StagePreflight, reason: spec.PreflightRedirect, pre: &yes}},
		{"only the generic message after a redirect: redirect stage, no reason", oneRedirect, spec.RedirectCredentials,
			Observation{JS: networkError, Console: []string{didNotSucceed}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageRedirect, pre: &no}},
		{"nothing logged after 21 requests: redirect stage, no reason", oneRedirect, spec.RedirectLimit,
			Observation{JS: networkError, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageRedirect, pre: &no}},
		{"nothing logged, nothing sent (a ws: URL): request stage, no reason", plain, spec.SchemeNotHTTP,
			Observation{JS: networkError},
			want{outcome: spec.Blocked, stage: spec.StageRequest, pre: &no}},
		{"not http after a redirect is a redirect-scheme", oneRedirect, spec.RedirectScheme,
			Observation{JS: networkError, Console: []string{"Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ftp://other.example/x. (Reason: CORS request not http)."}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageRedirect, reason: spec.RedirectScheme, pre: &no}},
		{"a forbidden method", plain, spec.MethodForbidden,
			Observation{JS: JSResult{Name: "TypeError", Message: "Window.fetch: Invalid request method TRACE."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.MethodForbidden, pre: &no}},
		{"the same message when the table wants nothing", plain, "",
			Observation{JS: JSResult{Name: "TypeError", Message: "Window.fetch: Invalid request method TRACE."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.MethodInvalid, pre: &no}},
		{"a method no-cors mode refuses: the same message", plain, spec.NoCORSMethod,
			Observation{JS: JSResult{Name: "TypeError", Message: "Window.fetch: Invalid request method PUT."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.NoCORSMethod, pre: &no}},
		{"a header value that is no ByteString", plain, spec.HeaderInvalid,
			Observation{JS: JSResult{Name: "TypeError", Message: "XMLHttpRequest.setRequestHeader: Cannot convert argument 2 to ByteString because the character at index 1 has value 8364 which is greater than 255."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.HeaderInvalid, pre: &no}},
		{"an XMLHttpRequest error event is a network error, judged by the words", plain, spec.ACAOMissing,
			Observation{JS: JSResult{XHRError: true, Name: "error", Message: "XMLHttpRequest error event"}, Console: []string{pre + "CORS header ‘Access-Control-Allow-Origin’ missing). Status code: 200.", didNotSucceed}, Received: []Received{options}},
			want{outcome: spec.Blocked, stage: spec.StagePreflight, reason: spec.ACAOMissing, pre: &yes}},
		{"an XMLHttpRequest error event without words: the log's stage, no reason", plain, spec.ACAOMissing,
			Observation{JS: JSResult{XHRError: true, Name: "error", Message: "XMLHttpRequest error event"}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, pre: &no}},
		{"an event named error without the XMLHttpRequest flag is not a verdict", plain, "",
			Observation{JS: JSResult{Name: "error", Message: "XMLHttpRequest error event"}},
			want{outcome: spec.Blocked, err: true}},
		{"mode same-origin to another origin: nothing sent, request stage", plain, spec.ModeSameOriginCrossOrigin,
			Observation{JS: networkError, Console: []string{"Security Error: Content at https://app.example/__crosscheck/page may not load data from https://api.example/__cc/t-1/data."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.ModeSameOriginCrossOrigin, pre: &no}},
		{"mode same-origin redirected to another origin: redirect stage", oneRedirect, spec.ModeSameOriginCrossOrigin,
			Observation{JS: networkError, Console: []string{"Security Error: Content at https://app.example/__crosscheck/page may not load data from https://other.example/__cc/t-1/x."}, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageRedirect, reason: spec.ModeSameOriginCrossOrigin, pre: &no}},
		{"another origin's blob: URL stands for the scheme rule in cors mode", plain, spec.SchemeNotHTTP,
			Observation{JS: networkError, Console: []string{"Security Error: Content at https://app.example/__crosscheck/page may not load data from blob:https://other.example/0b1e7c4e-5d2a-4f7e-9c1d-000000000001."}},
			want{outcome: spec.Blocked, stage: spec.StageRequest, reason: spec.SchemeNotHTTP, pre: &no}},
		{"an unknown TypeError is not a verdict", plain, "",
			Observation{JS: JSResult{Name: "TypeError", Message: "Window.fetch: something new."}},
			want{outcome: spec.Blocked, err: true}},
		{"a timeout is not a verdict", plain, "",
			Observation{JS: JSResult{Name: "TimeoutError", Message: "The operation timed out."}},
			want{outcome: spec.Blocked, err: true}},
		{"CORS turned off names no rule", plain, "",
			Observation{JS: networkError, Console: []string{pre + "CORS disabled)."}, Received: []Received{get}},
			want{outcome: spec.Blocked, err: true}},
		{"a response answered, then silence: response stage, no reason", plain, spec.ACAOMissing,
			Observation{JS: networkError, Received: []Received{get}},
			want{outcome: spec.Blocked, stage: spec.StageResponse, pre: &no}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := judgeFirefox(tt.c, cases.Result{Reason: tt.table}, &tt.o)
			if (err != nil) != tt.want.err {
				t.Fatalf("judgeFirefox error = %v, want error %v", err, tt.want.err)
			}
			if err != nil {
				return
			}
			got := want{outcome: v.Outcome, stage: v.BlockedAt, reason: v.Reason, exposed: v.ExposedHeaders, pre: v.Preflight}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("judgeFirefox mismatch (-want +got):\n%s\nwords: %s", diff, v.Words)
			}
			if v.Outcome == spec.Blocked && v.Words == "" {
				t.Error("a blocked verdict has no words")
			}
		})
	}
}
