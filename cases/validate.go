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
// Requirements that depend on other values (a plain case's request,
// response and expect, which a steps case replaces by steps; blockedAt and
// reason for blocked cases, exposedHeaders for allowed ones; a plain
// record's outcome) are checked where those values are known.
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
		{"request", optional},
		{"preflight", optional},
		{"redirects", optional},
		{"response", optional},
		{"expect", optional},
		{"steps", optional},
		{"browsers", optional},
	}
	stepFields = []fieldRule{
		{"request", always},
		{"preflight", optional},
		{"redirects", optional},
		{"response", optional},
		{"expect", always},
		{"waitMs", optional},
	}
	requestFields = []fieldRule{
		{"origin", always},
		{"url", always},
		{"method", strictOnly},
		{"headers", optional},
		{"credentials", strictOnly},
		{"body", optional},
		{"mode", optional},
		{"redirect", optional},
		{"forcePreflight", optional},
		{"bodyType", optional},
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
		{"responseType", optional},
	}
	browsersFields = []fieldRule{
		{"chrome", optional},
		{"firefox", optional},
		{"webkit", optional},
	}
	browserRecordFields = []fieldRule{
		{"versions", strictOnly},
		{"outcome", optional},
		{"preflight", optional},
		{"blockedAt", optional},
		{"reason", optional},
		{"exposedHeaders", optional},
		{"responseType", optional},
		{"sent", optional},
		{"steps", optional},
		{"note", always},
		{"source", always},
	}
	stepRecordFields = []fieldRule{
		{"outcome", optional},
		{"preflight", optional},
		{"blockedAt", optional},
		{"reason", optional},
		{"exposedHeaders", optional},
		{"responseType", optional},
		{"sent", optional},
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
	outcomes      = []spec.Outcome{spec.Allowed, spec.Blocked, spec.Opaque}
	stages        = []spec.Stage{spec.StageRequest, spec.StagePreflight, spec.StageRedirect, spec.StageResponse}
	credentials   = []spec.Credentials{spec.CredentialsOmit, spec.CredentialsSameOrigin, spec.CredentialsInclude}
	redirectCode  = []int{301, 302, 303, 307, 308}
	modes         = []spec.Mode{spec.ModeCORS, spec.ModeNoCORS, spec.ModeSameOrigin}
	redirectModes = []spec.RedirectMode{spec.RedirectFollow, spec.RedirectError, spec.RedirectManual}
	bodyTypes     = []spec.BodyType{spec.BodyString, "blob:<type>", spec.BodyFormData, spec.BodyURLSearchParams, spec.BodyStream}
	responseTypes = []spec.ResponseType{spec.ResponseBasic, spec.ResponseCORS, spec.ResponseOpaque, spec.ResponseOpaqueRedirect}
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
const maxFields = 11

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

	// cases, when not nil, has room for the file's cases: checkFile
	// appends them there.
	cases []Case
	// lastOrigin is the last request origin found valid.
	lastOrigin string

	// ids are the ids met, in document order, to be checked for
	// uniqueness across files once every file is checked (files are
	// checked in parallel).
	ids []idCheck
}

// idCheck is an id to check for uniqueness: where it is, and where its
// error goes among the file's errors (at: how many errors came before).
type idCheck struct {
	id    string
	off   int32
	line  int
	label string
	at    int
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
			c.exchange && r.name == "expect" {
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
	if c.cases != nil {
		f.Cases = c.cases
	} else {
		f.Cases = make([]Case, 0, len(items))
	}
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
	if steps := v[9]; steps != nil {
		for j, name := range []string{"request", "preflight", "redirects", "response", "expect"} {
			if m := v[4+j]; m != nil {
				c.errorf(m.keyOff, name, "a case has request, preflight, redirects, response and expect, or steps, never both: move it into a step")
			}
		}
		cs.Steps = c.steps(steps)
	} else {
		st := c.exchangeAt(n, "", v[4], v[5], v[6], v[7], v[8], true)
		cs.Request, cs.Preflight, cs.Redirects, cs.Response, cs.Expect = st.Request, st.Preflight, st.Redirects, st.Response, st.Expect
	}
	if n := v[10]; n != nil {
		cs.Browsers = c.browsers(n, cs.Exchanges(), len(cs.Steps) > 0)
	}
	return cs, len(c.errs) == before
}

// steps checks a steps case's steps: at least one, each an exchange with an
// optional wait, all from the same page (one origin).
func (c *checker) steps(n *node) []Step {
	if n.kind != kindArray {
		c.errorf(n.off, "steps", "want an array of steps, got %s", n.kind)
		return nil
	}
	items := c.t.children(n)
	if len(items) == 0 {
		c.errorf(n.off, "steps", "empty: give at least one step, or write a plain case")
		return nil
	}
	out := make([]Step, 0, len(items))
	for i := range items {
		item := &items[i]
		at := index("steps", i)
		v, ok := c.fields(item, at, stepFields)
		if !ok {
			out = append(out, Step{})
			continue
		}
		st := c.exchangeAt(item, at, v[0], v[1], v[2], v[3], v[4], false)
		if w := v[5]; w != nil {
			if ms, ok := c.integer(w, at, "waitMs"); ok {
				if ms < 0 || ms > MaxWaitMs {
					c.errorf(w.off, join(at, "waitMs"), "%d ms outside 0-%d: a step waits at most %d ms (enough to outlive the 5 s default max-age)", ms, MaxWaitMs, MaxWaitMs)
				}
				st.WaitMs = ms
			}
		}
		if i > 0 && v[0] != nil && out[0].Request.Origin != "" && st.Request.Origin != "" && st.Request.Origin != out[0].Request.Origin {
			c.errorf(c.member(v[0], "origin").off, join(at, "request.origin"),
				"%q: every step is made from the same page, whose origin steps[0] gives (%q)", st.Request.Origin, out[0].Request.Origin)
		}
		out = append(out, st)
	}
	return out
}

// member returns the value of the named member of object n, or n itself
// when n is not an object or has no such member (for error positions).
func (c *checker) member(n *node, name string) *node {
	if n.kind != kindObject {
		return n
	}
	kids := c.t.children(n)
	for i := range kids {
		if c.t.key(&kids[i]) == name {
			return &kids[i]
		}
	}
	return n
}

// exchangeAt checks one exchange: a plain case's top-level fields (top) or
// a step's, at the JSON path at. parent is the object holding them, for
// the position of a missing field. Rules that tie the fields together
// (what XMLHttpRequest can send, when the response may be left out) are
// checked here.
func (c *checker) exchangeAt(parent *node, at string, req, pre, redirs, resp, exp *node, top bool) Step {
	st := Step{Line: c.line(parent.off)}
	if req != nil {
		st.Request = c.request(req, join(at, "request"))
	} else if top {
		c.errorf(parent.off, join(at, "request"), "missing: required")
	}
	if pre != nil {
		r := c.response(pre, join(at, "preflight"), true)
		st.Preflight = &r
	}
	if redirs != nil {
		rat := join(at, "redirects")
		if redirs.kind != kindArray {
			c.errorf(redirs.off, rat, "want an array of redirects, got %s", redirs.kind)
		} else {
			items := c.t.children(redirs)
			st.Redirects = make([]Redirect, 0, len(items))
			for i := range items {
				st.Redirects = append(st.Redirects, c.redirect(&items[i], index(rat, i)))
			}
		}
	}
	if resp != nil {
		st.Response = c.response(resp, join(at, "response"), false)
	}
	if exp != nil {
		st.Expect = c.expect(exp, join(at, "expect"))
	} else if top && !c.exchange {
		c.errorf(parent.off, join(at, "expect"), "missing: required")
	}
	if req == nil {
		return st
	}
	r := st.Request
	// No server sees a request to a URL that is not http(s) (the browser
	// answers data:, blob: and about: itself, or refuses the URL): such a
	// case may leave the answers out, and what it gives is not used.
	local := false
	if scheme, _, ok := strings.Cut(r.URL, ":"); ok && scheme != "" && !strings.ContainsAny(scheme, "/?#") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
		local = true
	}
	if c.strict && !top && pre == nil && !local {
		c.errorf(parent.off, join(at, "preflight"), "missing: the project's table gives every step a preflight answer, even when none is expected (an engine may send one)")
	}
	manual := r.Redirect == string(spec.RedirectManual) && len(st.Redirects) > 0
	if resp == nil && !local && !manual && st.Expect.BlockedAt != spec.StageRequest && !c.exchange {
		c.errorf(parent.off, join(at, "response"), "missing: required, unless no request can reach it (blocked at the request stage, or a redirect in manual mode)")
	}
	if r.ForcePreflight {
		// XMLHttpRequest with an upload listener: mode cors, redirect
		// follow, withCredentials false (same-origin) or true (include),
		// and no stream body.
		fat := join(at, "request.forcePreflight")
		n := c.member(req, "forcePreflight")
		switch {
		case r.Mode != "" && r.Mode != string(spec.ModeCORS):
			c.errorf(n.off, fat, "XMLHttpRequest (an upload listener) always uses mode cors, not %q", r.Mode)
		case r.Redirect != "" && r.Redirect != string(spec.RedirectFollow):
			c.errorf(n.off, fat, "XMLHttpRequest (an upload listener) always follows redirects, not %q", r.Redirect)
		case r.Credentials == string(spec.CredentialsOmit):
			c.errorf(n.off, fat, "XMLHttpRequest has no credentials mode omit: withCredentials gives same-origin (false) or include (true)")
		case r.BodyType == string(spec.BodyStream):
			c.errorf(n.off, fat, "XMLHttpRequest cannot send a ReadableStream body")
		}
	}
	return st
}

// checkUnique records an id, to be checked against the ids used before it,
// in this file or an earlier one (see uniqueIDs).
func (c *checker) checkUnique(id string, off int32, line int) {
	if id == "" {
		return
	}
	c.ids = append(c.ids, idCheck{id: id, off: off, line: line, label: c.label, at: len(c.errs)})
}

// uniqueIDs reports every id used before, in this file or one of the files
// whose ids seen holds, inserting each error where checkUnique recorded
// the id, and adds the file's ids to seen.
func (c *checker) uniqueIDs(seen map[string]idUse) {
	var errs Errors
	next := 0
	for _, u := range c.ids {
		first, ok := seen[u.id]
		if !ok {
			seen[u.id] = idUse{c.file, u.line}
			continue
		}
		where := "line " + strconv.Itoa(first.line)
		if first.file != c.file {
			where = first.file + ":" + strconv.Itoa(first.line)
		}
		errs = append(errs, c.errs[next:u.at]...)
		next = u.at
		errs = append(errs, &FieldError{File: c.file, Line: c.line(u.off), Case: u.label, Field: "id",
			Msg: "duplicate id, first used at " + where})
	}
	if errs != nil {
		c.errs = append(errs, c.errs[next:]...)
	}
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

func (c *checker) request(n *node, at string) Request {
	var r Request
	v, ok := c.fields(n, at, requestFields)
	if !ok {
		return r
	}
	if n := v[0]; n != nil {
		if s, ok := c.str(n, at, "origin"); ok {
			if s != c.lastOrigin { // most requests of a file share their origin
				if msg := checkOrigin(s); msg != "" {
					c.errorf(n.off, join(at, "origin"), "%s", msg)
				} else {
					c.lastOrigin = s
				}
			}
			r.Origin = s
		}
	}
	if n := v[1]; n != nil {
		if s, ok := c.str(n, at, "url"); ok {
			if msg := checkAbsoluteURL(s); msg != "" {
				c.errorf(n.off, join(at, "url"), "%s", msg)
			}
			r.URL = s
		}
	}
	if n := v[2]; n != nil {
		if s, ok := c.str(n, at, "method"); ok {
			if s == "" {
				c.errorf(n.off, join(at, "method"), "empty method: write the method script passes, e.g. \"GET\"")
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
				c.errorf(n.off, join(at, "credentials"), "%q is not a credentials mode: want %s", s, quoteAll(credentials))
			}
			r.Credentials = s
		}
	}
	if n := v[5]; n != nil {
		if s, ok := c.str(n, at, "body"); ok {
			r.Body = &s
		}
	}
	if n := v[6]; n != nil {
		if s, ok := c.str(n, at, "mode"); ok {
			if !oneOf(modes, spec.Mode(s)) {
				c.errorf(n.off, join(at, "mode"), "%q is not a request mode: want %s", s, quoteAll(modes))
			}
			r.Mode = s
		}
	}
	if n := v[7]; n != nil {
		if s, ok := c.str(n, at, "redirect"); ok {
			if !oneOf(redirectModes, spec.RedirectMode(s)) {
				c.errorf(n.off, join(at, "redirect"), "%q is not a redirect mode: want %s", s, quoteAll(redirectModes))
			}
			r.Redirect = s
		}
	}
	if n := v[8]; n != nil {
		r.ForcePreflight, _ = c.boolean(n, at, "forcePreflight")
	}
	if n := v[9]; n != nil {
		if s, ok := c.str(n, at, "bodyType"); ok {
			switch {
			case !spec.BodyType(s).Valid() || s == "":
				c.errorf(n.off, join(at, "bodyType"), "%q is not a body type: want %s", s, quoteAll(bodyTypes))
			case r.Body == nil:
				c.errorf(n.off, join(at, "bodyType"), "a body type without a body: give request.body (the text the body holds)")
			}
			r.BodyType = s
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

// redirect checks one redirect, at JSON path at. Its headers may repeat
// Location: the server then sends several Location lines (location's first).
func (c *checker) redirect(n *node, at string) Redirect {
	var r Redirect
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

// verdict is what expect, a browser record and a step record have in
// common: the verdict fields, and the nodes they came from (for error
// positions; nil when absent).
type verdict struct {
	outcome   spec.Outcome
	preflight *bool
	blockedAt spec.Stage
	reason    spec.Reason
	exposed   []string
	rtype     spec.ResponseType
	nodes     struct{ outcome, preflight, blockedAt, reason, exposed, rtype *node }
}

func (v *verdict) result() Result {
	return Result{Outcome: v.outcome, Preflight: v.preflight, BlockedAt: v.blockedAt, Reason: v.reason, ExposedHeaders: v.exposed, ResponseType: v.rtype}
}

// verdictFields reads the verdict fields of an object whose members
// fields has already returned (vals, by position in rules).
func (c *checker) verdictFields(vals [maxFields]*node, at string, rules []fieldRule) verdict {
	var e verdict
	field := func(name string) *node {
		if i := ruleIndex(rules, name); i >= 0 {
			return vals[i]
		}
		return nil
	}
	if n := field("outcome"); n != nil {
		e.nodes.outcome = n
		if s, ok := c.str(n, at, "outcome"); ok {
			if !oneOf(outcomes, spec.Outcome(s)) {
				c.errorf(n.off, join(at, "outcome"), "%q is not an outcome: want %s", s, quoteAll(outcomes))
			}
			e.outcome = spec.Outcome(s)
		}
	}
	if n := field("preflight"); n != nil {
		e.nodes.preflight = n
		if b, ok := c.boolean(n, at, "preflight"); ok {
			e.preflight = &b
		}
	}
	if n := field("blockedAt"); n != nil {
		e.nodes.blockedAt = n
		if s, ok := c.str(n, at, "blockedAt"); ok {
			if !oneOf(stages, spec.Stage(s)) {
				c.errorf(n.off, join(at, "blockedAt"), "%q is not a stage: want %s", s, quoteAll(stages))
			}
			e.blockedAt = spec.Stage(s)
		}
	}
	if n := field("reason"); n != nil {
		e.nodes.reason = n
		if s, ok := c.str(n, at, "reason"); ok {
			if r := spec.Reason(s); r == spec.ReasonNone || !r.Known() {
				c.errorf(n.off, join(at, "reason"), "%q is not a reason code: want one of spec.Reasons(), e.g. %q", s, spec.ACAOMismatch)
			}
			e.reason = spec.Reason(s)
		}
	}
	if n := field("exposedHeaders"); n != nil {
		e.nodes.exposed = n
		e.exposed = c.exposed(n, at)
	}
	if n := field("responseType"); n != nil {
		e.nodes.rtype = n
		if s, ok := c.str(n, at, "responseType"); ok {
			if !oneOf(responseTypes, spec.ResponseType(s)) {
				c.errorf(n.off, join(at, "responseType"), "%q is not a response type: want %s", s, quoteAll(responseTypes))
			}
			e.rtype = spec.ResponseType(s)
		}
	}
	return e
}

// coherent checks the rules that tie verdict fields together, on r (the
// fields as they apply: a step record's merged over its step's expect);
// v names the fields written (errors point at them, and only fields
// written there are blamed). what is "case" or "step".
func (c *checker) coherent(r Result, v *verdict, at, what string) {
	switch r.Outcome {
	case spec.Allowed:
		if n := v.nodes.blockedAt; n != nil {
			c.errorf(n.off, join(at, "blockedAt"), "an allowed %s is blocked nowhere: leave blockedAt out", what)
		}
		if n := v.nodes.reason; n != nil {
			c.errorf(n.off, join(at, "reason"), "an allowed %s has no reason: leave it out", what)
		}
		if n := v.nodes.rtype; n != nil && oneOf(responseTypes, r.ResponseType) && r.ResponseType != spec.ResponseBasic && r.ResponseType != spec.ResponseCORS {
			c.errorf(n.off, join(at, "responseType"), "%q: an allowed %s's response is basic or cors", r.ResponseType, what)
		}
	case spec.Blocked:
		if n := v.nodes.exposed; n != nil {
			c.errorf(n.off, join(at, "exposedHeaders"), "a blocked %s exposes nothing: leave exposedHeaders out", what)
		}
		if n := v.nodes.rtype; n != nil {
			c.errorf(n.off, join(at, "responseType"), "a blocked %s gets no response: leave responseType out", what)
		}
	case spec.Opaque:
		if n := v.nodes.blockedAt; n != nil {
			c.errorf(n.off, join(at, "blockedAt"), "an opaque %s is blocked nowhere: leave blockedAt out", what)
		}
		if n := v.nodes.reason; n != nil {
			c.errorf(n.off, join(at, "reason"), "an opaque %s has no reason: leave it out", what)
		}
		if n := v.nodes.exposed; n != nil {
			c.errorf(n.off, join(at, "exposedHeaders"), "script reads nothing of an opaque response: leave exposedHeaders out")
		}
		if n := v.nodes.rtype; n != nil && oneOf(responseTypes, r.ResponseType) && r.ResponseType != spec.ResponseOpaque && r.ResponseType != spec.ResponseOpaqueRedirect {
			c.errorf(n.off, join(at, "responseType"), "%q: an opaque %s's response is opaque or opaqueredirect", r.ResponseType, what)
		}
	}
	if n := v.nodes.preflight; n != nil && r.Preflight != nil {
		if *r.Preflight && r.BlockedAt == spec.StageRequest {
			c.errorf(n.off, join(at, "preflight"), "a %s blocked at the request stage sends nothing, so no preflight: want false", what)
		}
		if !*r.Preflight && r.BlockedAt == spec.StagePreflight {
			c.errorf(n.off, join(at, "preflight"), "a %s blocked at the preflight stage sends a preflight: want true", what)
		}
	}
	// A reason at a stage the model never gives it: in the project's
	// table only (a file users bring may plant one to test a verifier).
	if c.strict && r.Outcome == spec.Blocked && r.Reason != spec.ReasonNone && r.Reason.Known() && r.BlockedAt != "" &&
		oneOf(stages, r.BlockedAt) && !r.Reason.BlocksAt(r.BlockedAt) {
		n := v.nodes.blockedAt
		if n == nil {
			n = v.nodes.reason
		}
		if n != nil {
			c.errorf(n.off, join(at, "blockedAt"), "%q blocks at the %s stage, not at %q", r.Reason, quoteAll(r.Reason.Stages()), r.BlockedAt)
		}
	}
}

func (c *checker) expect(n *node, at string) Expect {
	v, ok := c.fields(n, at, expectFields)
	if !ok {
		return Expect{}
	}
	e := c.verdictFields(v, at, expectFields)
	c.coherent(e.result(), &e, at, "case")
	if c.strict {
		switch e.outcome {
		case spec.Allowed:
			if e.nodes.exposed == nil {
				c.errorf(n.off, join(at, "exposedHeaders"), "missing: the project's table requires it for allowed cases (write [] when script can read no header)")
			}
		case spec.Blocked:
			for _, f := range []struct {
				name string
				n    *node
			}{{"blockedAt", e.nodes.blockedAt}, {"reason", e.nodes.reason}} {
				if f.n == nil {
					c.errorf(n.off, join(at, f.name), "missing: the project's table requires it for blocked cases")
				}
			}
		}
	}
	return Expect{Outcome: e.outcome, Preflight: e.preflight, BlockedAt: e.blockedAt, Reason: e.reason, ExposedHeaders: e.exposed, ResponseType: e.rtype}
}

// browsers checks browsers: per engine, one record or an array of
// records whose version ranges do not overlap. steps are the case's
// exchanges; sequence tells a steps case, whose records give their
// verdicts per step.
func (c *checker) browsers(n *node, steps []Step, sequence bool) Browsers {
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
			r, _ := c.browserRecord(n, at, steps, sequence)
			recs = append(recs, r)
		case kindArray:
			items := c.t.children(n)
			if len(items) == 0 {
				c.errorf(n.off, at, "empty: give at least one record, or leave the engine out")
			}
			var ranged []bool // whether recs[k] has a valid range
			for j := range items {
				r, ok := c.browserRecord(&items[j], index(at, j), steps, sequence)
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
func (c *checker) browserRecord(n *node, at string, steps []Step, sequence bool) (r BrowserRecord, ok bool) {
	vals, isObj := c.fields(n, at, browserRecordFields)
	if !isObj {
		return r, false
	}
	field := func(name string) *node { return vals[ruleIndex(browserRecordFields, name)] }
	e := c.verdictFields(vals, at, browserRecordFields)
	r = BrowserRecord{Outcome: e.outcome, Preflight: e.preflight, BlockedAt: e.blockedAt, Reason: e.reason,
		ExposedHeaders: e.exposed, ResponseType: e.rtype}
	for _, name := range []string{"note", "source"} {
		m := field(name)
		if m == nil {
			continue
		}
		s, ok := c.str(m, at, name)
		if ok && strings.TrimSpace(s) == "" {
			c.errorf(m.off, join(at, name), "empty: a browser divergence needs its %s", name)
		}
		if name == "note" {
			r.Note = s
		} else {
			r.Source = s
		}
	}
	ok = true
	if m := field("versions"); m != nil {
		s, isStr := c.str(m, at, "versions")
		vr, err := ParseVersionRange(s)
		if isStr && err != nil {
			c.errorf(m.off, join(at, "versions"), "%v", err)
		}
		r.Versions, ok = vr, isStr && err == nil
	}
	if m := field("sent"); m != nil {
		r.Sent = c.sent(m, join(at, "sent"))
	}
	if !sequence {
		if m := field("steps"); m != nil {
			c.errorf(m.keyOff, join(at, "steps"), "only a steps case's record gives steps: write this record's verdict fields here")
		}
		if e.nodes.outcome == nil {
			c.errorf(n.off, join(at, "outcome"), "missing: required")
		}
		c.coherent(e.result(), &e, at, "case")
		return r, ok
	}
	for _, name := range []string{"outcome", "preflight", "blockedAt", "reason", "exposedHeaders", "responseType", "sent"} {
		if m := field(name); m != nil {
			c.errorf(m.keyOff, join(at, name), "a steps case's record gives what differs per step: move %s into steps[i]", name)
		}
	}
	m := field("steps")
	if m == nil {
		c.errorf(n.off, join(at, "steps"), "missing: a steps case's record gives one element per step ({} where the engine agrees)")
		return r, ok
	}
	sat := join(at, "steps")
	if m.kind != kindArray {
		c.errorf(m.off, sat, "want an array of step records, got %s", m.kind)
		return r, ok
	}
	items := c.t.children(m)
	if len(items) != len(steps) {
		c.errorf(m.off, sat, "%d element%s for %d step%s: give one per step of the case, {} where the engine agrees",
			len(items), plural(len(items)), len(steps), plural(len(steps)))
	}
	r.Steps = make([]StepRecord, 0, len(items))
	for i := range items {
		r.Steps = append(r.Steps, c.stepRecord(&items[i], index(sat, i), steps, i))
	}
	return r, ok
}

// stepRecord checks what an engine does differently in step i.
func (c *checker) stepRecord(n *node, at string, steps []Step, i int) StepRecord {
	vals, ok := c.fields(n, at, stepRecordFields)
	if !ok {
		return StepRecord{}
	}
	e := c.verdictFields(vals, at, stepRecordFields)
	r := StepRecord{Outcome: e.outcome, Preflight: e.preflight, BlockedAt: e.blockedAt, Reason: e.reason,
		ExposedHeaders: e.exposed, ResponseType: e.rtype}
	if m := vals[ruleIndex(stepRecordFields, "sent")]; m != nil {
		r.Sent = c.sent(m, join(at, "sent"))
	}
	if i < len(steps) {
		c.coherent(steps[i].Expect.mergeStep(&r), &e, at, "step")
	}
	return r
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
