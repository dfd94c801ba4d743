package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Policy is a declared CORS policy: what a server means to allow. It is the
// JSON policy file of `crosscheck run --policy`.
//
// # Origins
//
// AllowOrigins holds serialized origins as browsers send them
// (`https://app.example.com`, lowercase, no default port, no trailing
// slash), `null`, the wildcard `*` (every origin; alone, and never with
// AllowCredentials), or subdomain patterns `https://*.example.com`: any
// subdomain of example.com, one or more labels deep, never the apex
// `https://example.com` nor an empty label, with the same scheme and port.
//
// # Methods and headers
//
// AllowMethods and AllowHeaders list method and request-header names (HTTP
// tokens); `*` stands for any. An empty AllowMethods allows the
// CORS-safelisted methods only and is probed with GET. ExposeHeaders lists
// the response headers script must be able to read (`*` for all).
//
// # Max-age
//
// MaxAge is how long, in seconds, browsers are meant to cache a passing
// preflight (Access-Control-Max-Age). When declared, every passing
// preflight of an allowed request must be cached for exactly that long
// (finding max-age-mismatch); nil declares nothing and nothing is checked.
type Policy struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	MaxAge           *int     `json:"maxAge"` // seconds; nil = not declared
}

// Problem is one mistake in a policy: the field it is in (`allowOrigins[2]`,
// or "" for the file as a whole) and what is wrong.
type Problem struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (p Problem) Error() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// PolicyError lists every problem found in a policy, so that a user fixes
// them all in one go. Source names the file ("" for a Policy built in Go).
type PolicyError struct {
	Source   string
	Problems []Problem
}

// Error returns one line per problem, each prefixed with the source.
func (e *PolicyError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.Source != "" {
			b.WriteString(e.Source)
			b.WriteString(": ")
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so that errors.As can find each one.
func (e *PolicyError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// policyFields are the JSON names a policy file may use, in file order.
var policyFields = []string{"allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders", "allowCredentials", "maxAge"}

// LoadPolicy reads and parses the policy file at path.
func LoadPolicy(path string) (Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Policy{}, fmt.Errorf("reading policy: %w", err)
	}
	return ParsePolicy(path, data)
}

// ParsePolicy parses a JSON policy; name is used in error messages. Unknown
// fields, values of the wrong type and invalid values are all reported at
// once in a *PolicyError, each naming its field.
func ParsePolicy(name string, data []byte) (Policy, error) {
	var p Policy
	var probs []Problem
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return p, &PolicyError{Source: name, Problems: []Problem{{Message: "not a JSON object: " + err.Error()}}}
	}
	if raw == nil {
		return p, &PolicyError{Source: name, Problems: []Problem{{Message: "not a JSON object"}}}
	}
	if dec.More() {
		probs = append(probs, Problem{Message: "trailing data after the JSON object"})
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(policyFields, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	for _, k := range unknown {
		probs = append(probs, Problem{Field: k, Message: "unknown field (known: " + strings.Join(policyFields, ", ") + ")"})
	}
	lists := map[string]*[]string{
		"allowOrigins": &p.AllowOrigins, "allowMethods": &p.AllowMethods,
		"allowHeaders": &p.AllowHeaders, "exposeHeaders": &p.ExposeHeaders,
	}
	for _, k := range policyFields {
		v, ok := raw[k]
		if !ok || string(v) == "null" {
			continue
		}
		var err error
		switch k {
		case "allowCredentials":
			err = json.Unmarshal(v, &p.AllowCredentials)
			if err != nil {
				err = errors.New("want true or false")
			}
		case "maxAge":
			var n int
			if err = json.Unmarshal(v, &n); err != nil {
				err = errors.New("want a whole number of seconds")
			} else {
				p.MaxAge = &n
			}
		default:
			if err = json.Unmarshal(v, lists[k]); err != nil {
				err = errors.New("want an array of strings")
			}
		}
		if err != nil {
			probs = append(probs, Problem{Field: k, Message: err.Error()})
		}
	}
	probs = append(probs, p.problems()...)
	if len(probs) > 0 {
		return p, &PolicyError{Source: name, Problems: probs}
	}
	return p, nil
}

// Validate checks a policy built in Go; it reports the same problems as
// ParsePolicy, in a *PolicyError.
func (p Policy) Validate() error {
	if probs := p.problems(); len(probs) > 0 {
		return &PolicyError{Problems: probs}
	}
	return nil
}

func (p Policy) problems() []Problem {
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	dup := func(field string, list []string, i int, fold bool) bool {
		for j := 0; j < i; j++ {
			if list[j] == list[i] || fold && strings.EqualFold(list[j], list[i]) {
				add(fmt.Sprintf("%s[%d]", field, i), "%q repeats %s[%d]", list[i], field, j)
				return true
			}
		}
		return false
	}
	if len(p.AllowOrigins) == 0 {
		add("allowOrigins", "must list at least one origin")
	}
	for i, o := range p.AllowOrigins {
		f := fmt.Sprintf("allowOrigins[%d]", i)
		if dup("allowOrigins", p.AllowOrigins, i, false) {
			continue
		}
		switch {
		case o == "*":
			if len(p.AllowOrigins) > 1 {
				add(f, `"*" allows every origin; it cannot be combined with other entries`)
			}
			if p.AllowCredentials {
				add("allowCredentials", `cannot be true when allowOrigins holds "*": browsers never send credentials to a wildcard; list the origins instead`)
			}
		case strings.Contains(o, "*"):
			if _, err := parsePattern(o); err != nil {
				add(f, "%q: %v", o, err)
			}
		default:
			if _, err := spec.ParseOrigin(o); err != nil {
				add(f, "%q is not a serialized origin: %v", o, err)
			}
		}
	}
	for i, m := range p.AllowMethods {
		f := fmt.Sprintf("allowMethods[%d]", i)
		switch {
		case dup("allowMethods", p.AllowMethods, i, false):
		case m == "*":
			if len(p.AllowMethods) > 1 {
				add(f, `"*" allows every method; it cannot be combined with other entries`)
			}
		case !spec.IsToken(m):
			add(f, "%q is not a method name (an HTTP token)", m)
		case spec.IsForbiddenMethod(m):
			add(f, "%q is a forbidden method: browsers refuse to send it", m)
		}
	}
	for i, h := range p.AllowHeaders {
		f := fmt.Sprintf("allowHeaders[%d]", i)
		switch {
		case dup("allowHeaders", p.AllowHeaders, i, true):
		case h == "*":
			if len(p.AllowHeaders) > 1 {
				add(f, `"*" allows every header; it cannot be combined with other entries`)
			}
		case !spec.IsToken(h):
			add(f, "%q is not a header name (an HTTP token)", h)
		case spec.IsForbiddenRequestHeader(h, ""):
			add(f, "%q is a forbidden request header: script can never set it", h)
		}
	}
	for i, h := range p.ExposeHeaders {
		f := fmt.Sprintf("exposeHeaders[%d]", i)
		switch {
		case dup("exposeHeaders", p.ExposeHeaders, i, true):
		case h == "*":
			if len(p.ExposeHeaders) > 1 {
				add(f, `"*" exposes every header; it cannot be combined with other entries`)
			}
		case !spec.IsToken(h):
			add(f, "%q is not a header name (an HTTP token)", h)
		case spec.IsForbiddenResponseHeaderName(h):
			add(f, "%q can never be read by script", h)
		}
	}
	if p.MaxAge != nil && *p.MaxAge < 0 {
		add("maxAge", "%d is negative; want seconds >= 0", *p.MaxAge)
	}
	return probs
}

// pattern is a parsed subdomain pattern `scheme://*.domain[:port]`.
type pattern struct {
	scheme, domain, port string
}

// parsePattern parses `scheme://*.domain[:port]`.
func parsePattern(s string) (pattern, error) {
	scheme, rest, ok := strings.Cut(s, "://*.")
	if !ok || strings.Contains(rest, "*") || strings.Contains(scheme, "*") {
		return pattern{}, errors.New(`a pattern is scheme://*.domain[:port], with "*" only as the first label`)
	}
	host := rest
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if _, err := netip.ParseAddr(host); err == nil || strings.HasPrefix(host, "[") {
		return pattern{}, errors.New("an IP address has no subdomains")
	}
	// Check the rest of the pattern as an origin with a stand-in label.
	o, err := spec.ParseOrigin(scheme + "://x." + rest)
	if err != nil {
		return pattern{}, fmt.Errorf("not a valid pattern: %w", err)
	}
	if o.Scheme != "http" && o.Scheme != "https" {
		return pattern{}, errors.New("patterns need an http or https scheme")
	}
	domain := strings.TrimPrefix(o.Host, "x.")
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return pattern{}, errors.New("the domain has an empty label")
		}
	}
	return pattern{scheme: o.Scheme, domain: domain, port: o.Port}, nil
}

// matches reports whether origin is a subdomain of the pattern's domain with
// the same scheme and port, every label non-empty.
func (pt pattern) matches(origin string) bool {
	o, err := spec.ParseOrigin(origin)
	if err != nil || o.Opaque || o.Scheme != pt.scheme || o.Port != pt.port {
		return false
	}
	sub, ok := strings.CutSuffix(o.Host, "."+pt.domain)
	if !ok || sub == "" {
		return false
	}
	return !slices.Contains(strings.Split(sub, "."), "")
}

// AllowsOrigin reports whether the policy means to allow requests from the
// serialized origin o.
func (p Policy) AllowsOrigin(o string) bool {
	for _, a := range p.AllowOrigins {
		switch {
		case a == "*", a == o:
			return true
		case strings.Contains(a, "*"):
			if pt, err := parsePattern(a); err == nil && pt.matches(o) {
				return true
			}
		}
	}
	return false
}

// anyOrigin reports whether the policy allows every origin.
func (p Policy) anyOrigin() bool { return slices.Contains(p.AllowOrigins, "*") }

// allowsMethod reports whether the policy lists method m (after the
// Fetch normalization of both).
func (p Policy) allowsMethod(m string) bool {
	if len(p.AllowMethods) == 0 {
		return spec.IsSafelistedMethod(spec.NormalizeMethod(m))
	}
	for _, a := range p.AllowMethods {
		if a == "*" || spec.NormalizeMethod(a) == spec.NormalizeMethod(m) {
			return true
		}
	}
	return false
}

// allowsHeader reports whether the policy lists request header h (names
// compared case-insensitively).
func (p Policy) allowsHeader(h string) bool {
	for _, a := range p.AllowHeaders {
		if a == "*" || strings.EqualFold(a, h) {
			return true
		}
	}
	return false
}
