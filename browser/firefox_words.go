package browser

import (
	"regexp"
	"slices"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Firefox's words, mapped to the model's reasons: the one table of the
// Firefox engine.
//
// Firefox names a CORS failure in an error-level console message
// (WebDriver BiDi log.entryAdded), localized from a template of
// security.properties (omni.ja: chrome/en-US/locale/en-US/global/security/;
// the profile pins intl.locale.requested to en-US). Gecko's CORS code
// (netwerk/protocol/http/nsCORSListenerProxy.cpp) decides which template a
// check emits. A fetch() that throws before any request has a TypeError
// message of its own (dom/bindings/Errors.msg, dom/fetch/Request.cpp). A
// request that fails before the CORS checks run (a redirect Gecko
// refuses: credentials or an unparsable Location or another scheme in it,
// more than 20 redirects) has at most the generic CORSDidNotSucceed2: its
// reason is Firefox's network error code, which only WebDriver BiDi's
// network events report, and subscribing to those doubles the time
// Firefox takes per fetch; the verifier leaves such a reason unstated. So
// it is for most rules of request and redirect modes too: Firefox logs
// nothing for redirect mode "error" (a redirect, or a final 3xx without
// Location), a no-cors request with redirect mode "error" or "manual", a
// data: URL that does not parse or a blob: URL it cannot resolve; mode
// "same-origin" has words of its own (CheckSameOriginError), and a method
// mode "no-cors" refuses shares the invalid method's TypeError.
//
// Firefox's words are coarser than the model in places: one message stands
// for several of the model's reasons (CORSAllowOriginNotMatchingOrigin for
// every Access-Control-Allow-Origin value that is not the origin, well
// formed or not; MSG_INVALID_REQUEST_METHOD for invalid, forbidden and
// no-cors methods alike). Each entry lists every reason it stands for: the verdict
// takes the table's reason when it is one of them, else the first.

// firefoxWord is one of Firefox's messages and the model's reasons it
// stands for.
type firefoxWord struct {
	// key names the message: its security.properties key, Errors.msg
	// symbol, or network error code.
	key string
	re  *regexp.Regexp
	// reasons are the model's reasons the message stands for; none means
	// it names no rule of the model (a generic network failure).
	reasons []spec.Reason
	// stage is the stage the message implies; "" means the case server's
	// log decides.
	stage spec.Stage
}

// corsPrefix starts every CORS message of security.properties but the
// credentials one, which quotes the URL.
const corsPrefix = `^Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at ‘?\S+?’?\. \(Reason: `

// firefoxConsoleWords are the console messages, most specific first. A
// case's first console message that matches an entry with reasons decides;
// CORSDidNotSucceed2 follows any failure of a preflight or a redirect, and
// alone means the request failed on the network.
var firefoxConsoleWords = []firefoxWord{
	{"CORSMissingAllowOrigin2", regexp.MustCompile(corsPrefix + `CORS header ‘Access-Control-Allow-Origin’ missing\)\. Status code: \d+\.$`),
		[]spec.Reason{spec.ACAOMissing}, ""},
	{"CORSMultipleAllowOriginNotAllowed", regexp.MustCompile(corsPrefix + `Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed\)\.$`),
		[]spec.Reason{spec.ACAOMultiple}, ""},
	{"CORSAllowOriginNotMatchingOrigin", regexp.MustCompile(corsPrefix + `CORS header ‘Access-Control-Allow-Origin’ does not match ‘.*’\)\.$`),
		[]spec.Reason{spec.ACAOMismatch, spec.ACAOInvalid, spec.ACAOMultiple}, ""},
	{"CORSNotSupportingCredentials", regexp.MustCompile(corsPrefix + `Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘\*’\)\.$`),
		[]spec.Reason{spec.ACAOWildcardWithCredentials}, ""},
	{"CORSMissingAllowCredentials", regexp.MustCompile(corsPrefix + `expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’\)\.$`),
		[]spec.Reason{spec.ACACNotTrue}, ""},
	{"CORSExternalRedirectNotAllowed", regexp.MustCompile(corsPrefix + `CORS request external redirect not allowed\)\.$`),
		[]spec.Reason{spec.PreflightRedirect}, spec.StagePreflight},
	{"CORSPreflightDidNotSucceed3", regexp.MustCompile(corsPrefix + `CORS preflight response did not succeed\)\. Status code: \d+\.$`),
		[]spec.Reason{spec.PreflightStatus}, spec.StagePreflight},
	{"CORSInvalidAllowMethod", regexp.MustCompile(corsPrefix + `invalid token ‘.*’ in CORS header ‘Access-Control-Allow-Methods’\)\.$`),
		[]spec.Reason{spec.ACAMInvalid}, spec.StagePreflight},
	{"CORSInvalidAllowHeader", regexp.MustCompile(corsPrefix + `invalid token ‘.*’ in CORS header ‘Access-Control-Allow-Headers’\)\.$`),
		[]spec.Reason{spec.ACAHInvalid}, spec.StagePreflight},
	{"CORSMethodNotFound", regexp.MustCompile(corsPrefix + `Did not find method in CORS header ‘Access-Control-Allow-Methods’\)\.$`),
		[]spec.Reason{spec.MethodNotAllowed}, spec.StagePreflight},
	{"CORSMissingAllowHeaderFromPreflight2", regexp.MustCompile(corsPrefix + `header ‘.*’ is not allowed according to header ‘Access-Control-Allow-Headers’ from CORS preflight response\)\.$`),
		[]spec.Reason{spec.HeaderNotAllowed}, spec.StagePreflight},
	{"CORSRequestNotHttp", regexp.MustCompile(corsPrefix + `CORS request not http\)\.$`),
		[]spec.Reason{spec.SchemeNotHTTP, spec.RedirectScheme}, ""},
	// caps.properties CheckLoadURIError: a page may not fetch file: URLs.
	{"CheckLoadURIError", regexp.MustCompile(`^Security Error: Content at \S+ may not load or link to \S+\.$`),
		[]spec.Reason{spec.SchemeNotHTTP, spec.RedirectScheme}, ""},
	// caps.properties CheckSameOriginError: a load that must stay within
	// the page's origin does not: mode "same-origin" to another origin,
	// first or after a redirect (the stage is the case server's log's).
	// Firefox also refuses a blob: URL of another origin (or of none) this
	// way, before any other check: the spec's failure there is the scheme
	// (mode "cors") or a blob URL entry it cannot resolve.
	{"CheckSameOriginError", regexp.MustCompile(`^Security Error: Content at \S+ may not load data from blob:\S+\.$`),
		[]spec.Reason{spec.ModeSameOriginCrossOrigin, spec.SchemeNotHTTP, spec.BlobURLUnresolved}, spec.StageRequest},
	{"CheckSameOriginError", regexp.MustCompile(`^Security Error: Content at \S+ may not load data from \S+\.$`),
		[]spec.Reason{spec.ModeSameOriginCrossOrigin}, ""},
	{"CORSDidNotSucceed2", regexp.MustCompile(corsPrefix + `CORS request did not succeed\)\. Status code: .*\.$`),
		nil, ""},
}

// firefoxNoReason are the CORS messages of security.properties that name
// no rule of the model: a case that ends in one could not run as a CORS
// case (CORS turned off by content.cors.disable; an expanded principal).
var firefoxNoReason = []firefoxWord{
	{"CORSDisabled", regexp.MustCompile(corsPrefix + `CORS disabled\)\.$`), nil, ""},
	{"CORSOriginHeaderNotAdded", regexp.MustCompile(corsPrefix + `CORS header ‘Origin’ cannot be added\)\.$`), nil, ""},
}

// firefoxTypeErrors are the messages of the TypeError (or other exception)
// fetch() rejects with, or XMLHttpRequest throws, before any request (stage
// request); Firefox puts the method's name in front ("Window.fetch: ",
// "XMLHttpRequest.setRequestHeader: ").
var firefoxTypeErrors = []firefoxWord{
	{"MSG_URL_HAS_CREDENTIALS", regexp.MustCompile(typeErrorPrefix + `.* is an url with embedded credentials\.$`),
		[]spec.Reason{spec.URLCredentials}, spec.StageRequest},
	// Request.cpp throws it for a method that is not a token, a forbidden
	// method, and a method mode "no-cors" does not allow.
	{"MSG_INVALID_REQUEST_METHOD", regexp.MustCompile(typeErrorPrefix + `Invalid request method .*\.$`),
		[]spec.Reason{spec.MethodInvalid, spec.MethodForbidden, spec.NoCORSMethod}, spec.StageRequest},
	{"MSG_INVALID_HEADER_NAME", regexp.MustCompile(`(?s)` + typeErrorPrefix + `.* is an invalid header name\.$`),
		[]spec.Reason{spec.HeaderInvalid}, spec.StageRequest},
	{"MSG_INVALID_HEADER_VALUE", regexp.MustCompile(`(?s)` + typeErrorPrefix + `.* is an invalid header value\.$`),
		[]spec.Reason{spec.HeaderInvalid}, spec.StageRequest},
	// A header name or value with a code point above U+00FF is not a
	// ByteString: the WebIDL conversion of fetch()'s headers or of
	// setRequestHeader's arguments throws.
	{"MSG_INVALID_BYTESTRING", regexp.MustCompile(`(?s)` + typeErrorPrefix + `Cannot convert .* to ByteString because the character at index \d+ has value \d+ which is greater than 255\.$`),
		[]spec.Reason{spec.HeaderInvalid}, spec.StageRequest},
	{"Request: HEAD or GET with a body", regexp.MustCompile(typeErrorPrefix + `HEAD or GET Request cannot have a body\.$`),
		[]spec.Reason{spec.BodyWithGetOrHead}, spec.StageRequest},
}

// typeErrorPrefix is what Firefox puts before an exception's message: the
// interface and method that threw.
const typeErrorPrefix = `^(?:Window\.fetch|XMLHttpRequest\.[a-zA-Z]+): `

// matchWord returns the first word of words that matches text.
func matchWord(words []firefoxWord, text string) (firefoxWord, bool) {
	for _, w := range words {
		if w.re.MatchString(text) {
			return w, true
		}
	}
	return firefoxWord{}, false
}

// pick returns the reason of w for a case whose table wants want: want
// when w stands for it, else w's first reason.
func (w firefoxWord) pick(want spec.Reason) spec.Reason {
	if slices.Contains(w.reasons, want) {
		return want
	}
	return w.reasons[0]
}
