package main

import (
	"fmt"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// fixFor says what to change so that a blocked exchange passes, with the
// values of this exchange: the origin the browser sent at the failing hop,
// the method, the header name. sent is the model's trace of the requests
// the browser sends (its last element is the request whose answer failed);
// creds is the request's credentials mode. It returns "" when v is allowed.
func fixFor(v spec.Verdict, sent []spec.SentRequest, creds spec.Credentials) string {
	if v.Outcome != spec.Blocked {
		return ""
	}
	var last spec.SentRequest
	if n := len(sent); n > 0 {
		last = sent[n-1]
	}
	origin := last.Origin
	where := "the response"
	switch v.Stage {
	case spec.StagePreflight:
		where = "the answer to the preflight (OPTIONS " + last.URL + ")"
	case spec.StageRedirect:
		where = "the redirect response"
	}
	tainted := ""
	if origin == "null" && len(sent) > 0 && sent[0].Origin != "null" {
		tainted = " The browser sends Origin: null here because an earlier redirect crossed origins" +
			" (redirect-taint): better point the page at the final URL than allow null, which admits every sandboxed or data: page."
	}
	include := creds == spec.CredentialsInclude
	acao := func() string {
		if origin == "null" && !include {
			return "Access-Control-Allow-Origin: * (or null, which admits every sandboxed or data: page)"
		}
		if include {
			return fmt.Sprintf("Access-Control-Allow-Origin: %s and Access-Control-Allow-Credentials: true (with Vary: Origin when the value depends on the request)", origin)
		}
		return fmt.Sprintf("Access-Control-Allow-Origin: %s (or *, since the request carries no credentials)", origin)
	}
	switch v.Reason {
	case spec.ACAOMissing:
		return fmt.Sprintf("send %s on %s.%s", acao(), where, tainted)
	case spec.ACAOMultiple:
		return fmt.Sprintf("send exactly one Access-Control-Allow-Origin line holding one value (%s) on %s; two layers (an app and a proxy, or two middlewares) often add one each.%s", origin, where, tainted)
	case spec.ACAOWildcardWithCredentials:
		return fmt.Sprintf("* never matches a request with credentials: echo the origin instead, %s, on %s, or make the request with credentials: 'omit'.", acao(), where)
	case spec.ACAOInvalid:
		return fmt.Sprintf("Access-Control-Allow-Origin must be *, null or a serialized origin (scheme://host[:port], no path, no trailing slash, no quotes): send %s on %s.%s", acao(), where, tainted)
	case spec.ACAOMismatch:
		return fmt.Sprintf("the value must be byte for byte the origin the browser sent (%s; got %q): send %s on %s.%s", origin, v.Detail, acao(), where, tainted)
	case spec.ACACNotTrue:
		return fmt.Sprintf("send Access-Control-Allow-Credentials: true (exactly, lowercase, one line) on %s, or make the request with credentials: 'omit' or 'same-origin'.", where)
	case spec.PreflightStatus:
		return fmt.Sprintf("answer the OPTIONS preflight to %s with a 2xx status (204 is usual); an authentication layer or a router without an OPTIONS route often answers it before the CORS middleware runs.", last.URL)
	case spec.PreflightRedirect:
		return fmt.Sprintf("preflights never follow redirects: request the URL the server redirects to (%s) directly, or answer OPTIONS at %s itself (a trailing-slash or http-to-https redirect is the usual cause).", v.Detail, last.URL)
	case spec.ACAMInvalid:
		return fmt.Sprintf("list methods as comma-separated tokens, for example Access-Control-Allow-Methods: %s (the value %q does not parse).", last.ACRM, v.Detail)
	case spec.ACAHInvalid:
		return fmt.Sprintf("list header names as comma-separated tokens, for example Access-Control-Allow-Headers: %s (the value %q does not parse).", last.ACRH, v.Detail)
	case spec.MethodNotAllowed:
		extra := ""
		if include {
			extra = " With credentials, * is the literal method name \"*\", not a wildcard."
		}
		return fmt.Sprintf("add %s to Access-Control-Allow-Methods on %s; the match is byte for byte, so send it as %s.%s", v.Detail, where, v.Detail, extra)
	case spec.HeaderNotAllowed:
		extra := ""
		if include {
			extra = " With credentials, * is the literal name \"*\", not a wildcard."
		} else {
			extra = " * covers every name except Authorization."
		}
		return fmt.Sprintf("add %s to Access-Control-Allow-Headers on %s (the request asks for: %s).%s", v.Detail, where, last.ACRH, extra)
	case spec.RedirectCredentials:
		return fmt.Sprintf("remove the user:password part from the Location %q; send credentials in a header instead.", v.Detail)
	case spec.RedirectLocationInvalid:
		return fmt.Sprintf("send a valid URL in Location (got %q).", v.Detail)
	case spec.RedirectScheme:
		return fmt.Sprintf("redirect to an http or https URL (got %q).", v.Detail)
	case spec.RedirectLimit:
		return "the redirects loop or chain more than 20 times: redirect straight to the final URL."
	case spec.SchemeNotHTTP:
		return "request an http or https URL; CORS requests to other schemes always fail."
	case spec.URLCredentials:
		return "remove user:password from the URL; send credentials in an Authorization header."
	case spec.MethodInvalid, spec.MethodForbidden, spec.HeaderInvalid, spec.BodyWithGetOrHead:
		return "fetch() rejects this request before sending anything: fix the call in the page's code (" + v.Reason.Doc() + ")."
	}
	return ""
}
