package browser

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// The sentences below are WebKit's, as WebKitGTK 2.50.6 composes them
// (the file and function named with each) with the values a case puts in;
// several were also seen verbatim in the inspector's loadingFailed events.
func TestWebKitWords(t *testing.T) {
	const (
		acao = spec.ACAOMissing
		pre  = spec.StagePreflight
		rdr  = spec.StageRedirect
	)
	tests := []struct {
		name    string
		text    string
		reasons []spec.Reason // nil: the table does not know the text
		stage   spec.Stage
	}{
		// CrossOriginAccessControl.cpp passesAccessControlCheck: stage from the log.
		{"wildcard with credentials", `Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.`,
			[]spec.Reason{spec.ACAOWildcardWithCredentials}, ""},
		{"comma in ACAO", `Access-Control-Allow-Origin cannot contain more than one origin.`,
			[]spec.Reason{spec.ACAOMultiple}, ""},
		{"origin not allowed", `Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200`,
			[]spec.Reason{acao, spec.ACAOMismatch, spec.ACAOInvalid, spec.ACAOMultiple}, ""},
		{"null origin not allowed", `Origin null is not allowed by Access-Control-Allow-Origin. Status code: 204`,
			[]spec.Reason{acao, spec.ACAOMismatch, spec.ACAOInvalid, spec.ACAOMultiple}, ""},
		{"ACAC", `Credentials flag is true, but Access-Control-Allow-Credentials is not "true".`,
			[]spec.Reason{spec.ACACNotTrue}, ""},
		// validatePreflightResponse and NetworkCORSPreflightChecker.
		{"preflight 500", `Preflight response is not successful. Status code: 500`, []spec.Reason{spec.PreflightStatus}, pre},
		{"preflight 204 is never this text, but 2xx would be status", `Preflight response is not successful. Status code: 299`, []spec.Reason{spec.PreflightStatus}, pre},
		{"preflight redirect", `Preflight response is not successful. Status code: 302`,
			[]spec.Reason{spec.PreflightStatus, spec.PreflightRedirect}, pre},
		// CrossOriginPreflightResultCache.cpp.
		{"ACAM invalid", `Header Access-Control-Allow-Methods has an invalid value: PUT,,`, []spec.Reason{spec.ACAMInvalid}, pre},
		{"ACAH invalid", `Header Access-Control-Allow-Headers has an invalid value: x test`, []spec.Reason{spec.ACAHInvalid}, pre},
		{"method", `Method PUT is not allowed by Access-Control-Allow-Methods.`, []spec.Reason{spec.MethodNotAllowed}, pre},
		{"header", `Request header field X-Test is not allowed by Access-Control-Allow-Headers.`, []spec.Reason{spec.HeaderNotAllowed}, pre},
		// NetworkLoadChecker.cpp checkRedirection.
		{"redirect CORS check", `Cross-origin redirection to https://other.example/__cc/t-1/data denied by Cross-Origin Resource Sharing policy: Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 302`,
			[]spec.Reason{acao, spec.ACAOMismatch, spec.ACAOInvalid, spec.ACAOMultiple}, rdr},
		{"redirect wildcard", `Cross-origin redirection to https://other.example/x denied by Cross-Origin Resource Sharing policy: Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true.`,
			[]spec.Reason{spec.ACAOWildcardWithCredentials}, rdr},
		{"redirect scheme", `Cross-origin redirection to data:text/plain,x denied by Cross-Origin Resource Sharing policy: not allowed to follow a cross-origin CORS redirection with non CORS scheme`,
			[]spec.Reason{spec.RedirectScheme, spec.RedirectLocationInvalid}, rdr},
		{"redirect userinfo", `Cross-origin redirection to https://u:p@other.example/ denied by Cross-Origin Resource Sharing policy: redirection URL https://u:p@other.example/ has credentials`,
			[]spec.Reason{spec.RedirectCredentials}, rdr},
		{"redirect limit", `Load cannot follow more than 20 redirections`, []spec.Reason{spec.RedirectLimit}, rdr},
		{"redirect to non-HTTP", `Redirection to URL with a scheme that is not HTTP(S)`, []spec.Reason{spec.RedirectScheme}, rdr},
		{"ftp", `FTP URLs are disabled`, []spec.Reason{spec.RedirectScheme}, rdr},
		{"cannot show", "The URL can\u2019t be shown", []spec.Reason{spec.RedirectLocationInvalid, spec.RedirectScheme}, rdr},
		{"redirect mode error", `Not allowed to follow a redirection while loading https://api.example/__cc/t-1/start`, []spec.Reason{spec.RedirectModeError}, rdr},
		{"same-origin mode leaves the origin", "Unsafe attempt to load URL https://api.example/__cc/t-1/b from origin https://app.example. Domains, protocols and ports must match.\n",
			[]spec.Reason{spec.ModeSameOriginCrossOrigin}, ""},
		{"data: URL without a comma", `Data URL decoding failed`, []spec.Reason{spec.DataURLInvalid}, spec.StageRequest},
		// DocumentThreadableLoader.cpp checkURLSchemeAsCORSEnabled.
		{"non-HTTP fetch", `Cross origin requests are only supported for HTTP.`, []spec.Reason{spec.SchemeNotHTTP}, spec.StageRequest},
		// CachedResourceLoader.cpp canRequest and ThreadableLoader.cpp logError.
		{"no-cors redirect mode", `No-Cors mode requires follow redirect mode`, []spec.Reason{spec.NoCORSRedirectMode}, spec.StageRequest},
		{"local resource", `Not allowed to load local resource: blob:https://api.example/0b1e7c4e-5d2a-4f7e-9c1d-000000000002`,
			[]spec.Reason{spec.BlobURLUnresolved, spec.SchemeNotHTTP}, spec.StageRequest},
		{"mixed content: no rule of the model", "[blocked] The page at https://app.example/__crosscheck/page requested insecure content from ftp://api.example/file. This content was blocked and must be served over HTTPS.\n",
			[]spec.Reason{}, spec.StageRequest},
		{"internal refusal without a description", `Fetch API cannot load https://api.example/__cc/t-1/data.`, []spec.Reason{spec.ModeSameOriginCrossOrigin}, spec.StageRequest},
		{"XHR's internal refusal", `XMLHttpRequest cannot load blob:https://api.example/0b1e.`, []spec.Reason{spec.ModeSameOriginCrossOrigin}, spec.StageRequest},
		{"the access-control form names nothing", `Fetch API cannot load https://api.example/__cc/t-1/data due to access control checks.`, nil, ""},
		{"canRequest's generic refusal names nothing", `Not allowed to request resource`, nil, ""},
		// Unknown: no reason, not a verdict.
		{"network error", `Connection terminated unexpectedly`, nil, ""},
		{"redirect with unknown inner words", `Cross-origin redirection to https://x/ denied by Cross-Origin Resource Sharing policy: something new`, nil, ""},
		{"sentence inside another", `Note: Method PUT is not allowed by Access-Control-Allow-Methods. (maybe)`, nil, ""},
		{"empty", ``, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := webkitWords(tt.text)
			if ok != (tt.reasons != nil) {
				t.Fatalf("webkitWords(%q) ok = %v, want %v", tt.text, ok, tt.reasons != nil)
			}
			if diff := cmp.Diff(tt.reasons, w.reasons, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("webkitWords(%q) reasons mismatch (-want +got):\n%s", tt.text, diff)
			}
			if w.stage != tt.stage {
				t.Errorf("webkitWords(%q) stage = %q, want %q", tt.text, w.stage, tt.stage)
			}
		})
	}
}

// TestWebKitTypeErrors maps the messages of fetch()'s TypeErrors
// (FetchRequest.cpp, FetchHeaders.cpp) to the request stage's reasons.
func TestWebKitTypeErrors(t *testing.T) {
	tests := []struct {
		msg     string
		reasons []spec.Reason // nil: not mapped
	}{
		{"URL is not valid or contains user credentials.", []spec.Reason{spec.URLCredentials}},
		{"Method is not a valid HTTP token.", []spec.Reason{spec.MethodInvalid}},
		{"Method is forbidden.", []spec.Reason{spec.MethodForbidden}},
		{"Invalid header name: 'X Test'", []spec.Reason{spec.HeaderInvalid}},
		{"Header 'X-Test' has invalid value: 'a\x00b'", []spec.Reason{spec.HeaderInvalid}},
		{"Request has method 'GET' and cannot have a body", []spec.Reason{spec.BodyWithGetOrHead}},
		{"Request has method 'HEAD' and cannot have a body", []spec.Reason{spec.BodyWithGetOrHead}},
		{"Method must be GET, POST or HEAD in no-cors mode.", []spec.Reason{spec.NoCORSMethod}},
		// A value that is no ByteString fails WebIDL's conversion, whose
		// message names nothing: a header or a method.
		{"Type error", []spec.Reason{spec.HeaderInvalid, spec.MethodInvalid}},
		{"Load failed", nil},
		{"Type error: something", nil},
	}
	for _, tt := range tests {
		w, ok := webkitTypeError(tt.msg)
		if ok != (tt.reasons != nil) {
			t.Errorf("webkitTypeError(%q) ok = %v, want %v", tt.msg, ok, tt.reasons != nil)
			continue
		}
		if diff := cmp.Diff(tt.reasons, w.reasons); diff != "" {
			t.Errorf("webkitTypeError(%q) reasons mismatch (-want +got):\n%s", tt.msg, diff)
		}
		if ok && w.stage != spec.StageRequest {
			t.Errorf("webkitTypeError(%q) stage = %q, want request", tt.msg, w.stage)
		}
	}
}

func TestWebKitReasonFor(t *testing.T) {
	several := webkitWord{reasons: []spec.Reason{spec.ACAOMissing, spec.ACAOMismatch}}
	one := webkitWord{reasons: []spec.Reason{spec.MethodNotAllowed}}
	tests := []struct {
		name string
		w    webkitWord
		want spec.Reason
		got  spec.Reason
	}{
		{"one reason, the table's", one, spec.MethodNotAllowed, spec.MethodNotAllowed},
		{"one reason, another", one, spec.HeaderNotAllowed, spec.MethodNotAllowed},
		{"several, the table's among them: unstated", several, spec.ACAOMismatch, ""},
		{"several, the table's not among them: the first", several, spec.ACACNotTrue, spec.ACAOMissing},
		{"several, the table states none: the first", several, "", spec.ACAOMissing},
		{"none: unstated", webkitWord{}, spec.SchemeNotHTTP, ""},
	}
	for _, tt := range tests {
		if got := tt.w.reasonFor(tt.want); got != tt.got {
			t.Errorf("%s: reasonFor(%q) = %q, want %q", tt.name, tt.want, got, tt.got)
		}
	}
}

// TestJudgeWebKit judges observations made by hand: the stage from WebKit's
// words or the case server's log, the reason from the words, and the
// observations that are no verdict.
func TestJudgeWebKit(t *testing.T) {
	redirecting := &cases.Case{ID: "t/redirect", Redirects: []cases.Redirect{{Status: 302, Location: "https://other.example/x"}},
		Response: cases.Response{Status: 200, Headers: []cases.Header{{"X-A", "1"}, {"Content-Type", "text/plain"}}}}
	plain := &cases.Case{ID: "t/plain", Response: cases.Response{Status: 200}}
	failed := JSResult{OK: false, Name: "TypeError", Message: webkitLoadFailed}
	xhrError := JSResult{OK: false, XHRError: true, Name: "error", Message: "XMLHttpRequest error event"}
	blob := &cases.Case{ID: "t/blob", Request: cases.Request{URL: "blob:https://app.example/0b1e7c4e"}}
	unsafe := "Unsafe attempt to load URL https://other.example/x from origin https://app.example. Domains, protocols and ports must match.\n"
	get := Received{Method: "GET", Scheme: "https", Host: "api.example", Path: "/x", HasOrigin: true, Origin: "https://app.example"}
	options := Received{Preflight: true, Method: "OPTIONS", Scheme: "https", Host: "api.example", Path: "/x", ACRM: "PUT"}
	hop1 := get
	hop1.Hop = 1
	originWords := "Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200"
	notCompared := " (WebKit's words cover acao-missing, acao-mismatch, acao-invalid, acao-multiple: reason not compared)"
	yes, no := true, false
	tests := []struct {
		name    string
		c       *cases.Case
		want    cases.Result
		o       Observation
		verdict cases.Result
		words   string
		err     string // a substring of the error; "" for a verdict
	}{
		{"allowed exposes the case's own headers", redirecting, cases.Result{},
			Observation{JS: JSResult{OK: true, Status: 200, Headers: []string{"content-type", "x-a", "content-length"}}, Received: []Received{get, hop1}},
			cases.Result{Outcome: spec.Allowed, Preflight: &no, ExposedHeaders: []string{"content-type", "x-a"}}, "", ""},
		{"CORS check at the final response", plain, cases.Result{Reason: spec.ACAOMismatch},
			Observation{JS: failed, LoadingFailed: true, ErrorText: originWords, Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse}, originWords + notCompared, ""},
		{"CORS check at a redirect, from the log", redirecting, cases.Result{Reason: spec.ACAOMissing},
			Observation{JS: failed, LoadingFailed: true, ErrorText: originWords, Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect}, originWords + notCompared, ""},
		{"CORS check at the preflight, from the log", plain, cases.Result{Reason: spec.ACAOMissing},
			Observation{JS: failed, LoadingFailed: true, ErrorText: originWords, Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight}, originWords + notCompared, ""},
		{"words outside the table's reason", plain, cases.Result{Reason: spec.ACACNotTrue},
			Observation{JS: failed, LoadingFailed: true, ErrorText: originWords, Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageResponse, Reason: spec.ACAOMissing}, originWords, ""},
		{"the words name the stage", plain, cases.Result{},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "Method PUT is not allowed by Access-Control-Allow-Methods.", Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed}, "Method PUT is not allowed by Access-Control-Allow-Methods.", ""},
		{"refused before any request: the console's words", plain, cases.Result{},
			Observation{JS: failed, Console: []string{"Cross origin requests are only supported for HTTP.", "Fetch API cannot load ftp://x/ due to access control checks."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.SchemeNotHTTP}, "Cross origin requests are only supported for HTTP.", ""},
		{"a TypeError before any request", plain, cases.Result{},
			Observation{JS: JSResult{Name: "TypeError", Message: "Method is forbidden."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.MethodForbidden}, "TypeError: Method is forbidden.", ""},
		{"a recorded divergence without a reason", plain, cases.Result{Outcome: spec.Blocked},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "Connection terminated unexpectedly", Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no}, "Connection terminated unexpectedly", ""},
		{"unknown words", plain, cases.Result{Outcome: spec.Blocked, Reason: spec.ACAOMissing},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "Connection terminated unexpectedly", Received: []Received{get}},
			cases.Result{}, "", "cannot map"},
		{"no loadingFailed after a request", plain, cases.Result{},
			Observation{JS: failed, DevToolsSent: true, Received: []Received{get}}, cases.Result{}, "", "no loadingFailed"},
		{"nothing at all", plain, cases.Result{},
			Observation{JS: failed}, cases.Result{}, "", "no reason"},
		{"a timeout", plain, cases.Result{},
			Observation{JS: JSResult{Name: "TimeoutError", Message: "The operation timed out."}}, cases.Result{}, "", "TimeoutError"},
		{"an unknown TypeError", plain, cases.Result{},
			Observation{JS: JSResult{Name: "TypeError", Message: "Something else"}}, cases.Result{}, "", "cannot map"},
		{"an XMLHttpRequest error event is a network error", plain, cases.Result{Reason: spec.MethodNotAllowed},
			Observation{JS: xhrError, LoadingFailed: true, ErrorText: "Method PUT is not allowed by Access-Control-Allow-Methods.", Received: []Received{options}},
			cases.Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed}, "Method PUT is not allowed by Access-Control-Allow-Methods.", ""},
		{"an XMLHttpRequest error event without WebKit's words", plain, cases.Result{},
			Observation{JS: xhrError, DevToolsSent: true, Received: []Received{get}}, cases.Result{}, "", "no loadingFailed"},
		{"a request stream: no rule of the model", plain, cases.Result{Outcome: spec.Allowed},
			Observation{JS: JSResult{Name: "NotSupportedError", Message: "ReadableStream uploading is not supported"}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest},
			"NotSupportedError: ReadableStream uploading is not supported (WebKit cannot upload a request stream: reason not compared)", ""},
		{"another NotSupportedError", plain, cases.Result{},
			Observation{JS: JSResult{Name: "NotSupportedError", Message: "Something else"}}, cases.Result{}, "", "NotSupportedError"},
		{"a TypeError whose words cover the table's reason", plain, cases.Result{Reason: spec.HeaderInvalid},
			Observation{JS: JSResult{Name: "TypeError", Message: "Type error"}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest},
			"TypeError: Type error (WebKit's words cover header-invalid, method-invalid: reason not compared)", ""},
		{"no-cors method", plain, cases.Result{},
			Observation{JS: JSResult{Name: "TypeError", Message: "Method must be GET, POST or HEAD in no-cors mode."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.NoCORSMethod},
			"TypeError: Method must be GET, POST or HEAD in no-cors mode.", ""},
		{"no-cors redirect mode: the first console line that maps", plain, cases.Result{},
			Observation{JS: failed, Console: []string{"No-Cors mode requires follow redirect mode", "Not allowed to request resource", "Fetch API cannot load https://api.example/x due to access control checks."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.NoCORSRedirectMode}, "No-Cors mode requires follow redirect mode", ""},
		{"mixed content: blocked at the request, no reason", plain, cases.Result{Reason: spec.SchemeNotHTTP},
			Observation{JS: failed, Console: []string{"[blocked] The page at https://app.example/p requested insecure content from ftp://api.example/file. This content was blocked and must be served over HTTPS.\n", "Not allowed to request resource"}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest},
			"[blocked] The page at https://app.example/p requested insecure content from ftp://api.example/file. This content was blocked and must be served over HTTPS.\n (WebKit's words name no rule of the model: reason not compared)", ""},
		{"same-origin mode refused in the page", plain, cases.Result{},
			Observation{JS: failed, Console: []string{"Fetch API cannot load https://api.example/x."}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.ModeSameOriginCrossOrigin}, "Fetch API cannot load https://api.example/x.", ""},
		{"same-origin mode redirected away: the stage from the log", redirecting, cases.Result{},
			Observation{JS: failed, LoadingFailed: true, ErrorText: unsafe, Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect, Reason: spec.ModeSameOriginCrossOrigin}, unsafe, ""},
		{"an unresolved blob: URL fails without words", blob, cases.Result{},
			Observation{JS: failed, LoadingFailed: true, Console: []string{"Failed to load resource"}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.BlobURLUnresolved}, "loadingFailed with no errorText for a blob: URL", ""},
		{"a URL the network process cannot load, fetched itself", plain, cases.Result{},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "The URL can\u2019t be shown"},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRequest, Reason: spec.SchemeNotHTTP}, "The URL can\u2019t be shown", ""},
		{"a URL the network process cannot load, redirected to", redirecting, cases.Result{Reason: spec.RedirectScheme},
			Observation{JS: failed, LoadingFailed: true, ErrorText: "The URL can\u2019t be shown", Received: []Received{get}},
			cases.Result{Outcome: spec.Blocked, Preflight: &no, BlockedAt: spec.StageRedirect},
			"The URL can\u2019t be shown (WebKit's words cover redirect-location-invalid, redirect-scheme: reason not compared)", ""},
		{"an https: URL failing without words is no verdict", plain, cases.Result{},
			Observation{JS: failed, LoadingFailed: true}, cases.Result{}, "", "cannot map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := judgeWebKit(tt.c, tt.want, &tt.o)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("judgeWebKit error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("judgeWebKit: %v", err)
			}
			if diff := cmp.Diff(tt.verdict, v.Result); diff != "" {
				t.Errorf("judgeWebKit mismatch (-want +got):\n%s", diff)
			}
			if v.Words != tt.words {
				t.Errorf("Words = %q, want %q", v.Words, tt.words)
			}
		})
	}
}
