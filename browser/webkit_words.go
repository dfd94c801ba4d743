package browser

import (
	"regexp"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// WebKit's words for a blocked fetch, mapped to the model's reasons: the
// one table of the WebKit engine. WebKit says nothing machine-readable;
// its reasons are English sentences, the description of the ResourceError
// a load fails with, which the inspector reports as Network.loadingFailed's
// errorText (and script never sees: every network failure is "TypeError:
// Load failed"). The sentences come from WebKitGTK 2.50's sources:
//
//   - WebCore/loader/CrossOriginAccessControl.cpp: passesAccessControlCheck
//     (the CORS check of a response, a redirect or a preflight) and
//     validatePreflightResponse;
//   - WebCore/loader/CrossOriginPreflightResultCache.cpp: parsing
//     Access-Control-Allow-Methods/-Headers and checking the request's
//     method and headers against them;
//   - WebKit/NetworkProcess/NetworkCORSPreflightChecker.cpp: a preflight
//     answered with a redirect;
//   - WebKit/NetworkProcess/NetworkLoadChecker.cpp and
//     NetworkResourceLoader.cpp: redirects;
//   - WebCore/Modules/fetch/FetchRequest.cpp and FetchHeaders.cpp: the
//     TypeErrors fetch() throws before any request;
//   - WebCore/loader/cache/CachedResourceLoader.cpp (canRequest: a
//     no-cors request whose redirect mode is not "follow", mixed content,
//     a URL the page may not display) and WebCore/loader/ThreadableLoader.cpp
//     (logError: "Fetch API cannot load <url>." and its access-control
//     form) for loads refused before any request.
//
// Several sentences cover more than one of the model's reasons: "Origin
// <origin> is not allowed by Access-Control-Allow-Origin" is WebKit's
// sentence for a missing header, another origin, a value that is no
// origin at all, and a list without a comma; "Preflight response is not
// successful" covers a preflight answered with an error status and one
// answered with a redirect. Such a sentence maps to every reason it
// covers; the verdict then states no reason when the table's is among
// them (WebKit's words agree but cannot tell), and the first of them
// otherwise (they disagree).

// webkitWord is one WebKit sentence: the reasons it can stand for and the
// stage it names ("" when the sentence comes from a CORS check that runs
// on preflights, redirects and final responses alike: the case server's
// log tells which).
type webkitWord struct {
	re      *regexp.Regexp
	reasons []spec.Reason
	stage   spec.Stage
}

// webkitCORSCheck are passesAccessControlCheck's sentences.
var webkitCORSCheck = []webkitWord{
	{regexp.MustCompile(`^Cannot use wildcard in Access-Control-Allow-Origin when credentials flag is true\.$`),
		[]spec.Reason{spec.ACAOWildcardWithCredentials}, ""},
	{regexp.MustCompile(`^Access-Control-Allow-Origin cannot contain more than one origin\.$`),
		[]spec.Reason{spec.ACAOMultiple}, ""},
	{regexp.MustCompile(`^Origin \S+ is not allowed by Access-Control-Allow-Origin\. Status code: \d+$`),
		[]spec.Reason{spec.ACAOMissing, spec.ACAOMismatch, spec.ACAOInvalid, spec.ACAOMultiple}, ""},
	{regexp.MustCompile(`^Credentials flag is true, but Access-Control-Allow-Credentials is not "true"\.$`),
		[]spec.Reason{spec.ACACNotTrue}, ""},
}

// webkitNetworkWords are the other sentences of a failed load.
var webkitNetworkWords = []webkitWord{
	{regexp.MustCompile(`^Preflight response is not successful\. Status code: 3\d\d$`),
		[]spec.Reason{spec.PreflightStatus, spec.PreflightRedirect}, spec.StagePreflight},
	{regexp.MustCompile(`^Preflight response is not successful\. Status code: \d+$`),
		[]spec.Reason{spec.PreflightStatus}, spec.StagePreflight},
	{regexp.MustCompile(`^Header Access-Control-Allow-Methods has an invalid value: `),
		[]spec.Reason{spec.ACAMInvalid}, spec.StagePreflight},
	{regexp.MustCompile(`^Header Access-Control-Allow-Headers has an invalid value: `),
		[]spec.Reason{spec.ACAHInvalid}, spec.StagePreflight},
	{regexp.MustCompile(`^Method .* is not allowed by Access-Control-Allow-Methods\.$`),
		[]spec.Reason{spec.MethodNotAllowed}, spec.StagePreflight},
	{regexp.MustCompile(`^Request header field .* is not allowed by Access-Control-Allow-Headers\.$`),
		[]spec.Reason{spec.HeaderNotAllowed}, spec.StagePreflight},
	{regexp.MustCompile(`^Load cannot follow more than 20 redirections$`),
		[]spec.Reason{spec.RedirectLimit}, spec.StageRedirect},
	{regexp.MustCompile(`^Redirection to URL with a scheme that is not HTTP\(S\)\.?$`),
		[]spec.Reason{spec.RedirectScheme}, spec.StageRedirect},
	// The network process refuses ftp: after a redirect (a fetch of an
	// ftp: URL never gets there: see webkitRequestWords).
	{regexp.MustCompile(`^FTP URLs are disabled$`),
		[]spec.Reason{spec.RedirectScheme}, spec.StageRedirect},
	// The network process cannot load the URL a same-origin redirect
	// leads to: an invalid one, or a scheme it has no handler for (said
	// of the fetched URL itself, webkitUnsentWords).
	{webkitCannotShow, []spec.Reason{spec.RedirectLocationInvalid, spec.RedirectScheme}, spec.StageRedirect},
	// NetworkLoadChecker::checkRedirection, redirect mode "error": the
	// hop's answer is a redirect.
	{regexp.MustCompile(`^Not allowed to follow a redirection while loading \S+$`),
		[]spec.Reason{spec.RedirectModeError}, spec.StageRedirect},
	// NetworkLoadChecker::continueCheckingRequest, mode "same-origin":
	// WebKit says it of a redirect to another origin (and of the first
	// request, were it not refused in the page first). The stage is the
	// case server's.
	{regexp.MustCompile(`^Unsafe attempt to load URL \S+ from origin \S+\. Domains, protocols and ports must match\.\s*$`),
		[]spec.Reason{spec.ModeSameOriginCrossOrigin}, ""},
	// A data: URL whose body cannot be decoded (no comma): the network
	// process answers it without a request.
	{regexp.MustCompile(`^Data URL decoding failed$`),
		[]spec.Reason{spec.DataURLInvalid}, spec.StageRequest},
}

// webkitCannotShow is the network process's sentence for a URL it has no
// way to load (WebKit's cannotShowURLError).
var webkitCannotShow = regexp.MustCompile(`^The URL can.t be shown$`)

// webkitUnsentWords are sentences of a failed load that mean something
// else when no request reached the server: the URL fetched is the one
// that cannot be loaded (wss:, about:), at the request stage.
var webkitUnsentWords = []webkitWord{
	{webkitCannotShow, []spec.Reason{spec.SchemeNotHTTP}, spec.StageRequest},
}

// webkitRequestWords are the security console messages of a fetch WebKit
// refuses before any request, without a network event (the inspector
// reports them just before "Fetch API cannot load <url> due to access
// control checks.").
var webkitRequestWords = []webkitWord{
	{regexp.MustCompile(`^Cross origin requests are only supported for HTTP\.$`),
		[]spec.Reason{spec.SchemeNotHTTP}, spec.StageRequest},
	// CachedResourceLoader::canRequest of a no-cors request whose
	// redirect mode is not "follow".
	{regexp.MustCompile(`^No-Cors mode requires follow redirect mode$`),
		[]spec.Reason{spec.NoCORSRedirectMode}, spec.StageRequest},
	// canRequest: the page may not display the URL (FrameLoader's
	// reportLocalLoadFailed), e.g. a blob: URL of another origin, which
	// resolves to nothing for the page, or a local scheme.
	{regexp.MustCompile(`^Not allowed to load local resource: `),
		[]spec.Reason{spec.BlobURLUnresolved, spec.SchemeNotHTTP}, spec.StageRequest},
	// canRequest: mixed content (an https page fetching a URL that is not
	// potentially trustworthy, e.g. ftp:). Fetch blocks it in main fetch
	// before any CORS rule: the model has no reason for it.
	{regexp.MustCompile(`^\[blocked\] The page at \S+ requested insecure content from \S+\.`),
		nil, spec.StageRequest},
	// ThreadableLoader::logError of an internal error without a
	// description, which is how WebKit 2.50 refuses a same-origin-mode
	// fetch of another origin (and of about: or another origin's blob:
	// URL) in the page: the access-control form says "due to access
	// control checks." instead.
	{regexp.MustCompile(`^(Fetch API|XMLHttpRequest) cannot load \S+\.$`),
		[]spec.Reason{spec.ModeSameOriginCrossOrigin}, spec.StageRequest},
}

// webkitRedirectPrefix starts NetworkLoadChecker's sentence for a redirect
// it refuses; what follows the colon is the reason.
var webkitRedirectPrefix = regexp.MustCompile(`^Cross-origin redirection to .* denied by Cross-Origin Resource Sharing policy: `)

// webkitRedirectWords are the redirect-only reasons after that prefix.
var webkitRedirectWords = []webkitWord{
	// A Location that does not parse is an invalid URL, whose empty scheme
	// is not a CORS scheme either: WebKit says the same of both.
	{regexp.MustCompile(`^not allowed to follow a cross-origin CORS redirection with non CORS scheme$`),
		[]spec.Reason{spec.RedirectScheme, spec.RedirectLocationInvalid}, spec.StageRedirect},
	{regexp.MustCompile(`^redirection URL .* has credentials$`),
		[]spec.Reason{spec.RedirectCredentials}, spec.StageRedirect},
}

// webkitTypeErrors are the messages of the TypeErrors fetch() throws
// before anything is sent (stage request).
var webkitTypeErrors = []webkitWord{
	{regexp.MustCompile(`^URL is not valid or contains user credentials\.$`), []spec.Reason{spec.URLCredentials}, spec.StageRequest},
	{regexp.MustCompile(`^Method is not a valid HTTP token\.$`), []spec.Reason{spec.MethodInvalid}, spec.StageRequest},
	{regexp.MustCompile(`^Method is forbidden\.$`), []spec.Reason{spec.MethodForbidden}, spec.StageRequest},
	{regexp.MustCompile(`^Invalid header name: '`), []spec.Reason{spec.HeaderInvalid}, spec.StageRequest},
	{regexp.MustCompile(`^Header '.*' has invalid value: '`), []spec.Reason{spec.HeaderInvalid}, spec.StageRequest},
	{regexp.MustCompile(`^Request has method '.*' and cannot have a body$`), []spec.Reason{spec.BodyWithGetOrHead}, spec.StageRequest},
	{regexp.MustCompile(`^Method must be GET, POST or HEAD in no-cors mode\.$`), []spec.Reason{spec.NoCORSMethod}, spec.StageRequest},
	// The generic message of a failed WebIDL conversion: a header name or
	// value, or a method, that is no ByteString (a code point above
	// U+00FF).
	{regexp.MustCompile(`^Type error$`), []spec.Reason{spec.HeaderInvalid, spec.MethodInvalid}, spec.StageRequest},
}

// webkitStreamUpload is the message of the NotSupportedError fetch()
// rejects with for a ReadableStream body: WebKitGTK 2.50 cannot upload a
// request stream at all (FetchBody; stream uploads began behind a flag in
// https://bugs.webkit.org/show_bug.cgi?id=319667). Nothing is sent, and
// no rule of the model is named.
var webkitStreamUpload = regexp.MustCompile(`^ReadableStream uploading is not supported$`)

// webkitLoadFailed is the message of the TypeError script gets for every
// failed load, CORS or not.
const webkitLoadFailed = "Load failed"

// webkitWords finds the entry for a load's error text: its reasons and the
// stage it names. ok is false for a text the table does not know.
func webkitWords(text string) (w webkitWord, ok bool) {
	if loc := webkitRedirectPrefix.FindStringIndex(text); loc != nil {
		inner := text[loc[1]:]
		for _, list := range [][]webkitWord{webkitRedirectWords, webkitCORSCheck} {
			if w, ok := matchWebKitWord(list, inner); ok {
				w.stage = spec.StageRedirect
				return w, true
			}
		}
		return webkitWord{}, false
	}
	for _, list := range [][]webkitWord{webkitCORSCheck, webkitNetworkWords, webkitRequestWords} {
		if w, ok := matchWebKitWord(list, text); ok {
			return w, true
		}
	}
	return webkitWord{}, false
}

// webkitTypeError finds the entry for the message of a TypeError fetch()
// threw.
func webkitTypeError(msg string) (webkitWord, bool) {
	return matchWebKitWord(webkitTypeErrors, strings.TrimSpace(msg))
}

// matchWebKitWord finds the first entry of list whose sentence is text.
func matchWebKitWord(list []webkitWord, text string) (webkitWord, bool) {
	for _, w := range list {
		if w.re.MatchString(text) {
			return w, true
		}
	}
	return webkitWord{}, false
}

// reasonFor is the reason a verdict states for WebKit's words w when the
// table expects want: w's only reason; none when w covers several and want
// is one of them (WebKit's words agree but cannot tell), or when w names
// no rule of the model; else the first of w's (they disagree, and the
// comparison shows it).
func (w webkitWord) reasonFor(want spec.Reason) spec.Reason {
	switch len(w.reasons) {
	case 0:
		return ""
	case 1:
		return w.reasons[0]
	}
	for _, r := range w.reasons {
		if r == want {
			return ""
		}
	}
	return w.reasons[0]
}

// covers names the reasons of an entry that covers several:
// "WebKit's words cover acao-missing, acao-mismatch", or says it names
// none.
func (w webkitWord) covers() string {
	if len(w.reasons) == 0 {
		return "WebKit's words name no rule of the model"
	}
	names := make([]string, len(w.reasons))
	for i, r := range w.reasons {
		names[i] = string(r)
	}
	return "WebKit's words cover " + strings.Join(names, ", ")
}
