// Package demo holds crosscheck's demonstration targets: a small CORS
// middleware written to a declared policy, which can be built correct or
// with one deliberate flaw at a time, and the set of targets that
// `crosscheck run` without --target certifies.
//
// The middleware is written independently of the runner (its own origin
// matching, its own header parsing), so that the runner's tests against it
// check the runner rather than agree with it.
package demo

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Flaw is a set of deliberate mistakes a demo server makes.
type Flaw uint32

// The flaws, one per class of finding.
const (
	ReflectOrigin       Flaw = 1 << iota // echo any origin
	AllowNull                            // trust the null origin
	IgnoreScheme                         // compare hosts only: http:// variants pass
	TrustParentDomain                    // trust every subdomain of the allowed host's parent
	SuffixMatch                          // accept any origin ending with an allowed host
	PrefixMatch                          // accept any origin starting with an allowed origin
	UnescapedDot                         // match origins with a regexp whose dots are not escaped
	IgnorePort                           // compare scheme and host only
	WildcardOrigin                       // answer Access-Control-Allow-Origin: * to everyone
	WildcardCredentials                  // answer * together with Access-Control-Allow-Credentials: true
	NoVary                               // never send Vary: Origin
	NoExposeHeaders                      // never send Access-Control-Expose-Headers
	AnyMethod                            // approve any requested method in preflights
	AnyHeader                            // approve any requested header in preflights
	NoCredentialsHeader                  // forget Access-Control-Allow-Credentials
	PreflightForbidden                   // answer every preflight 403
	EmptyLabel                           // match *.example.com by the suffix ".example.com", so ".example.com" passes
	DomainSuffix                         // accept any https origin ending with the allowed host's parent domain, dot or not
	StaleLists                           // answer approved preflights with static lists that still hold DELETE and X-Debug, though preflights asking for them are refused
	LongMaxAge                           // send Access-Control-Max-Age: 86400 whatever the policy declares
	NoMaxAge                             // never send Access-Control-Max-Age
)

// Config is a demo server's policy and flaws.
type Config struct {
	Origins     []string // exact origins and https://*.example.com patterns
	Methods     []string
	Headers     []string
	Expose      []string
	Credentials bool
	MaxAge      int // seconds, 0 = no Access-Control-Max-Age
	Flaws       Flaw
	// CacheControl is sent on actual responses when not empty: whether a
	// cache may store them decides how much a missing Vary: Origin
	// matters.
	CacheControl string
}

// Handler returns the demo server: a CORS layer following cfg in front of
// a handler that answers 200 with the exposed headers set.
func Handler(cfg Config) http.Handler {
	s := &server{cfg: cfg}
	for _, o := range cfg.Origins {
		if strings.Contains(o, "*") {
			continue
		}
		// The UnescapedDot flaw: the origin pasted into a regexp as is.
		if re, err := regexp.Compile("^" + o + "$"); err == nil {
			s.loose = append(s.loose, re)
		}
	}
	return s
}

type server struct {
	cfg   Config
	loose []*regexp.Regexp
}

func (s *server) has(f Flaw) bool { return s.cfg.Flaws&f != 0 }

// anyOrigin reports whether the server answers * to every origin (a "*"
// policy; reflecting instead when built with ReflectOrigin).
func (s *server) anyOrigin() bool {
	return slices.Contains(s.cfg.Origins, "*") && !s.has(ReflectOrigin)
}

// allowed reports whether the server trusts origin o.
func (s *server) allowed(o string) bool {
	switch {
	case o == "":
		return false
	case s.has(ReflectOrigin):
		return true
	case o == "null":
		return s.has(AllowNull)
	}
	scheme, hostport, ok := strings.Cut(o, "://")
	if !ok {
		return false
	}
	host, port := splitPort(hostport)
	for _, a := range s.cfg.Origins {
		as, ahp, _ := strings.Cut(a, "://")
		ahost, aport := splitPort(ahp)
		if sub, ok := strings.CutPrefix(ahost, "*."); ok {
			// Subdomain pattern: one or more non-empty labels.
			if (scheme == as || s.has(IgnoreScheme)) && (port == aport || s.has(IgnorePort)) {
				if lead, ok := strings.CutSuffix(host, "."+sub); ok && lead != "" && !slices.Contains(strings.Split(lead, "."), "") {
					return true
				}
				if s.has(EmptyLabel) && strings.HasSuffix(host, "."+sub) {
					return true
				}
				if s.has(SuffixMatch) && strings.HasSuffix(host, sub) {
					return true
				}
			}
			continue
		}
		switch {
		case o == a:
			return true
		case s.has(IgnoreScheme) && hostport == ahp:
			return true
		case s.has(IgnorePort) && scheme == as && host == ahost:
			return true
		case s.has(PrefixMatch) && strings.HasPrefix(o, a):
			return true
		case s.has(SuffixMatch) && scheme == as && strings.HasSuffix(hostport, ahp):
			return true
		case s.has(DomainSuffix) && scheme == as:
			if _, parent, ok := strings.Cut(ahost, "."); ok && strings.HasSuffix(hostport, parent) {
				return true
			}
		case s.has(TrustParentDomain) && scheme == as && port == aport:
			if _, parent, ok := strings.Cut(ahost, "."); ok && strings.HasSuffix(host, "."+parent) {
				return true
			}
		}
	}
	if s.has(UnescapedDot) {
		for _, re := range s.loose {
			if re.MatchString(o) {
				return true
			}
		}
	}
	return false
}

func splitPort(hostport string) (host, port string) {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i], hostport[i+1:]
	}
	return hostport, ""
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	h := w.Header()
	if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		s.preflight(w, r, origin)
		return
	}
	if !s.has(NoVary) {
		h.Add("Vary", "Origin")
	}
	switch {
	case s.has(WildcardOrigin) || s.anyOrigin():
		h.Set("Access-Control-Allow-Origin", "*")
		s.expose(h)
	case s.has(WildcardCredentials):
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
		s.expose(h)
	case s.allowed(origin):
		h.Set("Access-Control-Allow-Origin", origin)
		if s.cfg.Credentials && !s.has(NoCredentialsHeader) {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		s.expose(h)
	}
	for _, name := range s.cfg.Expose {
		h.Set(name, "42")
	}
	if s.cfg.CacheControl != "" {
		h.Set("Cache-Control", s.cfg.CacheControl)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte("crosscheck demo target\n"))
	}
}

func (s *server) expose(h http.Header) {
	if len(s.cfg.Expose) > 0 && !s.has(NoExposeHeaders) {
		h.Set("Access-Control-Expose-Headers", strings.Join(s.cfg.Expose, ", "))
	}
}

// preflight answers a CORS preflight: 204 with the approval, or 403 with
// no CORS headers when the origin, method or headers are not allowed.
func (s *server) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	h := w.Header()
	method := r.Header.Get("Access-Control-Request-Method")
	var asked []string
	for _, line := range r.Header.Values("Access-Control-Request-Headers") {
		for _, name := range strings.Split(line, ",") {
			if name = strings.TrimSpace(name); name != "" {
				asked = append(asked, strings.ToLower(name))
			}
		}
	}
	wildcard := s.has(WildcardOrigin) || s.has(WildcardCredentials) || s.anyOrigin()
	ok := !s.has(PreflightForbidden) && (wildcard || s.allowed(origin)) &&
		(s.has(AnyMethod) || s.methodAllowed(method)) &&
		(s.has(AnyHeader) || s.headersAllowed(asked))
	if !ok {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	switch {
	case s.has(WildcardOrigin) || s.anyOrigin():
		h.Set("Access-Control-Allow-Origin", "*")
	case s.has(WildcardCredentials):
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
	default:
		h.Set("Access-Control-Allow-Origin", origin)
		if s.cfg.Credentials && !s.has(NoCredentialsHeader) {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
	}
	methods, headers := method, strings.Join(asked, ",")
	if s.has(StaleLists) {
		// Lists left over from an older policy, sent whatever is asked.
		methods = strings.Join(append(slices.Clone(s.cfg.Methods), "DELETE"), ", ")
		headers = strings.Join(append(slices.Clone(s.cfg.Headers), "X-Debug"), ", ")
	}
	h.Set("Access-Control-Allow-Methods", methods)
	if headers != "" {
		h.Set("Access-Control-Allow-Headers", headers)
	}
	switch {
	case s.has(NoMaxAge):
	case s.has(LongMaxAge):
		h.Set("Access-Control-Max-Age", "86400")
	case s.cfg.MaxAge > 0:
		h.Set("Access-Control-Max-Age", strconv.Itoa(s.cfg.MaxAge))
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) methodAllowed(m string) bool {
	return m == "GET" || m == "HEAD" || m == "POST" || slices.Contains(s.cfg.Methods, m)
}

func (s *server) headersAllowed(asked []string) bool {
	for _, a := range asked {
		if !slices.ContainsFunc(s.cfg.Headers, func(h string) bool { return strings.EqualFold(h, a) }) {
			return false
		}
	}
	return true
}
