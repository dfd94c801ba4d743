package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// File is a HAR file, reduced to what CORS depends on.
type File struct {
	Creator string // log.creator name and version, "WebInspector 537.36"
	Browser string // log.browser name and version when present (Firefox writes it)
	Pages   []Page
	Entries []Entry
}

// Page is one element of log.pages: Title is the page's URL in the HARs
// Chrome and Firefox write.
type Page struct {
	ID    string
	Title string
}

// Entry is one element of log.entries.
type Entry struct {
	Index   int // position in log.entries
	Pageref string
	Started time.Time // zero when startedDateTime is absent or not a date
	// ResourceType is Chrome's _resourceType ("fetch", "xhr",
	// "preflight", "document", …), "" when absent (Firefox).
	ResourceType string
	// Initiator is Chrome's _initiator; its Type is "preflight" for a
	// CORS preflight. Zero when absent.
	Initiator Initiator
	Request   Request
	Response  Response
}

// Initiator is the part of Chrome's _initiator the analysis uses.
type Initiator struct {
	Type      string // "script", "parser", "preflight", "other", …
	URL       string
	RequestID string // for a preflight: the id of the request it is for
}

// Request is an entry's request.
type Request struct {
	Method  string
	URL     string
	Headers []spec.Header // in the file's order, names as written
	// HasBody reports a postData object or a bodySize above 0.
	HasBody bool
	// Cookies is the number of elements of request.cookies.
	Cookies int
}

// Response is an entry's response. A request that never got one (blocked
// before it was sent, or a network error) has Status 0 and no headers.
type Response struct {
	Status      int
	StatusText  string
	Headers     []spec.Header
	RedirectURL string
	// Error is Chrome's _error: the network error the request failed
	// with ("net::ERR_FAILED" for a CORS failure), "" when it did not.
	Error string
	// HasErrorField reports that the entry has an _error member (null or
	// not): the exporter records failures, so an empty Error means none.
	HasErrorField bool
}

// Header returns the value of the first header line named name (any case).
func Header(h []spec.Header, name string) (string, bool) {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return x.Value, true
		}
	}
	return "", false
}

// Problem is one thing wrong with a HAR file, at a JSON path such as
// log.entries[3].request.url.
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// Error reports every problem found in a HAR file.
type Error struct {
	Name     string // the file's name, for messages
	Problems []Problem
	More     int // problems not listed (after the first maxProblems)
}

const maxProblems = 20

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not a HAR file crosscheck can read:", e.Name)
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

// Parse reads a HAR file. name is used in error messages. Unknown members
// are ignored (exporters add their own, prefixed with "_"); a member that
// the analysis reads and that is missing or of the wrong type is reported,
// every one of them, as an *Error naming the entry and the field.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{err: &Error{Name: name}}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := position(data, se.Offset)
			p.add("", fmt.Sprintf("invalid JSON at line %d, column %d: %v", line, col, err))
		} else {
			p.add("", "invalid JSON: "+err.Error())
		}
		return nil, p.err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		p.add("", "want a JSON object with a \"log\" member, got "+kind(doc))
		return nil, p.err
	}
	f := &File{}
	log := p.object(top, "log", "", true)
	if log != nil {
		if c := p.object(log, "creator", "log", false); c != nil {
			f.Creator = strings.TrimSpace(p.str(c, "name", "log.creator", false) + " " + p.str(c, "version", "log.creator", false))
		}
		if c := p.object(log, "browser", "log", false); c != nil {
			f.Browser = strings.TrimSpace(p.str(c, "name", "log.browser", false) + " " + p.str(c, "version", "log.browser", false))
		}
		for i, raw := range p.array(log, "pages", "log", false) {
			path := fmt.Sprintf("log.pages[%d]", i)
			if o := p.asObject(raw, path); o != nil {
				f.Pages = append(f.Pages, Page{ID: p.str(o, "id", path, false), Title: p.str(o, "title", path, false)})
			}
		}
		for i, raw := range p.array(log, "entries", "log", true) {
			if e, ok := p.entry(i, raw); ok {
				f.Entries = append(f.Entries, e)
			}
		}
	}
	if len(p.err.Problems) > 0 {
		return nil, p.err
	}
	return f, nil
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// parser walks the decoded document, collecting problems.
type parser struct{ err *Error }

func (p *parser) add(path, msg string) {
	if len(p.err.Problems) >= maxProblems {
		p.err.More++
		return
	}
	if path == "" {
		path = "(file)"
	}
	p.err.Problems = append(p.err.Problems, Problem{Path: path, Message: msg})
}

// kind names the JSON type of a decoded value for messages.
func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// asObject returns v as an object, or reports it at path.
func (p *parser) asObject(v any, path string) map[string]any {
	o, ok := v.(map[string]any)
	if !ok {
		p.add(path, "want an object, got "+kind(v))
	}
	return o
}

// object returns o[key] as an object. An optional member may be absent or
// null.
func (p *parser) object(o map[string]any, key, path string, required bool) map[string]any {
	v, ok := o[key]
	if !ok || (!required && v == nil) {
		if required {
			p.add(join(path, key), "missing")
		}
		return nil
	}
	return p.asObject(v, join(path, key))
}

func (p *parser) array(o map[string]any, key, path string, required bool) []any {
	v, ok := o[key]
	if !ok || (!required && v == nil) {
		if required {
			p.add(join(path, key), "missing")
		}
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		p.add(join(path, key), "want an array, got "+kind(v))
	}
	return a
}

func (p *parser) str(o map[string]any, key, path string, required bool) string {
	v, ok := o[key]
	if !ok || (!required && v == nil) {
		if required {
			p.add(join(path, key), "missing")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.add(join(path, key), "want a string, got "+kind(v))
	}
	return s
}

func (p *parser) num(o map[string]any, key, path string, required bool) float64 {
	v, ok := o[key]
	if !ok {
		if required {
			p.add(join(path, key), "missing")
		}
		return 0
	}
	n, ok := v.(float64)
	if !ok {
		p.add(join(path, key), "want a number, got "+kind(v))
	}
	return n
}

func (p *parser) headers(o map[string]any, path string) []spec.Header {
	list := p.array(o, "headers", path, true)
	hs := make([]spec.Header, 0, len(list))
	for i, raw := range list {
		hp := fmt.Sprintf("%s.headers[%d]", path, i)
		h := p.asObject(raw, hp)
		if h == nil {
			continue
		}
		hs = append(hs, spec.Header{Name: p.str(h, "name", hp, true), Value: p.str(h, "value", hp, true)})
	}
	return hs
}

func (p *parser) entry(i int, raw any) (Entry, bool) {
	path := fmt.Sprintf("log.entries[%d]", i)
	before := len(p.err.Problems) + p.err.More
	e := Entry{Index: i}
	o := p.asObject(raw, path)
	if o == nil {
		return e, false
	}
	e.Pageref = p.str(o, "pageref", path, false)
	if s := p.str(o, "startedDateTime", path, false); s != "" {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			e.Started = t
		}
	}
	e.ResourceType = p.str(o, "_resourceType", path, false)
	if in := p.object(o, "_initiator", path, false); in != nil {
		ip := path + "._initiator"
		e.Initiator = Initiator{Type: p.str(in, "type", ip, false), URL: p.str(in, "url", ip, false), RequestID: p.str(in, "requestId", ip, false)}
	}
	if req := p.object(o, "request", path, true); req != nil {
		rp := path + ".request"
		e.Request.Method = p.str(req, "method", rp, true)
		e.Request.URL = p.str(req, "url", rp, true)
		if v, ok := req["url"].(string); ok && v == "" {
			p.add(rp+".url", "empty")
		}
		e.Request.Headers = p.headers(req, rp)
		if pd := p.object(req, "postData", rp, false); pd != nil {
			e.Request.HasBody = true
		}
		if _, ok := req["bodySize"]; ok && p.num(req, "bodySize", rp, false) > 0 {
			e.Request.HasBody = true
		}
		e.Request.Cookies = len(p.array(req, "cookies", rp, false))
	}
	if resp := p.object(o, "response", path, true); resp != nil {
		rp := path + ".response"
		status := p.num(resp, "status", rp, true)
		if status != math.Trunc(status) || status < 0 || status > 999 {
			p.add(rp+".status", fmt.Sprintf("want an HTTP status code, got %v", status))
		}
		e.Response.Status = int(status)
		e.Response.StatusText = p.str(resp, "statusText", rp, false)
		e.Response.Headers = p.headers(resp, rp)
		e.Response.RedirectURL = p.str(resp, "redirectURL", rp, false)
		if _, ok := resp["_error"]; ok {
			e.Response.HasErrorField = true
			e.Response.Error = p.str(resp, "_error", rp, false)
		}
	}
	return e, len(p.err.Problems)+p.err.More == before
}
