package browser

import (
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// item is one case prepared for Chrome.
type item struct {
	c     *cases.Case
	index int    // position in the input
	token string // "" when the URL has no http(s) path to carry one
	key   string // recorder key
	page  pageKey
	// steps are the requests the page makes, in order: one for a plain
	// case. Their URLs have /__cc/<token> put before the case's path.
	steps []scriptStep
}

// pageKey is the document a case's fetch runs from.
type pageKey struct {
	url    string // the page to navigate to
	origin string // what self.origin must say once there
}

// opaqueHost serves the sandboxed page of cases whose origin is "null".
const opaqueHost = "app.example"

// prepare checks that Chrome can run c and builds its item. The error says
// why the case cannot run (it is reported, not fatal).
func prepare(c *cases.Case, index int, nonce string) (*item, error) {
	it := &item{c: c, index: index}
	if err := checkHosts(c); err != nil {
		return nil, err
	}
	if err := checkWire(c); err != nil {
		return nil, err
	}
	if c.Request.Origin == "null" {
		scheme := "https"
		if u, err := url.Parse(c.Request.URL); err == nil && strings.EqualFold(u.Scheme, "http") {
			scheme = "http" // so a fetch to http is not mixed content
		}
		it.page = pageKey{url: scheme + "://" + opaqueHost + opaquePath, origin: "null"}
	} else {
		o, err := url.Parse(c.Request.Origin)
		if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" {
			return nil, fmt.Errorf("origin %q is not an http(s) origin a page can be served from", c.Request.Origin)
		}
		it.page = pageKey{url: c.Request.Origin + pagePath, origin: c.Request.Origin}
	}
	it.token = fmt.Sprintf("%s-%d", nonce, index)
	url := insertPrefix(c.Request.URL, casePrefix+it.token)
	if url == c.Request.URL {
		it.token = "" // not an http(s) URL with an authority: no server involved
	}
	if it.token != "" {
		it.key = it.token
	} else {
		it.key = "url:" + c.Request.URL
	}
	init := map[string]any{"mode": "cors", "cache": "no-store"}
	if c.Request.Method != "" {
		init["method"] = c.Request.Method
	}
	if c.Request.Credentials != "" {
		init["credentials"] = c.Request.Credentials
	}
	if c.Request.Headers != nil {
		h := make([][2]string, len(c.Request.Headers))
		for i, x := range c.Request.Headers {
			h[i] = x
		}
		init["headers"] = h
	}
	st := scriptStep{URL: url, Init: init}
	if c.Request.Body != nil {
		st.Body = &scriptBody{Type: "string", Value: *c.Request.Body}
	}
	it.steps = []scriptStep{st}
	return it, nil
}

// caseRefs lists the URLs a case's origin, URL and redirect Locations name,
// as written (scheme-relative ones made https:).
func caseRefs(c *cases.Case) []string {
	var refs []string
	add := func(raw string) {
		raw = strings.Trim(raw, " \t")
		if strings.HasPrefix(raw, "//") {
			raw = "https:" + raw
		}
		refs = append(refs, raw)
	}
	if c.Request.Origin != "null" {
		add(c.Request.Origin)
	}
	add(c.Request.URL)
	for _, r := range c.Redirects {
		add(r.Location)
		for _, h := range r.Headers {
			if strings.EqualFold(h[0], "Location") {
				add(h[1])
			}
		}
	}
	for _, h := range c.Response.Headers {
		if strings.EqualFold(h[0], "Location") {
			add(h[1])
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

// checkHosts refuses cases that name an IP address: Chrome's
// --host-resolver-rules never remap IP literals, so such a fetch would leave
// the case server (and maybe the machine).
func checkHosts(c *cases.Case) error {
	for _, h := range caseHosts(c) {
		if net.ParseIP(strings.Trim(h, "[]")) != nil {
			return fmt.Errorf("host %s is an IP address, which Chrome does not map to the case server", h)
		}
	}
	return nil
}

// checkWire refuses header lines and statuses that cannot be written as one
// HTTP/1.1 response.
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
	if p := c.Preflight; p != nil {
		if err := check("preflight", p.Status, p.Headers); err != nil {
			return err
		}
	}
	for i, r := range c.Redirects {
		if err := check(fmt.Sprintf("redirects[%d]", i), r.Status, r.Headers); err != nil {
			return err
		}
		if strings.ContainsAny(r.Location, "\r\n\x00") {
			return fmt.Errorf("redirects[%d] location cannot be written as one header line", i)
		}
	}
	return check("response", c.Response.Status, c.Response.Headers)
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
