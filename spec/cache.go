package spec

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
// or one header name for a (serialized origin, URL, credentials) key until
// Expires.
type CacheEntry struct {
	Origin      string // byte-serialized request origin
	URL         string
	Credentials bool   // made by a credentialed preflight
	Method      string // "" for a header-name entry
	HeaderName  string // "" for a method entry
	Expires     int64  // time (seconds) at which the entry stops matching
}

// PreflightCache is a model of the CORS-preflight cache for one network
// partition. Time is passed in explicitly (in seconds) so that the model
// stays deterministic; the zero value is an empty cache.
type PreflightCache struct {
	Entries []CacheEntry
}

func (c *PreflightCache) matches(e *CacheEntry, origin, url string, creds Credentials, now int64) bool {
	return e.Expires > now && e.Origin == origin && e.URL == url &&
		(e.Credentials || creds != CredentialsInclude)
}

func (c *PreflightCache) methodMatch(origin, url, method string, creds Credentials, now int64) *CacheEntry {
	for i := range c.Entries {
		e := &c.Entries[i]
		if e.Method == "" || !c.matches(e, origin, url, creds, now) {
			continue
		}
		if e.Method == method || e.Method == "*" && creds != CredentialsInclude {
			return e
		}
	}
	return nil
}

func (c *PreflightCache) headerMatch(origin, url, name string, creds Credentials, now int64) *CacheEntry {
	for i := range c.Entries {
		e := &c.Entries[i]
		if e.HeaderName == "" || !c.matches(e, origin, url, creds, now) {
			continue
		}
		if equalFold(e.HeaderName, name) ||
			e.HeaderName == "*" && creds != CredentialsInclude && !IsNonWildcardRequestHeaderName(name) {
			return e
		}
	}
	return nil
}

// NeedsPreflight reports whether a cross-origin request to url must be
// preflighted at time now, given what the cache holds: its method (unless
// CORS-safelisted and not forced) or one of its CORS-unsafe header names
// has no matching entry.
func (c *PreflightCache) NeedsPreflight(r PreflightRequest, url string, now int64) bool {
	if (!IsSafelistedMethod(r.Method) || r.ForcePreflight) &&
		c.methodMatch(r.Origin, url, r.Method, r.Credentials, now) == nil {
		return true
	}
	for _, name := range UnsafeRequestHeaderNames(r.Headers) {
		if c.headerMatch(r.Origin, url, name, r.Credentials, now) == nil {
			return true
		}
	}
	return false
}

// Store records a successful preflight response p for request r to url at
// time now, as the CORS-preflight fetch does: every listed method and header
// name gets an entry (an existing matching entry gets the new max-age), and
// a forced preflight without Access-Control-Allow-Methods caches the
// request's method. limit caps max-age (<= 0: no cap). Store does nothing
// when CheckPreflight fails.
func (c *PreflightCache) Store(r PreflightRequest, url string, p Response, now, limit int64) {
	if reason, _ := CheckPreflight(r, p); reason != ReasonNone {
		return
	}
	age, _ := MaxAge(p.Headers, limit)
	methods, st := ExtractHeaderListValues(p.Headers, hACAM)
	if st == ListAbsent && r.ForcePreflight {
		methods = []string{r.Method}
	}
	names, _ := ExtractHeaderListValues(p.Headers, hACAH)
	creds := r.Credentials == CredentialsInclude
	for _, m := range methods {
		if e := c.methodMatch(r.Origin, url, m, r.Credentials, now); e != nil && e.Method == m {
			e.Expires = now + age
			continue
		}
		c.Entries = append(c.Entries, CacheEntry{Origin: r.Origin, URL: url, Credentials: creds, Method: m, Expires: now + age})
	}
	for _, n := range names {
		if e := c.headerMatch(r.Origin, url, n, r.Credentials, now); e != nil && equalFold(e.HeaderName, n) {
			e.Expires = now + age
			continue
		}
		c.Entries = append(c.Entries, CacheEntry{Origin: r.Origin, URL: url, Credentials: creds, HeaderName: n, Expires: now + age})
	}
}

// Clear removes every entry for origin and url, as a failed CORS request
// with preflight does ("clear cache entries").
func (c *PreflightCache) Clear(origin, url string) {
	kept := c.Entries[:0]
	for _, e := range c.Entries {
		if e.Origin != origin || e.URL != url {
			kept = append(kept, e)
		}
	}
	c.Entries = kept
}
