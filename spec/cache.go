package spec

import (
	"math/bits"
	"slices"
	"strings"
)

// DefaultMaxAge is the number of seconds a preflight result is cached when
// Access-Control-Max-Age is absent or fails to parse.
const DefaultMaxAge = 5

// MaxAge returns the number of seconds a preflight response's result may be
// cached: Access-Control-Max-Age parsed as delta-seconds (1*DIGIT), capped
// at limit (a user agent's imposed limit; limit <= 0 means none). An absent
// header, a value that is not only digits, or more than one line (the header
// is single-valued) give DefaultMaxAge, and parsed reports false.
func MaxAge(h []Header, limit int64) (seconds int64, parsed bool) {
	n, v := HeaderLines(h, hACMA)
	if n != 1 || v == "" {
		return capAge(DefaultMaxAge, limit), false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return capAge(DefaultMaxAge, limit), false
		}
		if seconds > (1<<62)/10 {
			// Larger than any limit: saturate.
			seconds = 1 << 62
			continue
		}
		seconds = seconds*10 + int64(c-'0')
	}
	return capAge(seconds, limit), true
}

func capAge(s, limit int64) int64 {
	if limit > 0 && s > limit {
		return limit
	}
	return s
}

// CacheEntry is one entry of the CORS-preflight cache: it allows one method
// or one header name for a (byte-serialized origin, URL, credentials) key,
// for MaxAge seconds from Stored.
type CacheEntry struct {
	Origin      string // byte-serialized request origin ("null" once redirect-tainted)
	URL         string // the request's current URL when the preflight was made
	Credentials bool   // made for a request whose credentials mode is "include"
	Method      string // "" for a header-name entry; may be "*"
	HeaderName  string // "" for a method entry; may be "*"
	MaxAge      int64  // seconds
	Stored      int64  // page time (milliseconds) the entry was created
}

// Expires is the page time (milliseconds) from which the entry no longer
// matches: the Fetch Standard removes it once MaxAge seconds have passed
// since it was stored. An update of MaxAge keeps the time it was stored.
func (e *CacheEntry) Expires() int64 {
	const most = 1 << 62
	if e.MaxAge >= 1<<50 || e.Stored >= 1<<61 {
		return most // beyond any page's lifetime (1<<50 s is 35 million years)
	}
	return e.Stored + e.MaxAge*1000
}

// CacheKey is what a request is looked up by in the CORS-preflight cache:
// its byte-serialized origin, its current URL and its credentials mode.
// (The network partition key is the same for every fetch of one page.)
type CacheKey struct {
	Origin      string
	URL         string
	Credentials Credentials
}

// PreflightCache is a model of the CORS-preflight cache of one network
// partition: the cache one page's fetches share. Time is explicit: every
// method takes the page time in milliseconds, so the model stays
// deterministic. The zero value is an empty cache.
//
// The matching rules are the Fetch Standard's, word for word: an entry made
// with credentials serves requests with and without them, one made without
// serves only requests without; a method entry "*" matches every method
// (whatever the credentials mode: the preflight check, not the cache,
// refuses "*" with credentials); a header-name entry "*" matches every name
// but Authorization.
type PreflightCache struct {
	Entries []CacheEntry
}

// live reports whether e can match key at time now (a cache entry match,
// and not expired).
func live(e *CacheEntry, key *CacheKey, now int64) bool {
	return now < e.Expires() && e.Origin == key.Origin && e.URL == key.URL &&
		(e.Credentials || key.Credentials != CredentialsInclude)
}

// MethodMatch returns the entry giving a method cache entry match for
// method, or nil.
func (c *PreflightCache) MethodMatch(key CacheKey, method string, now int64) *CacheEntry {
	return c.methodMatch(&key, method, now)
}

func (c *PreflightCache) methodMatch(key *CacheKey, method string, now int64) *CacheEntry {
	for i := range c.Entries {
		e := &c.Entries[i]
		if e.Method != "" && (e.Method == method || e.Method == "*") && live(e, key, now) {
			return e
		}
	}
	return nil
}

// HeaderMatch returns the entry giving a header-name cache entry match for
// name, or nil.
func (c *PreflightCache) HeaderMatch(key CacheKey, name string, now int64) *CacheEntry {
	return c.headerMatch(&key, name, now)
}

func (c *PreflightCache) headerMatch(key *CacheKey, name string, now int64) *CacheEntry {
	for i := range c.Entries {
		e := &c.Entries[i]
		if e.HeaderName == "" || !live(e, key, now) {
			continue
		}
		if equalFold(e.HeaderName, name) || e.HeaderName == "*" && !IsNonWildcardRequestHeaderName(name) {
			return e
		}
	}
	return nil
}

// CacheLookup is the answer of the cache to one request: whether it must
// be preflighted, and the entries that spare it a preflight.
type CacheLookup struct {
	Key CacheKey
	// Hop is the number of redirects followed before the lookup (set by
	// the judge; Lookup leaves it 0).
	Hop int
	// Now is the page time (milliseconds) of the lookup.
	Now int64
	// Needed reports whether the request must be preflighted.
	Needed bool
	// Method is the entry that allows the method, nil when the method
	// needs none (CORS-safelisted and the preflight is not forced) or none
	// matches. Lookup's entries point into the cache and change with it;
	// a Trace's are copies.
	Method *CacheEntry
	// Headers are the entries that allow the CORS-unsafe header names, in
	// the order of Names; a nil entry where none matches.
	Headers []*CacheEntry
	// Names are the request's CORS-unsafe header names, sorted and
	// lowercased.
	Names []string
	// Missing lists what has no matching entry: the method (when it needs
	// one) and the header names, as "method PUT" or "header x-a".
	Missing []string
}

// Lookup consults the cache for request r under key at time now, as HTTP
// fetch does before a CORS-preflight fetch.
func (c *PreflightCache) Lookup(key CacheKey, r PreflightRequest, now int64) CacheLookup {
	l := CacheLookup{Key: key, Now: now}
	if !IsSafelistedMethod(r.Method) || r.ForcePreflight {
		l.Method = c.methodMatch(&key, r.Method, now)
		if l.Method == nil {
			l.Missing = append(l.Missing, "method "+r.Method)
		}
	}
	l.Names = UnsafeRequestHeaderNames(r.Headers)
	for _, n := range l.Names {
		e := c.headerMatch(&key, n, now)
		l.Headers = append(l.Headers, e)
		if e == nil {
			l.Missing = append(l.Missing, "header "+n)
		}
	}
	l.Needed = len(l.Missing) > 0
	return l
}

// detach replaces the lookup's pointers into the cache by copies, so that
// it keeps saying what the cache held at the time.
func (l *CacheLookup) detach() {
	if l.Method != nil {
		m := *l.Method
		l.Method = &m
	}
	hs := make([]*CacheEntry, len(l.Headers))
	for i, e := range l.Headers {
		if e != nil {
			c := *e
			hs[i] = &c
		}
	}
	l.Headers = hs
}

// NeedsPreflight reports whether a request r to url must be preflighted at
// page time now (milliseconds), given what the cache holds: there is no
// method cache entry match for its method and the method is not
// CORS-safelisted or the preflight is forced, or one of its CORS-unsafe
// header names has no header-name cache entry match.
func (c *PreflightCache) NeedsPreflight(r PreflightRequest, url string, now int64) bool {
	return c.needs(&CacheKey{Origin: r.Origin, URL: url, Credentials: r.Credentials}, r.Method, r.ForcePreflight, r.Headers, unsafeHeaders(r.Headers), now)
}

// needs is NeedsPreflight with the request's CORS-unsafe headers known. It
// reads each entry once and does not allocate.
func (c *PreflightCache) needs(key *CacheKey, method string, force bool, h []Header, unsafe unsafeSet, now int64) bool {
	methodOK := IsSafelistedMethod(method) && !force
	// Which unsafe headers still lack an entry (the usual short lists in
	// a bitmask; longer ones ask headerMatch).
	var missing uint64
	long := len(h) > 64
	if !long {
		for i := range h {
			if unsafe.has(i) {
				missing |= 1 << i
			}
		}
	}
	if methodOK && missing == 0 && !long {
		return false
	}
	for k := range c.Entries {
		e := &c.Entries[k]
		if !live(e, key, now) {
			continue
		}
		if e.Method != "" {
			methodOK = methodOK || e.Method == method || e.Method == "*"
			continue
		}
		for m := missing; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			if equalFold(e.HeaderName, h[i].Name) || e.HeaderName == "*" && !IsNonWildcardRequestHeaderName(h[i].Name) {
				missing &^= 1 << i
			}
		}
	}
	if !methodOK || missing != 0 {
		return true
	}
	if long {
		for i := range h {
			if unsafe.has(i) && c.headerMatch(key, h[i].Name, now) == nil {
				return true
			}
		}
	}
	return false
}

// Store records a successful preflight response p for request r to url at
// page time now (milliseconds), as the CORS-preflight fetch does: every
// method and header name the response lists gets an entry, or, where an
// entry already matches, that entry gets the new max-age (it keeps the time
// it was stored); a forced preflight answered without
// Access-Control-Allow-Methods caches the request's method. limit caps
// max-age (<= 0: no cap). Store does nothing when CheckPreflight fails. It
// returns the max-age applied, in seconds.
func (c *PreflightCache) Store(r PreflightRequest, url string, p Response, now, limit int64) int64 {
	if reason, _ := CheckPreflight(r, p); reason != ReasonNone {
		return 0
	}
	age, _ := c.store(&CacheKey{Origin: r.Origin, URL: url, Credentials: r.Credentials}, r.Method, r.ForcePreflight, p.Headers, now, limit)
	return age
}

// store is Store once the response is known to pass. It also returns how
// many entries it created: the last ones of c.Entries.
func (c *PreflightCache) store(key *CacheKey, method string, force bool, h []Header, now, limit int64) (age int64, created int) {
	// One pass to find the lines: max-age, and room for every item listed
	// so that the entries grow at most once.
	ages, ageLine, n, acam := 0, -1, 0, false
	for i := range h {
		switch name := h[i].Name; {
		case len(name) == len(hACMA) && equalFold(name, hACMA):
			ages, ageLine = ages+1, i
		case len(name) != len(hACAM): // ACAM and ACAH have the same length
		case equalFold(name, hACAM):
			acam = true
			n += strings.Count(h[i].Value, ",") + 1
		case equalFold(name, hACAH):
			n += strings.Count(h[i].Value, ",") + 1
		}
	}
	age = capAge(DefaultMaxAge, limit)
	if ages == 1 {
		age, _ = MaxAge(h[ageLine:ageLine+1], limit)
	}
	c.purge(now)
	before := len(c.Entries)
	if !acam && force {
		n++
	}
	c.Entries = slices.Grow(c.Entries, n)
	creds := key.Credentials == CredentialsInclude
	// Entries can only be updated when some live entry matches the key;
	// a first preflight just appends.
	fresh := true
	for k := range c.Entries {
		if live(&c.Entries[k], key, now) {
			fresh = false
			break
		}
	}
	for i := range h {
		name := h[i].Name
		if len(name) != len(hACAM) {
			continue
		}
		isMethods := equalFold(name, hACAM)
		if !isMethods && !equalFold(name, hACAH) {
			continue
		}
		for item, rest, more := nextListItem(h[i].Value); more; item, rest, more = nextListItem(rest) {
			if item == "" {
				continue
			}
			switch {
			case fresh && isMethods:
				c.Entries = append(c.Entries, CacheEntry{Origin: key.Origin, URL: key.URL, Credentials: creds, Method: item, MaxAge: age, Stored: now})
			case fresh:
				c.Entries = append(c.Entries, CacheEntry{Origin: key.Origin, URL: key.URL, Credentials: creds, HeaderName: item, MaxAge: age, Stored: now})
			case isMethods:
				c.storeMethod(key, item, creds, age, now)
			default:
				c.storeHeader(key, item, creds, age, now)
			}
		}
	}
	if !acam && force {
		c.storeMethod(key, method, creds, age, now)
	}
	return age, len(c.Entries) - before
}

func (c *PreflightCache) storeHeader(key *CacheKey, name string, creds bool, age, now int64) {
	updated := false
	for j := range c.Entries {
		e := &c.Entries[j]
		if e.HeaderName != "" && live(e, key, now) &&
			(equalFold(e.HeaderName, name) || e.HeaderName == "*" && !IsNonWildcardRequestHeaderName(name)) {
			e.MaxAge, updated = age, true
		}
	}
	if !updated {
		c.Entries = append(c.Entries, CacheEntry{Origin: key.Origin, URL: key.URL, Credentials: creds, HeaderName: name, MaxAge: age, Stored: now})
	}
}

func (c *PreflightCache) storeMethod(key *CacheKey, m string, creds bool, age, now int64) {
	updated := false
	for j := range c.Entries {
		e := &c.Entries[j]
		if e.Method != "" && (e.Method == m || e.Method == "*") && live(e, key, now) {
			e.MaxAge, updated = age, true
		}
	}
	if !updated {
		c.Entries = append(c.Entries, CacheEntry{Origin: key.Origin, URL: key.URL, Credentials: creds, Method: m, MaxAge: age, Stored: now})
	}
}

// purge removes the entries expired at now, as the Fetch Standard requires.
func (c *PreflightCache) purge(now int64) {
	expired := false
	for i := range c.Entries {
		expired = expired || now >= c.Entries[i].Expires()
	}
	if !expired {
		return
	}
	kept := c.Entries[:0]
	for _, e := range c.Entries {
		if now < e.Expires() {
			kept = append(kept, e)
		}
	}
	clear(c.Entries[len(kept):])
	c.Entries = kept
}

// Clear removes every entry for origin and url, as a failed CORS request
// with preflight does ("clear cache entries"), and returns how many it
// removed.
func (c *PreflightCache) Clear(origin, url string) int {
	kept := c.Entries[:0]
	for _, e := range c.Entries {
		if e.Origin != origin || e.URL != url {
			kept = append(kept, e)
		}
	}
	n := len(c.Entries) - len(kept)
	clear(c.Entries[len(kept):])
	c.Entries = kept
	return n
}
