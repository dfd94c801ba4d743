package openapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// Route is one operation of a document, ready to certify: the concrete URL
// the probes go to and the policy the route declares.
type Route struct {
	Method      string // as in the document, upper case (GET, PUT…)
	Path        string // the path template as written: /orders/{id}
	OperationID string
	// URL is the server URL and the path with its parameters filled in:
	// https://api.example.com/v1/orders/42.
	URL string
	// Policy is the route's declared CORS policy and PolicySource where it
	// comes from (`x-cors of paths["/orders"].get`, `policy file routes[1]`…).
	Policy       runner.Policy
	PolicySource string
	// Skip, when not empty, says why the route is not certified (x-cors:
	// false, a policy file's skip, a method a browser never sends…).
	Skip string
}

// Name is the route as people write it: "GET /orders/{id}".
func (r Route) Name() string { return r.Method + " " + r.Path }

// Document is an OpenAPI document reduced to what certification needs.
type Document struct {
	Source  string // the file name
	Version string // the document's openapi field: 3.0.3, 3.1.0…
	Title   string
	Server  string // the origin every certified route shares, "" when they differ
	Routes  []Route
}

// Options says how to turn a document into routes.
type Options struct {
	// Server replaces every server of the document (document, path and
	// operation level): the base URL each path is appended to, with any
	// base path (https://staging.example.com/v1).
	Server string
	// Policies maps routes to policies; it takes precedence over the
	// document-level x-cors, and x-cors on a path item or operation takes
	// precedence over it.
	Policies *PolicyFile
}

// Problem is one mistake in a document: where it is (the line, when the
// parser recorded one, and the place, `paths["/a"].get.parameters[0]`) and
// what is wrong.
type Problem struct {
	Line    int
	Field   string
	Message string
}

// DocumentError lists every problem found in a document, so that a user
// fixes them all in one go.
type DocumentError struct {
	Source   string
	Problems []Problem
}

// Error returns one line per problem: "file:line: field: message".
func (e *DocumentError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Source)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Field != "" {
			b.WriteString(p.Field + ": ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Load reads the OpenAPI 3.0 or 3.1 document (JSON or YAML) at path. A
// $ref to another local file is followed; one to a URL is refused.
func Load(path string, opts Options) (*Document, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("reading OpenAPI document: %w", err)
	}
	loader := newLoader()
	loader.ReadFromURIFunc = func(l *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" && u.Scheme != "file" || u.Host != "" {
			return nil, fmt.Errorf("%s: crosscheck reads $ref to local files only", u)
		}
		return openapi3.ReadFromFile(l, u)
	}
	return parse(filepath.ToSlash(path), opts, func() (*openapi3.T, error) { return loader.LoadFromFile(path) })
}

// Parse parses an OpenAPI 3.0 or 3.1 document (JSON or YAML); name is used
// in error messages. A $ref to another file is refused: use Load.
func Parse(name string, data []byte, opts Options) (*Document, error) {
	loader := newLoader()
	return parse(name, opts, func() (*openapi3.T, error) { return loader.LoadFromData(data) })
}

func newLoader() *openapi3.Loader {
	l := openapi3.NewLoader()
	l.IncludeOrigin = true // line numbers for error messages
	return l
}

// parse loads the document with load and extracts its routes.
func parse(name string, opts Options, load func() (*openapi3.T, error)) (doc *Document, err error) {
	defer func() {
		// The parser is a dependency fed with user files: a panic in it is
		// a bad document to the user, not a crash.
		if r := recover(); r != nil {
			doc, err = nil, &DocumentError{Source: name, Problems: []Problem{{Message: fmt.Sprintf("the OpenAPI parser failed on this document: %v", r)}}}
		}
	}()
	t, err := load()
	if err != nil {
		var ext *openapi3.DisallowedExternalRefError
		msg := "not a valid OpenAPI document: " + err.Error()
		if errors.As(err, &ext) {
			msg = fmt.Sprintf("$ref %q points to another file: give the document as a file (crosscheck run --openapi FILE) so that local references resolve", ext.Ref)
		}
		return nil, &DocumentError{Source: name, Problems: []Problem{{Message: msg}}}
	}
	b := &builder{name: name, opts: opts, t: t}
	return b.build()
}

// builder extracts the routes of one parsed document and collects the
// problems it meets on the way.
type builder struct {
	name    string
	opts    Options
	t       *openapi3.T
	probs   []Problem
	missing []string // routes without a policy, with their line
}

// add records a problem once (a document-wide problem, such as a missing
// server, is met by every route).
func (b *builder) add(line int, field, format string, args ...any) {
	p := Problem{Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
	if !slices.Contains(b.probs, p) {
		b.probs = append(b.probs, p)
	}
}

// methodOrder is the order of the Path Item Object's fixed fields.
var methodOrder = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "QUERY", "CONNECT"}

func (b *builder) build() (*Document, error) {
	t := b.t
	doc := &Document{Source: b.name, Version: t.OpenAPI}
	if t.Info != nil {
		doc.Title = t.Info.Title
	}
	switch v := t.OpenAPIMajorMinor(); {
	case t.OpenAPI == "" && t.Extensions["swagger"] != nil:
		b.add(line(t.Origin, "swagger"), "swagger", "a Swagger 2.0 document: crosscheck reads OpenAPI 3.0 and 3.1; convert it first")
	case t.OpenAPI == "":
		b.add(0, "openapi", "missing: not an OpenAPI 3 document")
	case v != "3.0" && v != "3.1" && v != "3.2":
		b.add(line(t.Origin, "openapi"), "openapi", "%q: crosscheck reads OpenAPI 3.0 and 3.1", t.OpenAPI)
	}
	if b.opts.Server != "" {
		if err := checkServer(b.opts.Server); err != nil {
			b.add(0, "--server", "%v", err)
		}
	}
	if len(b.probs) > 0 {
		return nil, &DocumentError{Source: b.name, Problems: b.probs}
	}
	docPolicy, docSkip := b.extension(t.Extensions, t.Origin, "", "x-cors of the document")
	if docSkip != "" {
		b.add(line(t.Origin, "x-cors"), "x-cors", "false is for a path or an operation; to certify nothing, do not run crosscheck")
	}
	// A document x-cors with mistakes is reported; the routes it would
	// cover are not reported again as having no policy.
	_, docDeclares := t.Extensions["x-cors"]
	if t.Paths == nil || t.Paths.Len() == 0 {
		b.add(line(t.Origin, "paths"), "paths", "no paths: nothing to certify")
		return nil, &DocumentError{Source: b.name, Problems: b.probs}
	}
	for _, path := range b.pathsInOrder() {
		item := t.Paths.Value(path)
		if item == nil {
			continue
		}
		pf := fmt.Sprintf("paths[%q]", path)
		if !strings.HasPrefix(path, "/") {
			b.add(line(item.Origin, ""), pf, "a path starts with /")
			continue
		}
		pathPolicy, pathSkip := b.extension(item.Extensions, item.Origin, pf, "x-cors of "+pf)
		for _, m := range methods(item) {
			op := item.GetOperation(m)
			of := pf + "." + strings.ToLower(m)
			opPolicy, opSkip := b.extension(op.Extensions, op.Origin, of, "x-cors of "+of)
			r := Route{Method: m, Path: path, OperationID: op.OperationID}
			// The most specific declaration wins.
			rule, ri, ruled := b.opts.Policies.match(m, path)
			switch {
			case opSkip != "":
				r.Skip = opSkip
			case opPolicy != nil:
				r.Policy, r.PolicySource = opPolicy.p, opPolicy.source
			case pathSkip != "":
				r.Skip = pathSkip
			case pathPolicy != nil:
				r.Policy, r.PolicySource = pathPolicy.p, pathPolicy.source
			case ruled && rule.Skip != "":
				r.Skip = fmt.Sprintf("policy file routes[%d] (%s): %s", ri, rule.Path, rule.Skip)
			case ruled:
				r.Policy, r.PolicySource = *rule.Policy, fmt.Sprintf("policy file routes[%d] (%s)", ri, rule.Path)
			case b.opts.Policies != nil && b.opts.Policies.Default != nil:
				r.Policy, r.PolicySource = *b.opts.Policies.Default, "policy file default"
			case docPolicy != nil:
				r.Policy, r.PolicySource = docPolicy.p, docPolicy.source
			default:
				b.missing = append(b.missing, fmt.Sprintf("%s %s (line %d)", m, path, line(op.Origin, "")))
			}
			if r.Skip == "" {
				r.Skip = methodSkip(m, r.Policy)
			}
			r.URL = b.url(item, op, path, of)
			doc.Routes = append(doc.Routes, r)
		}
	}
	if n := len(b.missing); n > 0 && !docDeclares {
		more := ""
		if n > 3 {
			more = fmt.Sprintf(" and %d more", n-3)
		}
		b.add(0, "", "no CORS policy for %d routes (%s%s): add x-cors to the document, the path or the operation, or give --policy FILE",
			n, strings.Join(b.missing[:min(n, 3)], ", "), more)
	}
	if len(doc.Routes) == 0 && len(b.probs) == 0 {
		b.add(line(t.Origin, "paths"), "paths", "no operations: nothing to certify")
	}
	if len(b.probs) > 0 {
		return nil, &DocumentError{Source: b.name, Problems: b.probs}
	}
	doc.Server = commonServer(doc.Routes)
	return doc, nil
}

// pathsInOrder returns the paths in document order when the parser recorded
// lines, else sorted.
func (b *builder) pathsInOrder() []string {
	m := b.t.Paths.Map()
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(x, y string) int {
		if d := line(m[x].Origin, "") - line(m[y].Origin, ""); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	return paths
}

// methods returns the methods of the path item's operations: the fixed
// fields in their order, then additional operations (3.2) sorted.
func methods(item *openapi3.PathItem) []string {
	ops := item.Operations()
	var out []string
	for _, m := range methodOrder {
		if ops[m] != nil {
			out = append(out, m)
		}
	}
	var extra []string
	for m := range ops {
		if !slices.Contains(methodOrder, m) {
			extra = append(extra, m)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// methodSkip says why a route with method m is not certified, or "".
func methodSkip(m string, p runner.Policy) string {
	switch {
	case strings.EqualFold(m, "OPTIONS"):
		return "OPTIONS is the preflight itself: every other route's probes send it"
	case spec.IsForbiddenMethod(m):
		return fmt.Sprintf("%s is a forbidden method: browsers never send it", m)
	case !spec.IsSafelistedMethod(spec.NormalizeMethod(m)) && !allowsMethod(p, m):
		return fmt.Sprintf("the policy does not allow %s cross-origin: crosscheck sends actual requests only with methods a policy allows", m)
	}
	return ""
}

// allowsMethod reports whether the policy lists method m, as the runner
// reads a policy: an empty list allows the safelisted methods, "*" every
// method, and names are compared after Fetch's normalization.
func allowsMethod(p runner.Policy, m string) bool {
	if len(p.AllowMethods) == 0 {
		return spec.IsSafelistedMethod(spec.NormalizeMethod(m))
	}
	return slices.ContainsFunc(p.AllowMethods, func(a string) bool {
		return a == "*" || spec.NormalizeMethod(a) == spec.NormalizeMethod(m)
	})
}

// declared is a policy and where it was declared.
type declared struct {
	p      runner.Policy
	source string
}

// extension reads the x-cors extension of an object: a policy object, or
// false (skip). field is the object's place ("" for the document).
func (b *builder) extension(ext map[string]any, o *openapi3.Origin, field, source string) (*declared, string) {
	v, ok := ext["x-cors"]
	if !ok {
		return nil, ""
	}
	f := "x-cors"
	if field != "" {
		f = field + ".x-cors"
	}
	ln := line(o, "x-cors")
	switch v := v.(type) {
	case bool:
		if !v {
			return nil, "x-cors: false"
		}
	case map[string]any:
		data, err := json.Marshal(v)
		if err != nil {
			b.add(ln, f, "cannot read the policy: %v", err)
			return nil, ""
		}
		p, err := runner.ParsePolicy("", data)
		if err != nil {
			for _, pr := range prefixProblems(f, err) {
				b.add(ln, pr.Field, "%s", pr.Message)
			}
			return nil, ""
		}
		return &declared{p, source}, ""
	}
	b.add(ln, f, "want a policy object (allowOrigins, allowMethods…) or false, not %s", describeValue(v))
	return nil, ""
}

func describeValue(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "true"
	case string:
		return "a string"
	case []any:
		return "an array"
	}
	return "a number"
}

// line returns the line of the named field of an object (0 when the field
// is absent), or of the object itself when field is "".
func line(o *openapi3.Origin, field string) int {
	if o == nil {
		return 0
	}
	if field != "" {
		l, _ := o.Fields.Lookup(field)
		return l.Line
	}
	if o.Key != nil {
		return o.Key.Line
	}
	return 0
}

// checkServer accepts absolute http(s) URLs without query or fragment.
func checkServer(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%q: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("%q: want an absolute http:// or https:// URL", s)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: a server URL has no query or fragment", s)
	case u.User != nil:
		return fmt.Errorf("%q: browsers refuse URLs with credentials", s)
	}
	return nil
}

// url returns the route's concrete URL: the server (--server, else the
// operation's, the path's or the document's first server) and the path
// with its parameters filled in.
func (b *builder) url(item *openapi3.PathItem, op *openapi3.Operation, path, field string) string {
	base, baseOK := b.opts.Server, true
	if base == "" {
		servers, sf := b.t.Servers, "servers"
		switch {
		case op.Servers != nil && len(*op.Servers) > 0:
			servers, sf = *op.Servers, field+".servers"
		case len(item.Servers) > 0:
			servers, sf = item.Servers, field[:strings.LastIndexByte(field, '.')]+".servers"
		}
		if len(servers) == 0 {
			b.add(line(b.t.Origin, "servers"), "servers", "none: the document's server is then \"/\", relative to where it is served; give --server URL")
			baseOK = false
		} else {
			base, baseOK = b.serverURL(servers[0], sf+"[0]")
		}
	}
	filled, ok := b.fillPath(item, op, path, field) // its problems are reported even without a server
	if !ok || !baseOK {
		return ""
	}
	return strings.TrimSuffix(base, "/") + filled
}

var templateVar = regexp.MustCompile(`\{([^{}]*)\}`)

// serverURL substitutes the defaults of a server's variables and checks
// that the result is absolute.
func (b *builder) serverURL(s *openapi3.Server, field string) (string, bool) {
	ln := line(s.Origin, "url")
	ok := true
	u := templateVar.ReplaceAllStringFunc(s.URL, func(m string) string {
		name := m[1 : len(m)-1]
		v := s.Variables[name]
		if v == nil {
			b.add(ln, field+".url", "variable {%s} has no entry in variables", name)
			ok = false
			return m
		}
		return v.Default
	})
	if !ok {
		return "", false
	}
	if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
		b.add(ln, field+".url", "%q is relative (to where the document is served): give --server URL", u)
		return "", false
	}
	if err := checkServer(u); err != nil {
		b.add(ln, field+".url", "%v", err)
		return "", false
	}
	return u, true
}

// fillPath fills the path template's parameters from the operation's and
// path item's parameter declarations.
func (b *builder) fillPath(item *openapi3.PathItem, op *openapi3.Operation, path, field string) (string, bool) {
	params := map[string]*openapi3.Parameter{}
	for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, pr := range list {
			if pr != nil && pr.Value != nil && pr.Value.In == openapi3.ParameterInPath {
				params[pr.Value.Name] = pr.Value
			}
		}
	}
	ok := true
	filled := templateVar.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1 : len(m)-1]
		p := params[name]
		if p == nil {
			b.add(line(op.Origin, ""), field, "path parameter {%s} is not declared (a parameter with in: path and name: %s)", name, name)
			ok = false
			return m
		}
		parts := paramValue(p)
		for i, part := range parts {
			parts[i] = url.PathEscape(part)
		}
		v := strings.Join(parts, ",") // style simple (and label, matrix) write arrays with commas
		switch p.Style {
		case "label":
			return "." + v
		case "matrix":
			return ";" + url.PathEscape(name) + "=" + v
		}
		return v
	})
	return filled, ok
}

// paramValue is the value a path parameter is given, as its parts (one,
// or an array's elements): the parameter's example, then its first example
// (by name), then its schema's example, examples, default, first enum value
// or const, else a placeholder of the schema's type.
func paramValue(p *openapi3.Parameter) []string {
	if s, ok := format(p.Example); ok {
		return s
	}
	names := make([]string, 0, len(p.Examples))
	for n := range p.Examples {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if e := p.Examples[n]; e != nil && e.Value != nil {
			if s, ok := format(e.Value.Value); ok {
				return s
			}
		}
	}
	schema := paramSchema(p)
	if schema == nil {
		return []string{placeholder(nil)}
	}
	candidates := []any{schema.Example}
	candidates = append(candidates, schema.Examples...)
	candidates = append(candidates, schema.Default)
	if len(schema.Enum) > 0 {
		candidates = append(candidates, schema.Enum[0])
	}
	candidates = append(candidates, schema.Const)
	for _, c := range candidates {
		if s, ok := format(c); ok {
			return s
		}
	}
	return []string{placeholder(schema)}
}

// paramSchema is the parameter's schema, or that of its first content type.
func paramSchema(p *openapi3.Parameter) *openapi3.Schema {
	if p.Schema != nil && p.Schema.Value != nil {
		return p.Schema.Value
	}
	types := make([]string, 0, len(p.Content))
	for t := range p.Content {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		if mt := p.Content[t]; mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
			return mt.Schema.Value
		}
	}
	return nil
}

// format returns an example value's parts: one for a scalar, the elements
// of an array of scalars; ok is false for no value, an empty string or an
// object.
func format(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case string:
		return []string{v}, v != ""
	case bool:
		return []string{strconv.FormatBool(v)}, true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return []string{strconv.FormatFloat(v, 'f', -1, 64)}, true
	case float32:
		return format(float64(v))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return []string{fmt.Sprint(v)}, true
	case json.Number:
		return []string{v.String()}, true
	case []any:
		var parts []string
		for _, e := range v {
			p, ok := format(e)
			if !ok || len(p) != 1 {
				return nil, false
			}
			parts = append(parts, p[0])
		}
		return parts, len(parts) > 0
	}
	return nil, false
}

// placeholder is a value of the schema's type and format.
func placeholder(s *openapi3.Schema) string {
	if s == nil || s.Type == nil {
		return "crosscheck"
	}
	switch {
	case s.Type.Includes("integer"), s.Type.Includes("number"):
		return "1"
	case s.Type.Includes("boolean"):
		return "true"
	}
	switch s.Format {
	case "uuid":
		return "00000000-0000-4000-8000-000000000000"
	case "date":
		return "2024-01-01"
	case "date-time":
		return "2024-01-01T00:00:00Z"
	case "email":
		return "crosscheck@example.com"
	}
	return "crosscheck"
}

// commonServer returns the base URL every certified route shares, or "".
func commonServer(routes []Route) string {
	server := ""
	for _, r := range routes {
		u, err := url.Parse(r.URL)
		if err != nil || r.Skip != "" {
			continue
		}
		origin := u.Scheme + "://" + u.Host
		switch {
		case server == "":
			server = origin
		case server != origin:
			return ""
		}
	}
	return server
}
