package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// PolicyFile maps the routes of a document to CORS policies, for documents
// that do not carry them in x-cors (or to override a document's default).
// It is the `--policy FILE` of `crosscheck run --openapi`:
//
//	{
//	  "default": {"allowOrigins": ["https://app.example.com"], "allowMethods": ["GET", "POST"]},
//	  "routes": [
//	    {"path": "/public/**", "policy": {"allowOrigins": ["*"]}},
//	    {"path": "/admin/*", "methods": ["DELETE"], "policy": {"allowOrigins": ["https://admin.example.com"], "allowMethods": ["DELETE"]}},
//	    {"path": "/webhooks/**", "skip": "called server to server, never from a browser"}
//	  ]
//	}
//
// A plain policy file (the format of `crosscheck run --policy`) is accepted
// too and acts as the default.
//
// # Patterns
//
// A path pattern is matched against the document's path templates, segment
// by segment: a literal segment matches itself (`{id}` matches the template
// segment `{id}`), `*` matches any one segment, and `**` matches any number
// of segments, none included. The first rule whose pattern and methods
// match a route applies; methods, when given, are compared without regard
// to case.
type PolicyFile struct {
	Default *runner.Policy
	Routes  []RouteRule
}

// RouteRule is one entry of a policy file's routes: routes whose path
// template matches Path (and whose method is in Methods, when given) get
// Policy, or are not certified when Skip gives the reason.
type RouteRule struct {
	Path    string
	Methods []string
	Policy  *runner.Policy
	Skip    string
}

// Fields of a policy file and of one route rule, in file order.
var (
	policyFileFields = []string{"default", "routes"}
	routeRuleFields  = []string{"path", "methods", "policy", "skip"}
)

// LoadPolicyFile reads and parses the policy file at path.
func LoadPolicyFile(path string) (*PolicyFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy file: %w", err)
	}
	return ParsePolicyFile(path, data)
}

// ParsePolicyFile parses a policy file; name is used in error messages.
// Every problem is reported at once in a *runner.PolicyError whose fields
// name the place (`routes[2].policy.allowOrigins[0]`).
func ParsePolicyFile(name string, data []byte) (*PolicyFile, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil || raw == nil {
		msg := "not a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &runner.PolicyError{Source: name, Problems: []runner.Problem{{Message: msg}}}
	}
	_, hasDefault := raw["default"]
	_, hasRoutes := raw["routes"]
	if !hasDefault && !hasRoutes {
		// A plain policy, the default of every route.
		p, err := runner.ParsePolicy(name, data)
		if err != nil {
			return nil, err
		}
		return &PolicyFile{Default: &p}, nil
	}
	var probs []runner.Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, runner.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if dec.More() {
		add("", "trailing data after the JSON object")
	}
	unknown(raw, policyFileFields, "", add)
	pf := &PolicyFile{}
	if v, ok := raw["default"]; ok && string(v) != "null" {
		p, ps := nestedPolicy("default", v)
		probs = append(probs, ps...)
		pf.Default = p
	}
	if v, ok := raw["routes"]; ok && string(v) != "null" {
		var rules []json.RawMessage
		if err := json.Unmarshal(v, &rules); err != nil {
			add("routes", "want an array of route rules")
		}
		for i, r := range rules {
			rule, ps := parseRule(fmt.Sprintf("routes[%d]", i), r)
			probs = append(probs, ps...)
			pf.Routes = append(pf.Routes, rule)
		}
	}
	if len(probs) > 0 {
		return nil, &runner.PolicyError{Source: name, Problems: probs}
	}
	return pf, nil
}

// parseRule parses one route rule; field is its place (`routes[2]`).
func parseRule(field string, data json.RawMessage) (RouteRule, []runner.Problem) {
	var rule RouteRule
	var probs []runner.Problem
	add := func(f, format string, args ...any) {
		probs = append(probs, runner.Problem{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		add(field, `want an object with "path" and "policy" or "skip"`)
		return rule, probs
	}
	unknown(raw, routeRuleFields, field+".", add)
	if v, ok := raw["path"]; !ok {
		add(field+".path", "missing: want a path pattern such as /orders/* or /admin/**")
	} else if err := json.Unmarshal(v, &rule.Path); err != nil {
		add(field+".path", "want a string")
	} else if err := checkPattern(rule.Path); err != nil {
		add(field+".path", "%q: %v", rule.Path, err)
	}
	if v, ok := raw["methods"]; ok {
		if err := json.Unmarshal(v, &rule.Methods); err != nil {
			add(field+".methods", "want an array of method names")
		} else if string(v) != "null" && len(rule.Methods) == 0 {
			add(field+".methods", "empty: leave it out to match every method")
		}
		for i, m := range rule.Methods {
			if !spec.IsToken(m) {
				add(fmt.Sprintf("%s.methods[%d]", field, i), "%q is not a method name (an HTTP token)", m)
			}
		}
	}
	pv, hasPolicy := raw["policy"]
	sv, hasSkip := raw["skip"]
	switch {
	case hasPolicy && hasSkip:
		add(field, `has both "policy" and "skip": a rule either gives the policy or skips the routes`)
	case !hasPolicy && !hasSkip:
		add(field, `want "policy" (the routes' CORS policy) or "skip" (why they are not certified)`)
	case hasPolicy:
		p, ps := nestedPolicy(field+".policy", pv)
		probs = append(probs, ps...)
		rule.Policy = p
	default:
		if err := json.Unmarshal(sv, &rule.Skip); err != nil || strings.TrimSpace(rule.Skip) == "" {
			add(field+".skip", "want a non-empty string: why these routes are not certified")
		}
	}
	return rule, probs
}

// nestedPolicy parses a policy inside a policy file, prefixing its problems'
// fields with field.
func nestedPolicy(field string, data json.RawMessage) (*runner.Policy, []runner.Problem) {
	p, err := runner.ParsePolicy("", data)
	if err == nil {
		return &p, nil
	}
	return nil, prefixProblems(field, err)
}

// prefixProblems turns a policy error into problems whose fields start
// with field.
func prefixProblems(field string, err error) []runner.Problem {
	var pe *runner.PolicyError
	if !errors.As(err, &pe) {
		return []runner.Problem{{Field: field, Message: err.Error()}}
	}
	out := make([]runner.Problem, len(pe.Problems))
	for i, p := range pe.Problems {
		f := field
		if p.Field != "" {
			f += "." + p.Field
		}
		out[i] = runner.Problem{Field: f, Message: p.Message}
	}
	return out
}

// unknown reports the keys of raw that are not in known.
func unknown(raw map[string]json.RawMessage, known []string, prefix string, add func(string, string, ...any)) {
	var keys []string
	for k := range raw {
		if !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(prefix+k, "unknown field (known: %s)", strings.Join(known, ", "))
	}
}

// checkPattern checks a path pattern: absolute, `**` only as a whole
// segment, `*` only as a whole segment.
func checkPattern(p string) error {
	if !strings.HasPrefix(p, "/") {
		return errors.New(`a pattern starts with "/"`)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg != "*" && seg != "**" && strings.Contains(seg, "*") {
			return fmt.Errorf(`segment %q: "*" and "**" stand for whole segments`, seg)
		}
	}
	return nil
}

// matchPattern reports whether the path template matches the pattern.
func matchPattern(pattern, template string) bool {
	return matchSegments(strings.Split(pattern[1:], "/"), strings.Split(strings.TrimPrefix(template, "/"), "/"))
}

func matchSegments(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegments(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 || pat[0] != "*" && pat[0] != segs[0] {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// match returns the first rule that applies to the route and its index.
func (pf *PolicyFile) match(method, template string) (RouteRule, int, bool) {
	if pf == nil {
		return RouteRule{}, -1, false
	}
	for i, r := range pf.Routes {
		if !matchPattern(r.Path, template) {
			continue
		}
		if len(r.Methods) > 0 && !slices.ContainsFunc(r.Methods, func(m string) bool { return strings.EqualFold(m, method) }) {
			continue
		}
		return r, i, true
	}
	return RouteRule{}, -1, false
}
