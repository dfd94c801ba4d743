package browser

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// item is one case prepared for a browser.
type item struct {
	c     *cases.Case
	index int    // position in the input
	token string // "" when no step's URL has an http(s) path to carry one
	key   string // recorder key
	page  pageKey
	// steps are the requests the page makes, in order: one for a plain
	// case. Their URLs have /__cc/<token> put before the case's path.
	steps []scriptStep
}

// waits is the sum of the item's steps' waits, in milliseconds.
func (it *item) waits() int {
	n := 0
	for _, s := range it.steps {
		n += s.WaitMs
	}
	return n
}

// streams reports whether a step sends a ReadableStream body.
func (it *item) streams() bool {
	for _, s := range it.steps {
		if s.Body != nil && s.Body.Type == string(spec.BodyStream) {
			return true
		}
	}
	return false
}

// pageKey is the document a case's fetch runs from.
type pageKey struct {
	url    string // the page to navigate to
	origin string // what self.origin must say once there
}

// opaqueHost serves the sandboxed page of cases whose origin is "null".
const opaqueHost = "app.example"

// prepare checks that a browser can run c and builds its item. The error
// says why the case cannot run (it is reported, not fatal).
//
// Every step's URL gets the same token, so that steps naming the same URL
// share it, as a CORS-preflight cache hit needs. A plain case's fetch uses
// cache: "no-store", which also keeps Chrome's CORS-preflight cache out of
// it (the model judges a plain case without a cache); a steps case's
// fetches use the default cache mode, so the browser's CORS-preflight cache
// works across its steps. No entry can serve another case: every case has
// its own URLs (the token), and the cache is keyed by URL.
func prepare(c *cases.Case, index int, nonce string) (*item, error) {
	it := &item{c: c, index: index}
	if err := checkWire(c); err != nil {
		return nil, err
	}
	steps := c.Exchanges()
	first := steps[0].Request
	if first.Origin == "null" {
		scheme := "https"
		if u, err := url.Parse(first.URL); err == nil && strings.EqualFold(u.Scheme, "http") {
			scheme = "http" // so a fetch to http is not mixed content
		}
		it.page = pageKey{url: scheme + "://" + opaqueHost + opaquePath, origin: "null"}
	} else {
		o, err := url.Parse(first.Origin)
		if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" {
			return nil, fmt.Errorf("origin %q is not an http(s) origin a page can be served from", first.Origin)
		}
		it.page = pageKey{url: first.Origin + pagePath, origin: first.Origin}
	}
	token := fmt.Sprintf("%s-%d", nonce, index)
	for i, st := range steps {
		r := st.Request
		if r.Origin != first.Origin {
			return nil, fmt.Errorf("step %d's origin %q is not step 1's %q: every step runs in one page", i+1, r.Origin, first.Origin)
		}
		u := insertPrefix(r.URL, casePrefix+token)
		if u != r.URL {
			it.token = token
		}
		init := map[string]any{}
		if !c.IsSequence() {
			init["cache"] = "no-store"
		}
		init["mode"] = "cors"
		if r.Mode != "" {
			init["mode"] = r.Mode
		}
		if r.Redirect != "" {
			init["redirect"] = r.Redirect
		}
		if r.Method != "" {
			init["method"] = r.Method
		}
		if r.Credentials != "" {
			init["credentials"] = r.Credentials
		}
		if r.Headers != nil {
			h := make([][2]string, len(r.Headers))
			for i, x := range r.Headers {
				h[i] = x
			}
			init["headers"] = h
		}
		ss := scriptStep{URL: u, Init: init, XHR: r.ForcePreflight, WaitMs: st.WaitMs}
		if r.Body != nil {
			ss.Body = &scriptBody{Type: string(spec.BodyString), Value: *r.Body}
			if r.BodyType != "" {
				ss.Body.Type = r.BodyType
			}
			if ss.Body.Type == string(spec.BodyStream) {
				init["duplex"] = "half"
			}
		}
		it.steps = append(it.steps, ss)
	}
	if it.token != "" {
		it.key = it.token
		for i := 1; i < len(it.steps); i++ {
			it.steps[i].Signal = stepPrefix + it.token + "/" + strconv.Itoa(i)
		}
	} else {
		if len(steps) > 1 {
			return nil, fmt.Errorf("a steps case whose URLs reach no server (%s) cannot be told apart from another case", first.URL)
		}
		it.key = "url:" + first.URL
	}
	return it, nil
}

// caseRefs lists the URLs a case's origins, URLs and redirect Locations
// name, as written (scheme-relative ones made https:).
func caseRefs(c *cases.Case) []string {
	var refs []string
	add := func(raw string) {
		raw = strings.Trim(raw, " \t")
		if strings.HasPrefix(raw, "//") {
			raw = "https:" + raw
		}
		refs = append(refs, raw)
	}
	for _, st := range c.Exchanges() {
		if st.Request.Origin != "null" {
			add(st.Request.Origin)
		}
		add(st.Request.URL)
		for _, r := range st.Redirects {
			add(r.Location)
			for _, h := range r.Headers {
				if strings.EqualFold(h[0], "Location") {
					add(h[1])
				}
			}
		}
		for _, h := range st.Response.Headers {
			if strings.EqualFold(h[0], "Location") {
				add(h[1])
			}
		}
	}
	return refs
}

// caseHosts lists the host names a case's origin, URL and redirect
// Locations name (lowercased, without ports), for the certificate.
func caseHosts(c *cases.Case) []string {
	var hosts []string
	for _, raw := range caseRefs(c) {
		if u, err := url.Parse(raw); err == nil && u.Hostname() != "" {
			hosts = append(hosts, strings.ToLower(u.Hostname()))
		}
	}
	return hosts
}

// checkWire refuses header lines and statuses that cannot be written as one
// HTTP/1.1 response. A step's response left out (status 0: no request can
// reach it) is not checked.
func checkWire(c *cases.Case) error {
	check := func(where string, status int, hs []cases.Header) error {
		if status < 200 || status > 999 {
			return fmt.Errorf("%s status %d cannot be sent as a final HTTP/1.1 response", where, status)
		}
		for _, h := range hs {
			if h[0] == "" || strings.ContainsAny(h[0], " \t\r\n:\x00") || strings.ContainsAny(h[1], "\r\n\x00") {
				return fmt.Errorf("%s header %q cannot be written as one header line", where, h[0]+": "+h[1])
			}
		}
		return nil
	}
	steps := c.Exchanges()
	for i, st := range steps {
		at := ""
		if len(steps) > 1 {
			at = fmt.Sprintf("steps[%d].", i)
		}
		if p := st.Preflight; p != nil {
			if err := check(at+"preflight", p.Status, p.Headers); err != nil {
				return err
			}
		}
		for j, r := range st.Redirects {
			if err := check(fmt.Sprintf("%sredirects[%d]", at, j), r.Status, r.Headers); err != nil {
				return err
			}
			if strings.ContainsAny(r.Location, "\r\n\x00") {
				return fmt.Errorf("%sredirects[%d] location cannot be written as one header line", at, j)
			}
		}
		if st.Response.Status != 0 {
			if err := check(at+"response", st.Response.Status, st.Response.Headers); err != nil {
				return err
			}
		}
	}
	return nil
}

// certHosts is every host the certificate must name: the hosts of all items
// and the host of the opaque-origin page.
func certHosts(cs []cases.Case) []string {
	seen := map[string]bool{opaqueHost: true}
	for i := range cs {
		for _, h := range caseHosts(&cs[i]) {
			seen[h] = true
		}
	}
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// certAuthorities is every host:port a page or fetch of cs may reach over
// TLS: each host of the certificate with 443 and with every port the cases
// name, for engines that trust a certificate per host and port.
func certAuthorities(cs []cases.Case) []string {
	ports := map[string]bool{"443": true}
	for i := range cs {
		for _, raw := range caseRefs(&cs[i]) {
			if u, err := url.Parse(raw); err == nil && u.Port() != "" {
				ports[u.Port()] = true
			}
		}
	}
	var out []string
	for _, h := range certHosts(cs) {
		for p := range ports {
			out = append(out, net.JoinHostPort(h, p))
		}
	}
	sort.Strings(out)
	return out
}

// batches groups items by page, in chunks of at most size, so each chunk
// is one Promise.all in one document. Two items with the same untokenized
// URL never share a chunk (their DevTools events could not be told apart).
func batches(items []*item, size int) [][]*item {
	byPage := map[pageKey][]*item{}
	var pages []pageKey
	for _, it := range items {
		if _, ok := byPage[it.page]; !ok {
			pages = append(pages, it.page)
		}
		byPage[it.page] = append(byPage[it.page], it)
	}
	var out [][]*item
	for _, p := range pages {
		var cur []*item
		keys := map[string]bool{}
		for _, it := range byPage[p] {
			if len(cur) == size || (it.token == "" && keys[it.key]) {
				out = append(out, cur)
				cur, keys = nil, map[string]bool{}
			}
			cur = append(cur, it)
			keys[it.key] = true
		}
		if len(cur) > 0 {
			out = append(out, cur)
		}
	}
	return out
}
