package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// The caps browsers put on a preflight's max-age (Fetch lets a user agent
// impose one): Chromium's kMaxTimeout in
// services/network/cors/preflight_result.cc, Firefox's 24 hours.
const (
	chromeMaxAge  = 7200
	firefoxMaxAge = 86400
)

// browserCaps are the caps by engine, for rationales.
var browserCaps = []struct {
	name string
	cap  int64
}{{"Chrome", chromeMaxAge}, {"Firefox", firefoxMaxAge}}

// cachedPreflight is the answer to an allowed probe's preflight that a
// browser stores in its CORS-preflight cache: the preflight passed.
type cachedPreflight struct {
	i    int // index of the probe
	req  spec.PreflightRequest
	resp spec.Response
}

// cacheFindings judges what browsers keep from the preflights of the
// allowed probes, from the answers already received (no request is sent
// for it): that they are cached for the policy's maxAge (max-age-mismatch),
// and that the method and header-name entries they leave in the
// CORS-preflight cache let no request the policy does not allow go without
// a preflight later (cached-method-unlisted, cached-header-unlisted). The
// cache is spec's model (spec.PreflightCache), one per preflight answer.
func cacheFindings(p Policy, probes []probe, res []ProbeResult) []Finding {
	var cached []cachedPreflight
	for i, pr := range probes {
		r := res[i]
		if pr.kind != KindAllowed || r.Preflight == nil || r.Preflight.Response == nil {
			continue
		}
		c := cachedPreflight{i: i, req: preflightRequest(pr.req),
			resp: spec.Response{Status: r.Preflight.Response.Status, Headers: r.Preflight.Response.Headers}}
		// Only a preflight that passes is stored.
		if reason, _ := spec.CheckPreflight(c.req, c.resp); reason != spec.ReasonNone {
			continue
		}
		cached = append(cached, c)
	}
	if len(cached) == 0 {
		return nil
	}
	var fs []Finding
	if p.MaxAge != nil {
		fs = append(fs, maxAgeFindings(int64(*p.MaxAge), probes, res, cached)...)
	}
	return append(fs, widenFindings(p, probes, res, cached)...)
}

// preflightRequest is what a preflight is checked for, for a probe's
// request: its method normalized as fetch() does.
func preflightRequest(r spec.Request) spec.PreflightRequest {
	return spec.PreflightRequest{Origin: r.Origin, Method: spec.NormalizeMethod(r.Method), Headers: r.Headers,
		Credentials: r.Credentials, ForcePreflight: r.ForcePreflight}
}

// acmaLines returns the Access-Control-Max-Age lines of h.
func acmaLines(h []spec.Header) []string {
	var v []string
	for _, x := range h {
		if strings.EqualFold(x.Name, "Access-Control-Max-Age") {
			v = append(v, x.Value)
		}
	}
	return v
}

// maxAgeFindings reports, once per distinct Access-Control-Max-Age a
// passing allowed preflight carries, a cache time other than the declared
// one.
func maxAgeFindings(declared int64, probes []probe, res []ProbeResult, cached []cachedPreflight) []Finding {
	type group struct {
		first cachedPreflight
		n     int
	}
	var order []string
	groups := map[string]*group{}
	for _, c := range cached {
		k := strings.Join(acmaLines(c.resp.Headers), "\n")
		if g, ok := groups[k]; ok {
			g.n++
			continue
		}
		groups[k] = &group{first: c, n: 1}
		order = append(order, k)
	}
	var fs []Finding
	for _, k := range order {
		g := groups[k]
		got, _ := spec.MaxAge(g.first.resp.Headers, 0)
		if got == declared {
			continue
		}
		sev, why := maxAgeSeverity(got, declared)
		pr := probes[g.first.i]
		var sent string
		switch lines := acmaLines(g.first.resp.Headers); {
		case len(lines) == 0:
			sent = fmt.Sprintf("without Access-Control-Max-Age, so browsers cache it for the default %d s", spec.DefaultMaxAge)
		case len(lines) > 1:
			sent = fmt.Sprintf("with %d Access-Control-Max-Age lines (%q), which is not one delta-seconds value, so browsers cache it for the default %d s",
				len(lines), lines, spec.DefaultMaxAge)
		default:
			if _, parsed := spec.MaxAge(g.first.resp.Headers, 0); !parsed {
				sent = fmt.Sprintf("with Access-Control-Max-Age: %q, which is not delta-seconds (digits only), so browsers cache it for the default %d s",
					lines[0], spec.DefaultMaxAge)
			} else {
				sent = fmt.Sprintf("with Access-Control-Max-Age: %s, so browsers cache it for %s", strings.TrimSpace(lines[0]), inBrowsers(got))
			}
		}
		of := ""
		switch {
		case g.n == len(cached) && g.n > 1:
			of = fmt.Sprintf(" (all %d passing allowed preflights)", g.n)
		case g.n < len(cached):
			of = fmt.Sprintf(" (%d of the %d passing allowed preflights)", g.n, len(cached))
		}
		fs = append(fs, Finding{
			Code: MaxAgeMismatch, Severity: sev, Rationale: why, Title: MaxAgeMismatch.Title(), Probe: res[g.first.i],
			Detail: fmt.Sprintf("the preflight for %s passes %s; the policy declares %d s%s", requestLabel(pr.req), sent, declared, of),
		})
	}
	return fs
}

// inBrowsers says how long browsers keep an entry of age seconds.
func inBrowsers(age int64) string {
	s := fmt.Sprintf("%d s", age)
	if age > chromeMaxAge {
		s += fmt.Sprintf(" (Chrome at most %d s, Firefox %d s)", chromeMaxAge, min(age, firefoxMaxAge))
	}
	return s
}

// maxAgeSeverity decides a max-age-mismatch: a cache time longer than
// declared, in at least one browser (after its cap), keeps a grant alive
// after the policy withdraws it: low, like any acceptance beyond the policy
// that only an allowed origin can use. A shorter one, or one that differs
// only beyond every browser's cap, costs preflights and opens nothing:
// info.
func maxAgeSeverity(got, declared int64) (Severity, string) {
	var longer, shorter []string
	for _, b := range browserCaps {
		g, d := min(got, b.cap), min(declared, b.cap)
		switch {
		case g > d:
			longer = append(longer, fmt.Sprintf("%s %d s", b.name, g))
		case g < d:
			shorter = append(shorter, fmt.Sprintf("%s %d s", b.name, g))
		}
	}
	var sev Severity
	var why string
	switch {
	case len(longer) > 0:
		sev = Low
		why = fmt.Sprintf("browsers keep the grant longer than declared (%s, instead of %d s): after the policy withdraws a method, a header or the origin itself, "+
			"a page of that origin that cached this answer still sends such requests without a new preflight for that long; they reach the server, and only each response's own CORS check still stops script reading the answer",
			strings.Join(longer, ", "), declared)
	case got > declared:
		sev = Info
		why = fmt.Sprintf("longer than declared only beyond every browser's cap (Chrome %d s, Firefox %d s): no browser keeps it longer", chromeMaxAge, firefoxMaxAge)
	case len(shorter) > 0:
		sev = Info
		why = fmt.Sprintf("browsers cache the answer for less than declared (%s): they send more preflights than the policy intends, a cost and no opening", strings.Join(shorter, ", "))
	default:
		sev = Info
		why = fmt.Sprintf("shorter than declared only beyond every browser's cap (Chrome %d s, Firefox %d s): no browser sees the difference", chromeMaxAge, firefoxMaxAge)
	}
	if declared > chromeMaxAge {
		capped := "Chrome's cap"
		if declared > firefoxMaxAge {
			capped = "Chrome's and Firefox's caps"
		}
		why += fmt.Sprintf("; the policy's %d s is above %s (Chrome %d s, Firefox %d s), so no browser keeps a preflight that long whatever the server sends: not the server's doing",
			declared, capped, chromeMaxAge, firefoxMaxAge)
	}
	return sev, why
}

// safelistedNames are the CORS-safelisted request-header names whose
// unsafe values (over 128 bytes, or with a byte the safelist excludes)
// change nothing a server cares about: a cache entry for one lets only
// such values go without a preflight. Content-Type (any media type, JSON
// included) and Range (any range) are not among them.
var safelistedNames = []string{"accept", "accept-language", "content-language"}

// widened is one unlisted method or header name a cached answer lets
// through, and in which credentials modes.
type widened struct {
	name         string
	credentialed bool // a credentialed request goes too (else only an uncredentialed one)
}

// widenFindings reports, for each passing allowed preflight, the methods
// and request headers the policy does not list that its cache entries let
// a later request from the same origin to the same URL carry without a
// preflight — whatever a preflight asking for them would be answered. A
// name is reported once, with the first answer that lets it through.
//
// The rule, in both directions: the answer to an allowed preflight is
// stored as it is (spec.PreflightCache.Store), and a later request skips
// the preflight when the cache holds an entry for its method and each of
// its CORS-unsafe header names (NeedsPreflight). An unlisted name an entry
// covers is a finding even when a preflight asking for it is refused,
// since the browser never asks; when that preflight passes too,
// unlisted-method-allowed (unlisted-header-allowed) is reported besides:
// two ways in, and closing one leaves the other.
// `*` entries never cover Authorization, nor serve a credentialed request;
// an entry made without credentials does not serve a credentialed request,
// one made with credentials serves both.
func widenFindings(p Policy, probes []probe, res []ProbeResult, cached []cachedPreflight) []Finding {
	direct := directAnswers(probes, res)
	seenM, seenH := map[string]bool{}, map[string]bool{}
	var fs []Finding
	for _, c := range cached {
		pr := probes[c.i]
		url := pr.req.URL
		var cache spec.PreflightCache
		cache.Store(c.req, url, c.resp, 0, 0)
		age, _ := spec.MaxAge(c.resp.Headers, 0)
		var methods, headers []string
		for _, e := range cache.Entries {
			switch {
			case e.Method == "*":
				methods = append(methods, wildcardMethodSamples(p)...)
			case e.Method != "":
				// fetch() normalizes the method script gives: an entry
				// for "delete" serves no request.
				methods = append(methods, spec.NormalizeMethod(e.Method))
			case e.HeaderName == "*":
				headers = append(headers, unlistedHeader, "Authorization")
			default:
				headers = append(headers, e.HeaderName)
			}
		}
		var gotM, gotH []widened
		for _, m := range methods {
			if seenM[m] || p.allowsMethod(m) || !spec.IsToken(m) || spec.IsForbiddenMethod(m) {
				continue
			}
			if w, ok := served(&cache, url, spec.PreflightRequest{Origin: c.req.Origin, Method: m}, m); ok {
				seenM[m] = true
				gotM = append(gotM, w)
			}
		}
		for _, h := range headers {
			key := strings.ToLower(h)
			v := unsafeValue(h)
			if seenH[key] || p.allowsHeader(h) || !spec.IsToken(h) || spec.IsForbiddenRequestHeader(h, v) {
				continue
			}
			r := spec.PreflightRequest{Origin: c.req.Origin, Method: "GET", Headers: []spec.Header{{Name: h, Value: v}}}
			if w, ok := served(&cache, url, r, h); ok {
				seenH[key] = true
				gotH = append(gotH, w)
			}
		}
		if len(gotM) > 0 {
			acam, _ := spec.GetHeader(c.resp.Headers, "Access-Control-Allow-Methods")
			fs = append(fs, Finding{
				Code: CachedMethodUnlisted, Severity: Low, Title: CachedMethodUnlisted.Title(), Probe: res[c.i],
				Rationale: cacheRationale(age),
				Detail: fmt.Sprintf("the preflight for %s passes with Access-Control-Allow-Methods: %q; cached for %s, it lets a later %s from %s to this URL go without a preflight%s",
					requestLabel(pr.req), acam, inBrowsers(age), describeWidened(gotM, "request", p.AllowCredentials), c.req.Origin, directNote(gotM, direct.methods, UnlistedMethodAllowed)),
			})
		}
		if len(gotH) > 0 {
			acah, _ := spec.GetHeader(c.resp.Headers, "Access-Control-Allow-Headers")
			sev, why := Info, cacheRationale(age)+"; the names are CORS-safelisted, so browsers send them without a preflight anyway unless a value is over 128 bytes or holds a byte the safelist excludes: only such values gain"
			for _, w := range gotH {
				if !slices.Contains(safelistedNames, strings.ToLower(w.name)) {
					sev, why = Low, cacheRationale(age)
				}
			}
			fs = append(fs, Finding{
				Code: CachedHeaderUnlisted, Severity: sev, Title: CachedHeaderUnlisted.Title(), Probe: res[c.i],
				Rationale: why,
				Detail: fmt.Sprintf("the preflight for %s passes with Access-Control-Allow-Headers: %q; cached for %s, it lets a later request from %s to this URL carry %s without a preflight%s",
					requestLabel(pr.req), acah, inBrowsers(age), c.req.Origin, describeWidened(gotH, "header", p.AllowCredentials), directNote(gotH, direct.headers, UnlistedHeaderAllowed)),
			})
		}
	}
	return fs
}

// served asks the model whether request r, which needs a preflight when
// nothing is cached, goes without one given cache: with credentials
// included first, then without.
func served(cache *spec.PreflightCache, url string, r spec.PreflightRequest, name string) (widened, bool) {
	var empty spec.PreflightCache
	for _, creds := range []spec.Credentials{spec.CredentialsInclude, spec.CredentialsOmit} {
		r.Credentials = creds
		if empty.NeedsPreflight(r, url, 0) && !cache.NeedsPreflight(r, url, 0) {
			return widened{name: name, credentialed: creds == spec.CredentialsInclude}, true
		}
	}
	return widened{}, false
}

// wildcardMethodSamples are the unlisted methods a `*` method entry is
// tried with: the ones the unlisted-method probe chooses from.
func wildcardMethodSamples(p Policy) []string {
	var out []string
	for _, m := range unlistedMethods {
		if !p.allowsMethod(m) {
			out = append(out, m)
		}
	}
	return out
}

// unsafeValue is a value of header name that makes it CORS-unsafe (a
// safelisted name with an unsafe value needs a preflight too).
func unsafeValue(name string) string {
	v := headerValue(name)
	if spec.IsSafelistedRequestHeader(name, v) {
		return strings.Repeat("x", spec.SafelistValueLimit+1)
	}
	return v
}

func cacheRationale(age int64) string {
	return fmt.Sprintf("only script already running on an allowed origin can use it (cache entries are keyed by that origin and this URL), for as long as the entry lives: %s", inBrowsers(age))
}

// describeWidened lists the widened names; creds (the policy's requests
// are credentialed) marks the ones only an uncredentialed request gets.
func describeWidened(ws []widened, what string, creds bool) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.name
		if creds && !w.credentialed {
			parts[i] += " (without credentials only)"
		}
	}
	if what == "request" {
		return strings.Join(parts, ", ") + " request"
	}
	return strings.Join(parts, ", ")
}

// directProbes are the answers to the unlisted-method and unlisted-header
// probes, by the method or header name they ask for: whether the server
// approves it when asked.
type directProbes struct {
	methods, headers map[string]ProbeResult
}

func directAnswers(probes []probe, res []ProbeResult) directProbes {
	d := directProbes{methods: map[string]ProbeResult{}, headers: map[string]ProbeResult{}}
	for i, pr := range probes {
		switch {
		case pr.kind == KindUnlistedMethod:
			d.methods[spec.NormalizeMethod(pr.req.Method)] = res[i]
		case pr.kind == KindUnlistedHeader && len(pr.req.Headers) == 1:
			d.headers[strings.ToLower(pr.req.Headers[0].Name)] = res[i]
		}
	}
	return d
}

// directNote says what the server answers when a browser asks for a
// widened name directly, where the runner asked (asked is keyed by the
// normalized method or the lowercased header name); code is the finding a
// passing answer raised.
func directNote(ws []widened, asked map[string]ProbeResult, code Code) string {
	var notes []string
	for _, w := range ws {
		k := w.name
		if code == UnlistedHeaderAllowed {
			k = strings.ToLower(k)
		}
		r, ok := asked[k]
		switch {
		case !ok || r.Preflight == nil || r.Preflight.Response == nil:
		case preflightPassed(r):
			notes = append(notes, fmt.Sprintf("a preflight asking for %s passes too (%s)", w.name, code))
		default:
			notes = append(notes, fmt.Sprintf("a preflight asking for %s is refused (status %d), but the browser never sends one", w.name, r.Preflight.Response.Status))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ")
}

// requestLabel names a probe's request: method, headers and origin.
func requestLabel(r spec.Request) string {
	s := spec.NormalizeMethod(r.Method)
	if len(r.Headers) > 0 {
		names := make([]string, len(r.Headers))
		for i, h := range r.Headers {
			names[i] = h.Name
		}
		s += " with " + strings.Join(names, ", ")
	}
	return s + " from " + r.Origin
}
