package cases

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// need says when a field must be present.
type need uint8

const (
	optional   need = iota // may be left out
	strictOnly             // required in the project's table (strict mode)
	always                 // required in every file
)

// fieldRule is one field an object may have.
type fieldRule struct {
	name string
	need need
}

// The fields of each object of the format, in the order the JSON Schema
// (schema.json) lists them; schema_test.go checks that the two agree.
// Requirements that depend on other values (blockedAt and reason for
// blocked cases, exposedHeaders for allowed ones) are checked in
// checkExpect.
var (
	fileFields = []fieldRule{
		{"description", strictOnly},
		{"cases", always},
	}
	caseFields = []fieldRule{
		{"id", strictOnly},
		{"title", strictOnly},
		{"spec", strictOnly},
		{"tags", strictOnly},
		{"request", always},
		{"preflight", optional},
		{"redirects", optional},
		{"response", always},
		{"expect", always},
		{"browsers", optional},
	}
	requestFields = []fieldRule{
		{"origin", always},
		{"url", always},
		{"method", strictOnly},
		{"headers", optional},
		{"credentials", strictOnly},
		{"body", optional},
	}
	responseFields = []fieldRule{
		{"status", always},
		{"headers", optional},
	}
	redirectFields = []fieldRule{
		{"status", always},
		{"location", always},
		{"headers", optional},
	}
	expectFields = []fieldRule{
		{"outcome", always},
		{"preflight", strictOnly},
		{"blockedAt", optional},
		{"reason", optional},
		{"exposedHeaders", optional},
	}
	browsersFields = []fieldRule{
		{"chrome", optional},
		{"firefox", optional},
		{"webkit", optional},
	}
	browserRecordFields = []fieldRule{
		{"versions", strictOnly},
		{"outcome", always},
		{"preflight", optional},
		{"blockedAt", optional},
		{"reason", optional},
		{"exposedHeaders", optional},
		{"sent", optional},
		{"note", always},
		{"source", always},
	}
	sentFields = []fieldRule{
		{"preflight", optional},
		{"method", always},
		{"url", always},
		{"origin", optional},
		{"acrm", optional},
		{"acrh", optional},
	}
)

// The enumerated values of the format.
var (
	outcomes     = []spec.Outcome{spec.Allowed, spec.Blocked}
	stages       = []spec.Stage{spec.StageRequest, spec.StagePreflight, spec.StageRedirect, spec.StageResponse}
	credentials  = []spec.Credentials{spec.CredentialsOmit, spec.CredentialsSameOrigin, spec.CredentialsInclude}
	redirectCode = []int{301, 302, 303, 307, 308}
)

// Status bounds of a final or preflight response. 1xx responses are interim
// in HTTP: a client never sees one as the answer, so no case can use one.
const (
	minStatus = 200
	maxStatus = 599
)

// specPrefix starts every spec link of the project's table.
const specPrefix = spec.SpecBase + "#"

// maxFields is the largest number of fields an object of the format has.
const maxFields = 10

// checker validates one file's syntax tree and builds its cases, collecting
// every problem. JSON paths for messages are built only when a problem is
// found, so a valid file costs no string building.
type checker struct {
	file   string
	data   string
	t      *tree
	strict bool
	// exchange is set when checking a lone exchange to explain: its
	// expect may be left out.
	exchange bool
	errs     Errors
	label    string // the current case's id or "#index", "" outside cases

	lineOff, lineNo int // last offset whose line was computed, and its line

	// seen maps the ids met so far, in this file and the files checked
	// before it, to where they were first used.
	seen map[string]idUse
}

// idUse is where an id was first used.
type idUse struct {
	file string
	line int
}

// line returns the 1-based line of offset off.
func (c *checker) line(off int32) int {
	o := int(off)
	if o < 0 || o > len(c.data) {
		return 0
	}
	if o < c.lineOff || c.lineNo == 0 {
		c.lineOff, c.lineNo = 0, 1
	}
	c.lineNo += strings.Count(c.data[c.lineOff:o], "\n")
	c.lineOff = o
	return c.lineNo
}

// errorf records a problem with the value at offset off, at JSON path field.
func (c *checker) errorf(off int32, field, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{
		File:  c.file,
		Line:  c.line(off),
		Case:  c.label,
		Field: field,
		Msg:   fmt.Sprintf(format, args...),
	})
}

// join appends a field name to a JSON path.
func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// index appends an array index to a JSON path.
func index(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

// fields checks that n is an object holding only the given fields, each at
// most once, and the required ones. It returns the value of each field (by
// position in rules), nil when absent.
func (c *checker) fields(n *node, at string, rules []fieldRule) (vals [maxFields]*node, ok bool) {
	if n.kind != kindObject {
		c.errorf(n.off, at, "want an object, got %s", n.kind)
		return vals, false
	}
	members := c.t.children(n)
	for i := range members {
		m := &members[i]
		key := c.t.key(m)
		j := ruleIndex(rules, key)
		if j < 0 {
			msg := fmt.Sprintf("unknown field %q", key)
			if k := ruleIndexFold(rules, key); k >= 0 {
				msg += fmt.Sprintf(" (did you mean %q? names are case-sensitive)", rules[k].name)
			} else {
				msg += " (want one of " + ruleNames(rules) + ")"
			}
			c.errorf(m.keyOff, at, "%s", msg)
			continue
		}
		if vals[j] != nil {
			c.errorf(m.keyOff, join(at, key), "duplicate field: it appears more than once in the object")
			continue
		}
		vals[j] = m
	}
	for j, r := range rules {
		if vals[j] != nil || r.need == optional || (r.need == strictOnly && !c.strict) ||
			c.exchange && at == "" && r.name == "expect" {
			continue
		}
		if r.need == strictOnly {
			c.errorf(n.off, join(at, r.name), "missing: the project's table requires it")
		} else {
			c.errorf(n.off, join(at, r.name), "missing: required")
		}
	}
	return vals, true
}

func ruleIndex(rules []fieldRule, name string) int {
	for i, r := range rules {
		if r.name == name {
			return i
		}
	}
	return -1
}

func ruleIndexFold(rules []fieldRule, name string) int {
	for i, r := range rules {
		if strings.EqualFold(r.name, name) {
			return i
		}
	}
	return -1
}

func ruleNames(rules []fieldRule) string {
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.name
	}
	return strings.Join(names, ", ")
}

// str returns the string at n, the field name of at.
func (c *checker) str(n *node, at, name string) (string, bool) {
	if n.kind != kindString {
		c.errorf(n.off, join(at, name), "want a string, got %s", n.kind)
		return "", false
	}
	return c.t.str(n), true
}

func (c *checker) boolean(n *node, at, name string) (bool, bool) {
	if n.kind != kindBool {
		c.errorf(n.off, join(at, name), "want true or false, got %s", n.kind)
		return false, false
	}
	return n.b, true
}

func (c *checker) integer(n *node, at, name string) (int, bool) {
	if n.kind != kindNumber {
		c.errorf(n.off, join(at, name), "want an integer, got %s", n.kind)
		return 0, false
	}
	v, err := strconv.Atoi(c.t.str(n))
	if err != nil {
		c.errorf(n.off, join(at, name), "want an integer, got %s", c.t.str(n))
		return 0, false
	}
	return v, true
}

// stringList returns the array of strings at n, the field name of at.
func (c *checker) stringList(n *node, at, name string) ([]string, bool) {
	if n.kind != kindArray {
		c.errorf(n.off, join(at, name), "want an array of strings, got %s", n.kind)
		return nil, false
	}
	items := c.t.children(n)
	out := make([]string, 0, len(items))
	ok := true
	for i := range items {
		if items[i].kind != kindString {
			c.errorf(items[i].off, index(join(at, name), i), "want a string, got %s", items[i].kind)
			ok = false
		}
		out = append(out, c.t.str(&items[i]))
	}
	return out, ok
}

// checkFile checks a whole file and returns its cases.
func (c *checker) checkFile() *File {
	f := &File{Name: c.file}
	v, ok := c.fields(&c.t.root, "", fileFields)
	if !ok {
		return f
	}
	if n := v[0]; n != nil {
		if s, ok := c.str(n, "", "description"); ok {
			f.Description = s
			if c.strict && strings.TrimSpace(s) == "" {
				c.errorf(n.off, "description", "empty: say what the file's cases test")
			}
		}
	}
	n := v[1]
	if n == nil {
		return f
	}
	if n.kind != kindArray {
		c.errorf(n.off, "cases", "want an array of cases, got %s", n.kind)
		return f
	}
	items := c.t.children(n)
	f.Cases = make([]Case, 0, len(items))
	for i := range items {
		item := &items[i]
		switch item.kind {
		case kindString: // a comment
		case kindObject:
			if cs, ok := c.caseAt(item, i); ok {
				f.Cases = append(f.Cases, cs)
			}
		default:
			c.errorf(item.off, index("cases", i), "want a case object or a comment string, got %s", item.kind)
		}
	}
	if len(f.Cases) == 0 && len(c.errs) == 0 {
		c.errorf(n.off, "cases", "no cases: a file needs at least one")
	}
	return f
}

// caseAt checks one case object. ok is false when the case has problems.
func (c *checker) caseAt(n *node, i int) (Case, bool) {
	before := len(c.errs)
	cs := Case{File: c.file, Index: i, Line: c.line(n.off), Raw: c.data[n.off:n.end]}
	c.label = "#" + strconv.Itoa(i)
	defer func() { c.label = "" }()
	stem := ""
	if c.strict {
		stem = fileStem(c.file)
	}
	// Name the case by its id in every message, when the id is valid.
	members := c.t.children(n)
	for i := range members {
		m := &members[i]
		if c.t.key(m) == "id" && m.kind == kindString && validID(c.t.str(m), stem) == "" {
			c.label = c.t.str(m)
			break
		}
	}

	v, ok := c.fields(n, "", caseFields)
	if !ok {
		return cs, false
	}
	if n := v[0]; n != nil {
		if s, ok := c.str(n, "", "id"); ok {
			if msg := validID(s, stem); msg != "" {
				c.errorf(n.off, "id", "%s", msg)
			}
			c.checkUnique(s, n.off, cs.Line)
			cs.ID = s
		}
	}
	if n := v[1]; n != nil {
		if s, ok := c.str(n, "", "title"); ok {
			if c.strict && strings.TrimSpace(s) == "" {
				c.errorf(n.off, "title", "empty: say in one line what the case tests")
			}
			cs.Title = s
		}
	}
	if n := v[2]; n != nil {
		if s, ok := c.str(n, "", "spec"); ok {
			if c.strict && (!strings.HasPrefix(s, specPrefix) || len(s) == len(specPrefix)) {
				c.errorf(n.off, "spec", "want a link to the rule's section, %s<anchor>, got %q", specPrefix, s)
			}
			cs.Spec = s
		}
	}
	if n := v[3]; n != nil {
		cs.Tags = c.tags(n)
	}
	if n := v[4]; n != nil {
		cs.Request = c.request(n)
	}
	if n := v[5]; n != nil {
		r := c.response(n, "preflight", true)
		cs.Preflight = &r
	}
	if n := v[6]; n != nil {
		if n.kind != kindArray {
			c.errorf(n.off, "redirects", "want an array of redirects, got %s", n.kind)
		} else {
			items := c.t.children(n)
			cs.Redirects = make([]Redirect, 0, len(items))
			for i := range items {
				cs.Redirects = append(cs.Redirects, c.redirect(&items[i], i))
			}
		}
	}
	if n := v[7]; n != nil {
		cs.Response = c.response(n, "response", false)
	}
	if n := v[8]; n != nil {
		cs.Expect = c.expect(n)
	}
	if n := v[9]; n != nil {
		cs.Browsers = c.browsers(n)
	}
	return cs, len(c.errs) == before
}

// checkUnique reports an id used before, in this file or an earlier one.
func (c *checker) checkUnique(id string, off int32, line int) {
	if id == "" {
		return
	}
	first, ok := c.seen[id]
	if !ok {
		c.seen[id] = idUse{c.file, line}
		return
	}
	where := "line " + strconv.Itoa(first.line)
	if first.file != c.file {
		where = first.file + ":" + strconv.Itoa(first.line)
	}
	c.errorf(off, "id", "duplicate id, first used at %s", where)
}

// validID checks a case id; with a stem (strict mode) the id must be
// "<stem>/<slug>" in lowercase kebab-case.
func validID(id, stem string) string {
	if stem == "" {
		if strings.TrimSpace(id) == "" {
			return "empty id"
		}
		return ""
	}
	prefix, slug, found := strings.Cut(id, "/")
	if !found || prefix != stem || !kebab(slug) {
		return fmt.Sprintf("id %q: want %q followed by a lowercase kebab-case slug, e.g. %q", id, stem+"/", stem+"/two-words")
	}
	return ""
}

// kebab reports whether s is lowercase kebab-case: [a-z0-9]+ words joined
// by single hyphens.
func kebab(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func (c *checker) tags(n *node) []string {
	tags, ok := c.stringList(n, "", "tags")
	if !ok || !c.strict {
		return tags
	}
	if len(tags) == 0 {
		c.errorf(n.off, "tags", "empty: the first tag is the case's catalog group id")
		return tags
	}
	items := c.t.children(n)
	if !isGroup(tags[0]) {
		c.errorf(items[0].off, "tags[0]", "%q is not a catalog group id: the first tag names the case's group (see Groups)", tags[0])
	}
	for i, t := range tags {
		if !kebab(t) {
			c.errorf(items[i].off, index("tags", i), "%q: want lowercase kebab-case", t)
		}
		for _, u := range tags[:i] {
			if u == t {
				c.errorf(items[i].off, index("tags", i), "duplicate tag %q", t)
				break
			}
		}
	}
	return tags
}

func (c *checker) request(n *node) Request {
	var r Request
	const at = "request"
	v, ok := c.fields(n, at, requestFields)
	if !ok {
		return r
	}
	if n := v[0]; n != nil {
		if s, ok := c.str(n, at, "origin"); ok {
			if msg := checkOrigin(s); msg != "" {
				c.errorf(n.off, "request.origin", "%s", msg)
			}
			r.Origin = s
		}
	}
	if n := v[1]; n != nil {
		if s, ok := c.str(n, at, "url"); ok {
			if msg := checkAbsoluteURL(s); msg != "" {
				c.errorf(n.off, "request.url", "%s", msg)
			}
			r.URL = s
		}
	}
	if n := v[2]; n != nil {
		if s, ok := c.str(n, at, "method"); ok {
			if s == "" {
				c.errorf(n.off, "request.method", "empty method: write the method script passes, e.g. \"GET\"")
			}
			r.Method = s
		}
	}
	if n := v[3]; n != nil {
		r.Headers = c.headers(n, at, false)
	}
	if n := v[4]; n != nil {
		if s, ok := c.str(n, at, "credentials"); ok {
			if !oneOf(credentials, spec.Credentials(s)) {
				c.errorf(n.off, "request.credentials", "%q is not a credentials mode: want %s", s, quoteAll(credentials))
			}
			r.Credentials = s
		}
	}
	if n := v[5]; n != nil {
		if s, ok := c.str(n, at, "body"); ok {
			r.Body = &s
		}
	}
	return r
}

// response checks a preflight answer (preflight true) or a final response.
func (c *checker) response(n *node, at string, preflight bool) Response {
	var r Response
	v, ok := c.fields(n, at, responseFields)
	if !ok {
		return r
	}
	if n := v[0]; n != nil {
		if s, ok := c.integer(n, at, "status"); ok {
			if s < minStatus || s > maxStatus {
				msg := fmt.Sprintf("status %d outside %d-%d", s, minStatus, maxStatus)
				if s >= 100 && s < 200 {
					msg += ": 1xx responses are interim, HTTP clients wait for the final one, so a case cannot use them"
				}
				c.errorf(n.off, join(at, "status"), "%s", msg)
			}
			r.Status = s
		}
	}
	if n := v[1]; n != nil {
		r.Headers = c.headers(n, at, true)
	}
	if !preflight && oneOf(redirectCode, r.Status) {
		for _, h := range r.Headers {
			if strings.EqualFold(h[0], "Location") {
				c.errorf(n.off, at, "a %d response with a Location is a redirect, not a final response: put it in \"redirects\"", r.Status)
				break
			}
		}
	}
	return r
}

// redirect checks redirects[i].
func (c *checker) redirect(n *node, i int) Redirect {
	var r Redirect
	at := index("redirects", i)
	v, ok := c.fields(n, at, redirectFields)
	if !ok {
		return r
	}
	if n := v[0]; n != nil {
		if s, ok := c.integer(n, at, "status"); ok {
			if !oneOf(redirectCode, s) {
				c.errorf(n.off, join(at, "status"), "status %d is not a redirect status: want 301, 302, 303, 307 or 308", s)
			}
			r.Status = s
		}
	}
	if n := v[1]; n != nil {
		if s, ok := c.str(n, at, "location"); ok {
			r.Location = s
		}
	}
	if n := v[2]; n != nil {
		r.Headers = c.headers(n, at, true)
		for i, h := range r.Headers {
			if strings.EqualFold(h[0], "Location") {
				c.errorf(c.t.children(n)[i].off, index(join(at, "headers"), i), "the server sends \"location\" as the Location header: leave Location out of headers")
			}
		}
	}
	return r
}

// headers checks the list of [name, value] pairs at at.headers (the path
// is built only when a problem is found). Headers a server sends (wire)
// must be sendable over HTTP/1.1: a token name, a value without NUL, CR or
// LF. Request headers may hold anything, since invalid ones are part of
// what is tested.
func (c *checker) headers(n *node, at string, wire bool) []Header {
	if n.kind != kindArray {
		c.errorf(n.off, join(at, "headers"), "want an array of [name, value] pairs, got %s", n.kind)
		return nil
	}
	items := c.t.children(n)
	out := make([]Header, 0, len(items))
	for i := range items {
		p := &items[i]
		if p.kind != kindArray {
			c.errorf(p.off, index(join(at, "headers"), i), "want a [name, value] pair of strings, got %s", p.kind)
			continue
		}
		pair := c.t.children(p)
		if len(pair) != 2 {
			c.errorf(p.off, index(join(at, "headers"), i), "want a [name, value] pair of strings, got %d element%s", len(pair), plural(len(pair)))
			continue
		}
		if pair[0].kind != kindString || pair[1].kind != kindString {
			for j := range pair {
				if pair[j].kind != kindString {
					c.errorf(pair[j].off, index(index(join(at, "headers"), i), j), "want a string, got %s", pair[j].kind)
				}
			}
			continue
		}
		name, value := c.t.str(&pair[0]), c.t.str(&pair[1])
		if wire {
			if !spec.IsToken(name) {
				c.errorf(p.off, index(join(at, "headers"), i), "header name %q is not an HTTP token: a server cannot send it", name)
			}
			if j := badWireByte(value); j >= 0 {
				c.errorf(p.off, index(join(at, "headers"), i), "header value holds %q: a server cannot send it", value[j:j+1])
			}
		}
		out = append(out, Header{name, value})
	}
	return out
}

// badWireByte returns the index of the first NUL, CR or LF in s, or -1.
func badWireByte(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c == '\r' || c == '\n' {
			return i
		}
	}
	return -1
}

// expectation is what expect and a browser record have in common.
type expectation struct {
	outcome   spec.Outcome
	preflight *bool
	blockedAt spec.Stage
	reason    spec.Reason
	exposed   []string
	note      string
	source    string
}

func (c *checker) expect(n *node) Expect {
	e := c.expectation(n, "expect", expectFields)
	return Expect{Outcome: e.outcome, Preflight: e.preflight, BlockedAt: e.blockedAt, Reason: e.reason, ExposedHeaders: e.exposed}
}

// browsers checks browsers: per engine, one record or an array of
// records whose version ranges do not overlap.
func (c *checker) browsers(n *node) Browsers {
	v, ok := c.fields(n, "browsers", browsersFields)
	if !ok {
		return nil
	}
	b := Browsers{}
	for i, engine := range browsersFields {
		n := v[i]
		if n == nil {
			continue
		}
		at := join("browsers", engine.name)
		var recs []BrowserRecord
		switch n.kind {
		case kindObject:
			r, _ := c.browserRecord(n, at)
			recs = append(recs, r)
		case kindArray:
			items := c.t.children(n)
			if len(items) == 0 {
				c.errorf(n.off, at, "empty: give at least one record, or leave the engine out")
			}
			var ranged []bool // whether recs[k] has a valid range
			for j := range items {
				r, ok := c.browserRecord(&items[j], index(at, j))
				for k, prev := range recs {
					if ok && ranged[k] && prev.Versions.Overlaps(r.Versions) {
						c.errorf(items[j].off, join(index(at, j), "versions"),
							"%q overlaps %q of record %d: each version of an engine has at most one record", r.Versions, prev.Versions, k)
					}
				}
				recs, ranged = append(recs, r), append(ranged, ok)
			}
		default:
			c.errorf(n.off, at, "want a record (an object) or an array of records, got %s", n.kind)
			continue
		}
		b[engine.name] = recs
	}
	return b
}

// browserRecord checks one record of an engine's divergences. ok is false
// when its versions field is invalid.
func (c *checker) browserRecord(n *node, at string) (r BrowserRecord, ok bool) {
	e := c.expectation(n, at, browserRecordFields)
	r = BrowserRecord{
		Outcome: e.outcome, Preflight: e.preflight, BlockedAt: e.blockedAt, Reason: e.reason,
		ExposedHeaders: e.exposed, Note: e.note, Source: e.source,
	}
	if n.kind != kindObject {
		return r, false
	}
	ok = true
	// expectation has checked the members' names; read the two it does
	// not know.
	for _, m := range c.t.children(n) {
		switch c.t.key(&m) {
		case "versions":
			s, isStr := c.str(&m, at, "versions")
			vr, err := ParseVersionRange(s)
			if isStr && err != nil {
				c.errorf(m.off, join(at, "versions"), "%v", err)
			}
			r.Versions, ok = vr, isStr && err == nil
		case "sent":
			r.Sent = c.sent(&m, join(at, "sent"))
		}
	}
	return r, ok
}

// sent checks a list of requests a server receives.
func (c *checker) sent(n *node, at string) []Sent {
	if n.kind != kindArray {
		c.errorf(n.off, at, "want an array of requests, got %s", n.kind)
		return nil
	}
	items := c.t.children(n)
	out := make([]Sent, 0, len(items))
	for i := range items {
		iat := index(at, i)
		v, ok := c.fields(&items[i], iat, sentFields)
		if !ok {
			continue
		}
		var s Sent
		str := func(j int, name string) string {
			if v[j] == nil {
				return ""
			}
			x, _ := c.str(v[j], iat, name)
			return x
		}
		if v[0] != nil {
			s.Preflight, _ = c.boolean(v[0], iat, "preflight")
		}
		s.Method, s.URL, s.Origin, s.ACRM, s.ACRH = str(1, "method"), str(2, "url"), str(3, "origin"), str(4, "acrm"), str(5, "acrh")
		switch {
		case s.Method == "":
			c.errorf(items[i].off, join(iat, "method"), "empty: want the method the server received")
		case s.Preflight && (s.Method != "OPTIONS" || s.ACRM == ""):
			c.errorf(items[i].off, iat, "a preflight is an OPTIONS request with acrm (Access-Control-Request-Method)")
		case !s.Preflight && (s.ACRM != "" || s.ACRH != ""):
			c.errorf(items[i].off, iat, "acrm and acrh are forbidden request headers: only a preflight (\"preflight\": true) carries them")
		}
		// The URL is what a browser really sent, which a divergence may
		// make one the spec's parser refuses (a %20 in a host): only its
		// shape is checked.
		if scheme, rest, ok := strings.Cut(s.URL, "://"); v[2] != nil && (!ok || scheme == "" || rest == "" || strings.ContainsAny(s.URL, " \t#")) {
			c.errorf(v[2].off, join(iat, "url"), "%q: want scheme://host/path?query as the server received it (no space, no fragment)", s.URL)
		}
		out = append(out, s)
	}
	return out
}

// expectation checks expect or a browser record. The rules that tie fields
// together (an allowed case has no blockedAt, …) hold in both modes; the
// project's table also requires every field that applies, for expect.
func (c *checker) expectation(n *node, at string, rules []fieldRule) expectation {
	var e expectation
	v, ok := c.fields(n, at, rules)
	if !ok {
		return e
	}
	field := func(name string) *node { return v[ruleIndex(rules, name)] }
	if n := field("outcome"); n != nil {
		if s, ok := c.str(n, at, "outcome"); ok {
			if !oneOf(outcomes, spec.Outcome(s)) {
				c.errorf(n.off, join(at, "outcome"), "%q is not an outcome: want %s", s, quoteAll(outcomes))
			}
			e.outcome = spec.Outcome(s)
		}
	}
	if n := field("preflight"); n != nil {
		if b, ok := c.boolean(n, at, "preflight"); ok {
			e.preflight = &b
		}
	}
	if n := field("blockedAt"); n != nil {
		if s, ok := c.str(n, at, "blockedAt"); ok {
			if !oneOf(stages, spec.Stage(s)) {
				c.errorf(n.off, join(at, "blockedAt"), "%q is not a stage: want %s", s, quoteAll(stages))
			}
			e.blockedAt = spec.Stage(s)
		}
	}
	if n := field("reason"); n != nil {
		if s, ok := c.str(n, at, "reason"); ok {
			if r := spec.Reason(s); r == spec.ReasonNone || !r.Known() {
				c.errorf(n.off, join(at, "reason"), "%q is not a reason code: want one of spec.Reasons(), e.g. %q", s, spec.ACAOMismatch)
			}
			e.reason = spec.Reason(s)
		}
	}
	if n := field("exposedHeaders"); n != nil {
		e.exposed = c.exposed(n, at)
	}
	if ruleIndex(rules, "note") >= 0 {
		for _, name := range []string{"note", "source"} {
			n := field(name)
			if n == nil {
				continue
			}
			s, ok := c.str(n, at, name)
			if ok && strings.TrimSpace(s) == "" {
				c.errorf(n.off, join(at, name), "empty: a browser divergence needs its %s", name)
			}
			if name == "note" {
				e.note = s
			} else {
				e.source = s
			}
		}
	}

	// Rules tying the fields together.
	switch e.outcome {
	case spec.Allowed:
		if n := field("blockedAt"); n != nil {
			c.errorf(n.off, join(at, "blockedAt"), "an allowed case is blocked nowhere: leave blockedAt out")
		}
		if n := field("reason"); n != nil {
			c.errorf(n.off, join(at, "reason"), "an allowed case has no reason: leave it out")
		}
		if c.strict && at == "expect" && field("exposedHeaders") == nil {
			c.errorf(n.off, join(at, "exposedHeaders"), "missing: the project's table requires it for allowed cases (write [] when script can read no header)")
		}
	case spec.Blocked:
		if n := field("exposedHeaders"); n != nil {
			c.errorf(n.off, join(at, "exposedHeaders"), "a blocked case exposes nothing: leave exposedHeaders out")
		}
		if c.strict && at == "expect" {
			for _, name := range []string{"blockedAt", "reason"} {
				if field(name) == nil {
					c.errorf(n.off, join(at, name), "missing: the project's table requires it for blocked cases")
				}
			}
		}
	}
	if e.preflight != nil {
		if *e.preflight && e.blockedAt == spec.StageRequest {
			c.errorf(field("preflight").off, join(at, "preflight"), "a case blocked at the request stage sends nothing, so no preflight: want false")
		}
		if !*e.preflight && e.blockedAt == spec.StagePreflight {
			c.errorf(field("preflight").off, join(at, "preflight"), "a case blocked at the preflight stage sends a preflight: want true")
		}
	}
	return e
}

// exposed checks at.exposedHeaders: lowercase header names, sorted, no
// duplicates.
func (c *checker) exposed(n *node, at string) []string {
	names, ok := c.stringList(n, at, "exposedHeaders")
	if !ok {
		return nil
	}
	at = join(at, "exposedHeaders")
	items := c.t.children(n)
	for i, s := range names {
		switch {
		case !spec.IsToken(s):
			c.errorf(items[i].off, index(at, i), "%q is not a header name", s)
		case s != strings.ToLower(s):
			c.errorf(items[i].off, index(at, i), "%q: want lowercase %q", s, strings.ToLower(s))
		case i > 0 && s == strings.ToLower(names[i-1]):
			c.errorf(items[i].off, index(at, i), "%q: listed twice", s)
		case i > 0 && s < strings.ToLower(names[i-1]):
			c.errorf(items[i].off, index(at, i), "%q comes after %q: want the names sorted", s, names[i-1])
		}
	}
	return names
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func oneOf[T comparable](set []T, v T) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func quoteAll[T ~string](set []T) string {
	q := make([]string, len(set))
	for i, s := range set {
		q[i] = strconv.Quote(string(s))
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// checkOrigin returns what is wrong with s as a serialized origin ("" when
// it is one), with the serialization to write instead when s is a URL.
// The rule is the model's (spec.ParseOrigin).
func checkOrigin(s string) string {
	_, err := spec.ParseOrigin(s)
	if err == nil {
		return ""
	}
	msg := fmt.Sprintf("%q is not a serialized origin: %v", s, err)
	if o, ok := spec.URLOrigin(s); ok && !o.Opaque {
		if fix := o.Serialize(); fix != s {
			msg += fmt.Sprintf("; write %q", fix)
		}
	}
	return msg
}

// checkAbsoluteURL returns what is wrong with s as an absolute URL ("" when
// it is one), by the model's URL rules (spec.IsAbsoluteURL).
func checkAbsoluteURL(s string) string {
	if spec.IsAbsoluteURL(s) {
		return ""
	}
	return fmt.Sprintf("%q is not an absolute URL: want scheme://host/path, e.g. https://api.example/data", s)
}
