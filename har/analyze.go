package har

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Report is the analysis of one HAR file.
type Report struct {
	// Fetches are the cross-origin CORS fetches found, blocked ones
	// first, then the undecided, then the allowed, each group in the
	// file's order.
	Fetches []Fetch
	// Skipped are the entries not judged, each with the reason.
	Skipped []Skip
}

// Skip is an entry the analysis did not judge.
type Skip struct {
	Entry int    // index in log.entries
	URL   string // its request URL
	Why   string
}

// Status is what crosscheck can say about a fetch.
type Status string

// The statuses of a fetch.
const (
	// StatusBlocked: the model blocks the fetch, deciding from what the
	// archive holds.
	StatusBlocked Status = "blocked"
	// StatusAllowed: the model hands the response to script.
	StatusAllowed Status = "allowed"
	// StatusUndecided: the archive lacks what the model needs to decide
	// (a response, a preflight answer, a redirect target), or the request
	// failed on the network before CORS applied.
	StatusUndecided Status = "undecided"
)

// Fetch is one cross-origin fetch found in a HAR, judged with the model.
type Fetch struct {
	// Entries are the entry indexes of its hops: the request, then one
	// per redirect followed.
	Entries []int
	// Preflights holds, per hop, the entry index of the CORS preflight
	// paired with it, or -1 when the archive has none for that hop.
	Preflights []int
	// Origin is the page's origin; OriginFrom says where it came from.
	Origin, OriginFrom string
	// Credentials is the credentials mode judged with; CredentialsFrom
	// says why.
	Credentials     spec.Credentials
	CredentialsFrom string
	// Exchange is what the model judged: the script's request rebuilt
	// from the first hop, each hop's preflight answer, the redirects and
	// the final response. Preflight answers the archive lacks are filled
	// in (see Predicted) only where the browser went on to send the
	// request, which shows its preflight passed.
	Exchange spec.Exchange
	Status   Status
	Verdict  spec.Verdict
	Trace    spec.Trace
	// Predicted are the preflights the model says the browser sent that
	// the archive does not hold (Chrome often leaves them out, and a
	// preflight answered from the preflight cache is not sent at all).
	Predicted []spec.SentRequest
	// Browser is what the archive says the browser did.
	Browser Observed
	// BrowserHeaders are the header names of the first hop left out of
	// the rebuilt request as the browser's own rather than the script's.
	BrowserHeaders []string
	// Notes explain anything the reader should know about this verdict:
	// what is missing, what was inferred, where the browser and the model
	// part ways.
	Notes []string
}

// Observed is what the archive records of the browser's own outcome for
// the last hop of a fetch.
type Observed struct {
	Status int
	// Error is the network error the browser reported (Chrome's _error),
	// "" when none. Recorded tells whether the exporter records errors at
	// all (Firefox does not).
	Error    string
	Recorded bool
}

// Failed reports whether the browser recorded a failure.
func (o Observed) Failed() bool { return o.Error != "" }

// Method returns the fetch's method as script asked for it.
func (f *Fetch) Method() string { return f.Exchange.Request.Method }

// URL returns the fetch's first URL.
func (f *Fetch) URL() string { return f.Exchange.Request.URL }

// Analyze finds and judges every cross-origin fetch in f.
func Analyze(f *File) *Report {
	a := &analysis{f: f, next: map[int]int{}, prev: map[int]int{}, claimed: map[int]bool{}, preByURL: map[string][]int{}}
	rep := &Report{}
	var preflights []int
	for i := range f.Entries {
		if isPreflight(&f.Entries[i]) {
			preflights = append(preflights, i)
			u := stripFragment(f.Entries[i].Request.URL)
			a.preByURL[u] = append(a.preByURL[u], i)
		}
	}
	a.chainRedirects()
	for i := range f.Entries {
		e := &f.Entries[i]
		if isPreflight(e) {
			continue
		}
		if _, hop := a.prev[i]; hop {
			continue
		}
		fetch, skip := a.fetch(i)
		if skip != "" {
			rep.Skipped = append(rep.Skipped, Skip{Entry: e.Index, URL: e.Request.URL, Why: skip})
			continue
		}
		rep.Fetches = append(rep.Fetches, fetch)
	}
	for _, i := range preflights {
		if !a.claimed[i] {
			e := &f.Entries[i]
			rep.Skipped = append(rep.Skipped, Skip{Entry: e.Index, URL: e.Request.URL,
				Why: "a CORS preflight whose request is not in the archive (or could not be matched to it)"})
		}
	}
	rank := map[Status]int{StatusBlocked: 0, StatusUndecided: 1, StatusAllowed: 2}
	slices.SortStableFunc(rep.Fetches, func(x, y Fetch) int { return rank[x.Status] - rank[y.Status] })
	slices.SortFunc(rep.Skipped, func(x, y Skip) int { return x.Entry - y.Entry })
	return rep
}

type analysis struct {
	f       *File
	next    map[int]int  // entry -> the entry of the hop its redirect led to
	prev    map[int]int  // the reverse
	claimed map[int]bool // preflight entries paired with a hop
	// preByURL lists the preflight entries by request URL.
	preByURL map[string][]int
}

// isPreflight reports whether e is a CORS preflight: an OPTIONS request
// with Access-Control-Request-Method, or one Chrome marks as a preflight.
func isPreflight(e *Entry) bool {
	if !strings.EqualFold(e.Request.Method, "OPTIONS") {
		return false
	}
	_, acrm := Header(e.Request.Headers, "Access-Control-Request-Method")
	return acrm || e.ResourceType == "preflight" || e.Initiator.Type == "preflight"
}

func isRedirectStatus(s int) bool {
	switch s {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// location is the Location an entry's response redirects to: redirectURL,
// else the Location header.
func location(e *Entry) string {
	if e.Response.RedirectURL != "" {
		return e.Response.RedirectURL
	}
	loc, _ := Header(e.Response.Headers, "Location")
	return loc
}

// resolve resolves ref against base; "" when either does not parse.
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	u := b.ResolveReference(r)
	u.Fragment = ""
	return u.String()
}

func stripFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

// chainRedirects links each redirect response to the entry of the request
// it led to: the first later entry, not yet linked, whose URL is the
// resolved Location (browsers log each hop as its own entry, in order).
func (a *analysis) chainRedirects() {
	es := a.f.Entries
	for i := range es {
		e := &es[i]
		// A hop the browser failed (a redirect that fails the CORS check
		// has _error set) led nowhere.
		if isPreflight(e) || !isRedirectStatus(e.Response.Status) || e.Response.Error != "" {
			continue
		}
		loc := location(e)
		if loc == "" {
			continue
		}
		target := resolve(e.Request.URL, loc)
		for j := i + 1; j < len(es); j++ {
			n := &es[j]
			if _, taken := a.prev[j]; taken || isPreflight(n) || stripFragment(n.Request.URL) != target {
				continue
			}
			if e.Initiator != n.Initiator {
				continue // Chrome gives every hop the first one's initiator
			}
			// The method stays, except that a 303 (and a 301 or 302 of a
			// POST) turns it into GET.
			if n.Request.Method != e.Request.Method && !(n.Request.Method == "GET" && (e.Response.Status == 303 ||
				e.Request.Method == "POST" && (e.Response.Status == 301 || e.Response.Status == 302))) {
				continue
			}
			a.next[i], a.prev[j] = j, i
			break
		}
	}
}

// urlOrigin is the serialized origin of an http(s) URL, "" for others.
func urlOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	o := u.Scheme + "://" + host
	if port != "" {
		o += ":" + port
	}
	return o
}

// pageOrigin finds the origin of the page that made the request of entry
// e (whose first-hop preflight, if any, is pre).
func (a *analysis) pageOrigin(e *Entry, pre *Entry) (origin, from string) {
	if o, ok := Header(e.Request.Headers, "Origin"); ok && o != "" {
		return o, "the request's Origin header"
	}
	if pre != nil {
		if o, ok := Header(pre.Request.Headers, "Origin"); ok && o != "" {
			return o, "the preflight's Origin header"
		}
	}
	if ref, ok := Header(e.Request.Headers, "Referer"); ok {
		if o := urlOrigin(ref); o != "" {
			return o, "the request's Referer header"
		}
	}
	for _, p := range a.f.Pages {
		if p.ID == e.Pageref && e.Pageref != "" {
			if o := urlOrigin(p.Title); o != "" {
				return o, "the page " + p.Title + " (log.pages)"
			}
		}
	}
	if len(a.f.Pages) == 1 {
		if o := urlOrigin(a.f.Pages[0].Title); o != "" {
			return o, "the archive's only page " + a.f.Pages[0].Title
		}
	}
	return "", ""
}

// corsMode tells whether entry e is a CORS-mode request, and why not when
// it is not. Sec-Fetch-Mode says it when the archive has the headers as
// sent; Chrome's _resourceType when only provisional headers are there;
// an Origin header on a GET or HEAD otherwise (no-cors GETs send none).
func corsMode(e *Entry, hasPreflight bool) (bool, string) {
	if m, ok := Header(e.Request.Headers, "Sec-Fetch-Mode"); ok {
		if strings.EqualFold(m, "cors") {
			return true, ""
		}
		return false, "not a CORS request (Sec-Fetch-Mode: " + m + ")"
	}
	if hasPreflight {
		return true, ""
	}
	switch e.ResourceType {
	case "fetch", "xhr", "eventsource", "font":
		return true, ""
	case "":
	default:
		return false, "not a CORS request (a " + e.ResourceType + " load without Sec-Fetch-Mode: cors)"
	}
	if _, ok := Header(e.Request.Headers, "Origin"); ok && (e.Request.Method == "GET" || e.Request.Method == "HEAD") {
		return true, ""
	}
	return false, "not shown to be a CORS request (no Sec-Fetch-Mode, resource type or Origin header says so)"
}

// pairPreflight finds the unclaimed preflight entry for a hop: same URL,
// Access-Control-Request-Method equal to the hop's method, Origin equal to
// the hop's when both are known; the nearest in the file wins.
func (a *analysis) pairPreflight(hop int, origin string) int {
	if j := a.findPreflight(hop, origin, true); j >= 0 {
		return j
	}
	return a.findPreflight(hop, origin, false)
}

// findPreflight is pairPreflight's search; sameOrigin requires the
// preflight's Origin to be origin (when both are known).
func (a *analysis) findPreflight(hop int, origin string, sameOrigin bool) int {
	es := a.f.Entries
	h := &es[hop]
	best, bestDist := -1, 0
	for _, j := range a.preByURL[stripFragment(h.Request.URL)] {
		p := &es[j]
		if a.claimed[j] {
			continue
		}
		if m, _ := Header(p.Request.Headers, "Access-Control-Request-Method"); !strings.EqualFold(m, h.Request.Method) {
			continue
		}
		if po, ok := Header(p.Request.Headers, "Origin"); sameOrigin && ok && origin != "" && po != origin {
			continue
		}
		d := j - hop
		if d < 0 {
			d = -d
		}
		if best < 0 || d < bestDist {
			best, bestDist = j, d
		}
	}
	if best >= 0 {
		a.claimed[best] = true
	}
	return best
}

// browserHeader reports header lines the browser adds on its own that are
// not forbidden request-headers (so the model would take them for the
// script's): User-Agent, and the no-cache pair a no-store fetch or
// DevTools' "Disable cache" adds.
func browserHeader(h spec.Header) bool {
	switch strings.ToLower(h.Name) {
	case "user-agent", "priority", "upgrade-insecure-requests", "purpose", "x-client-data":
		return true
	case "cache-control", "pragma":
		return strings.EqualFold(strings.TrimSpace(h.Value), "no-cache")
	}
	return false
}

// scriptHeaders rebuilds the headers script set from the headers the
// request went out with: forbidden request-headers and the browser's own
// are left out. When the archive has the preflight, its
// Access-Control-Request-Headers is the list of the CORS-unsafe names the
// script set, and other unsafe lines are the browser's.
func scriptHeaders(sent []spec.Header, pre *Entry) (keep []spec.Header, dropped []string) {
	var asked []string
	if pre != nil {
		if acrh, ok := Header(pre.Request.Headers, "Access-Control-Request-Headers"); ok {
			for n := range strings.SplitSeq(acrh, ",") {
				if n = strings.TrimSpace(n); n != "" {
					asked = append(asked, strings.ToLower(n))
				}
			}
		}
	}
	have := map[string]bool{}
	for _, h := range sent {
		v := spec.NormalizeHeaderValue(h.Value)
		if spec.IsForbiddenRequestHeader(h.Name, v) {
			continue
		}
		lower := strings.ToLower(h.Name)
		switch {
		case pre != nil && slices.Contains(asked, lower):
		case pre != nil && !spec.IsSafelistedRequestHeader(h.Name, v):
			dropped = append(dropped, h.Name)
			continue
		case pre == nil && browserHeader(h):
			dropped = append(dropped, h.Name)
			continue
		}
		have[lower] = true
		keep = append(keep, h)
	}
	// A name the preflight asked for whose line the archive does not show
	// (Chrome keeps only provisional headers for a request never sent).
	for _, n := range asked {
		if !have[n] {
			keep = append(keep, spec.Header{Name: n, Value: ""})
		}
	}
	return keep, dropped
}

// fetch builds and judges the fetch whose first hop is entry head, or
// says why it is skipped.
func (a *analysis) fetch(head int) (Fetch, string) {
	es := a.f.Entries
	e := &es[head]
	rawURL := e.Request.URL
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		scheme := "an unparsable"
		if err == nil {
			scheme = "a " + u.Scheme + ":"
		}
		return Fetch{}, scheme + " URL: not fetched over HTTP, so CORS does not apply"
	}
	hops := []int{head}
	for n, ok := a.next[head]; ok; n, ok = a.next[n] {
		hops = append(hops, n)
	}
	// The first hop's preflight gives the origin when the request's own
	// headers are the provisional ones (a request never sent).
	origin, from := a.pageOrigin(e, nil)
	pre0 := a.pairPreflight(head, origin)
	var preEntry *Entry
	if pre0 >= 0 {
		preEntry = &es[pre0]
		if origin == "" || from != "the request's Origin header" {
			if o, f := a.pageOrigin(e, preEntry); o != "" {
				origin, from = o, f
			}
		}
	}
	release := func() {
		if pre0 >= 0 {
			delete(a.claimed, pre0)
		}
	}
	if origin == "" {
		release()
		return Fetch{}, "no page origin: no Origin or Referer header and no page in the archive"
	}
	if ok, why := corsMode(e, pre0 >= 0); !ok {
		release()
		return Fetch{}, why
	}
	cross := false
	for _, h := range hops {
		cross = cross || urlOrigin(es[h].Request.URL) != origin
	}
	if !cross {
		release()
		return Fetch{}, "same-origin with the page (" + origin + "): CORS does not apply"
	}
	f := Fetch{Entries: hops, Origin: origin, OriginFrom: from, Preflights: make([]int, len(hops))}
	f.Preflights[0] = pre0
	for k := 1; k < len(hops); k++ {
		hopOrigin, _ := Header(es[hops[k]].Request.Headers, "Origin")
		p := a.pairPreflight(hops[k], hopOrigin)
		f.Preflights[k] = p
		if po, ok := Header(es[max(p, 0)].Request.Headers, "Origin"); p >= 0 && ok && hopOrigin != "" && po != hopOrigin {
			f.Notes = append(f.Notes, fmt.Sprintf("the browser sent the preflight of hop %d (entry %d) with Origin %s but the request itself with Origin %s; "+
				"after a redirect to another origin the spec sends null in both", k, p, po, hopOrigin))
		}
	}
	headers, dropped := scriptHeaders(e.Request.Headers, preEntry)
	req := spec.Request{Origin: origin, URL: rawURL, Method: e.Request.Method, Headers: headers, HasBody: e.Request.HasBody}
	f.BrowserHeaders = dropped
	ex := spec.Exchange{Request: req, HopPreflights: make([]*spec.Response, len(hops))}
	for k, h := range hops {
		if p := f.Preflights[k]; p >= 0 {
			ex.HopPreflights[k] = &spec.Response{Status: es[p].Response.Status, Headers: es[p].Response.Headers}
		}
		r := &es[h].Response
		if k < len(hops)-1 || (isRedirectStatus(r.Status) && location(&es[h]) != "") {
			// The hop's Location is the one the browser followed
			// (redirectURL, resolved), not a second Location header.
			rd, _ := spec.ReceivedRedirect(r.Status, r.Headers)
			rd.Location = location(&es[h])
			ex.Redirects = append(ex.Redirects, rd)
			continue
		}
		ex.Response = spec.Response{Status: r.Status, Headers: r.Headers}
	}
	last := &es[hops[len(hops)-1]]
	f.Browser = Observed{Status: last.Response.Status, Error: last.Response.Error, Recorded: last.Response.HasErrorField}

	// Credentials: cookies on the wire say "include"; otherwise the
	// fetch() default, unless only "include" explains the browser's
	// failure.
	f.Credentials, f.CredentialsFrom = spec.CredentialsSameOrigin, "fetch()'s default; the archive does not record the mode"
	for _, h := range hops {
		if _, ok := Header(es[h].Request.Headers, "Cookie"); ok || es[h].Request.Cookies > 0 {
			f.Credentials, f.CredentialsFrom = spec.CredentialsInclude, "the request carried cookies"
			break
		}
	}
	ex.Request.Credentials = f.Credentials
	a.judge(&f, ex, hops)
	if f.Credentials != spec.CredentialsInclude && f.Status == StatusAllowed && f.Browser.Failed() && last.Response.Status != 0 {
		alt := f
		alt.Notes = slices.Clone(f.Notes)
		alt.Predicted = nil
		ex.Request.Credentials = spec.CredentialsInclude
		a.judge(&alt, ex, hops)
		if alt.Status == StatusBlocked {
			alt.Credentials = spec.CredentialsInclude
			alt.CredentialsFrom = "inferred: the browser failed the request although its response passes without credentials; with credentials: \"include\" the model blocks it too"
			f = alt
		}
	}
	if !f.Browser.Recorded && f.Credentials != spec.CredentialsInclude && f.Status != StatusUndecided {
		// The archive records neither the mode nor the browser's failures
		// (Firefox): say what credentials would change.
		alt := f
		alt.Notes, alt.Predicted = nil, nil
		ex.Request.Credentials = spec.CredentialsInclude
		a.judge(&alt, ex, hops)
		if alt.Status != f.Status || alt.Verdict.Reason != f.Verdict.Reason {
			what := "the model allows it"
			if alt.Status == StatusBlocked {
				what = fmt.Sprintf("the model blocks it at the %s: %s", alt.Verdict.Stage, alt.Verdict.Reason)
			}
			f.Notes = append(f.Notes, "this archive does not record the credentials mode nor the browser's failures; if the page used credentials: \"include\", "+what)
		}
	}
	a.compare(&f)
	return f, ""
}

// judge runs the model over ex, filling in the preflight answers the
// archive lacks where the browser went on past them, and sets the status.
func (a *analysis) judge(f *Fetch, ex spec.Exchange, hops []int) {
	es := a.f.Entries
	f.Predicted = nil
	for range len(hops) + 1 {
		v, tr := spec.Explain(ex)
		f.Exchange, f.Verdict, f.Trace = ex, v, tr
		f.Status = StatusAllowed
		if v.Outcome == spec.Blocked {
			f.Status = StatusBlocked
		}
		if v.Outcome != spec.Blocked || v.Stage != spec.StagePreflight || v.Hop >= len(hops) || f.Preflights[v.Hop] >= 0 {
			break
		}
		// The model blocked at a preflight the archive does not hold,
		// judging its placeholder answer (200, no headers).
		var pre spec.SentRequest
		for _, s := range tr.Sent {
			if s.Preflight {
				pre = s
			}
		}
		f.Predicted = append(f.Predicted, pre)
		hopEntry := &es[hops[v.Hop]]
		if hopEntry.Response.Status == 0 {
			f.Status = StatusUndecided
			f.Notes = append(f.Notes, fmt.Sprintf("the archive has no preflight for %s %s and no response to it: "+
				"the browser failed before any answer it recorded, so the rule cannot be named; the model predicts the preflight shown", hopEntry.Request.Method, hopEntry.Request.URL))
			return
		}
		// The browser sent the request, so its preflight passed (or came
		// from its preflight cache): judge the rest with an answer that
		// allows exactly what was asked.
		ans := &spec.Response{Status: 204, Headers: []spec.Header{{Name: "Access-Control-Allow-Origin", Value: pre.Origin},
			{Name: "Access-Control-Allow-Methods", Value: pre.ACRM}}}
		if pre.ACRH != "" {
			ans.Headers = append(ans.Headers, spec.Header{Name: "Access-Control-Allow-Headers", Value: pre.ACRH})
		}
		if ex.Request.Credentials == spec.CredentialsInclude {
			ans.Headers = append(ans.Headers, spec.Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
		}
		ex.HopPreflights = slices.Clone(ex.HopPreflights)
		ex.HopPreflights[v.Hop] = ans
		f.Notes = append(f.Notes, fmt.Sprintf("the archive has no preflight for %s %s (Chrome leaves some out; one answered from the preflight cache is never sent): "+
			"the browser sent the request, so its preflight passed; the verdict is about the actual response only", hopEntry.Request.Method, hopEntry.Request.URL))
	}
	if f.Status == StatusBlocked || f.Status == StatusAllowed {
		a.checkPlaceholders(f, hops)
	}
}

// checkPlaceholders turns a verdict the model reached on a part of the
// exchange the archive does not hold (a response that never came, a
// redirect target without an entry) into StatusUndecided.
func (a *analysis) checkPlaceholders(f *Fetch, hops []int) {
	es := a.f.Entries
	v := f.Verdict
	reached := len(f.Exchange.Redirects) // allowed: the final response's hop
	if v.Outcome == spec.Blocked {
		reached = v.Hop // the hop whose answer decided
	}
	switch {
	case reached >= len(hops):
		f.Status = StatusUndecided
		target := ""
		if n := len(f.Exchange.Redirects); n > 0 {
			target = f.Exchange.Redirects[n-1].Location
		}
		f.Notes = append(f.Notes, "the archive has no entry for the request the last redirect led to ("+target+"), so the model cannot judge it")
	case v.Stage == spec.StagePreflight:
		// Decided by a preflight answer the archive holds.
	case es[hops[reached]].Response.Status == 0:
		f.Status = StatusUndecided
		e := &es[hops[reached]]
		why := "no response"
		if e.Response.Error != "" {
			why = "no response (" + e.Response.Error + ")"
		}
		f.Notes = append(f.Notes, fmt.Sprintf("%s %s got %s: a network error or a request cancelled before CORS applied; the model has nothing to judge", e.Request.Method, e.Request.URL, why))
	}
}

// compare notes where the model and the browser's recorded outcome part.
func (a *analysis) compare(f *Fetch) {
	b := f.Browser
	if !b.Recorded || f.Status == StatusUndecided {
		return
	}
	switch {
	case f.Status == StatusBlocked && !b.Failed():
		f.Notes = append(f.Notes, "the browser recorded no error for this request although the model blocks it: check that the page made it in CORS mode, and for extensions or flags that relax CORS")
	case f.Status == StatusAllowed && b.Failed() && b.Error != "net::ERR_FAILED":
		f.Notes = append(f.Notes, "the browser failed this request with "+b.Error+", a network error rather than a CORS failure; the model allows the response it recorded")
	case f.Status == StatusAllowed && b.Failed():
		f.Notes = append(f.Notes, "the browser failed this request ("+b.Error+") although the model allows it: a rule outside the CORS protocol (Private Network Access, mixed content, a Content-Security-Policy connect-src, an extension) or a response the archive does not show")
	}
}
