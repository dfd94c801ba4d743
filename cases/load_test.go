package cases

import (
	"errors"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ptr[T any](v T) *T { return &v }

// errorLines returns the lines of err's message, or nil.
func errorLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseLenientFile(t *testing.T) {
	f, err := Parse("lenient-ok.json", readFixture(t, "lenient-ok.json"), false)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &File{
		Name:        "lenient-ok.json",
		Description: "A user's file: in expect only outcome is required; ids are optional.",
		Cases: []Case{
			{
				ID:      "mine/star",
				Request: Request{Origin: "https://app.example", URL: "https://api.example/data"},
				Response: Response{Status: 200, Headers: []Header{
					{"Access-Control-Allow-Origin", "*"}, {"X-Dup", "1"}, {"x-dup", "2"},
				}},
				Expect: Expect{Outcome: spec.Allowed},
				File:   "lenient-ok.json", Index: 1, Line: 5,
			},
			{
				Request: Request{
					Origin: "null", URL: "https://api.example/data", Method: "put",
					Credentials: "include", Body: ptr(""),
				},
				Preflight: &Response{Status: 204, Headers: []Header{{"Access-Control-Allow-Origin", "null"}}},
				Redirects: []Redirect{{Status: 307, Location: "/next", Headers: []Header{}}},
				Response:  Response{Status: 404},
				Expect:    Expect{Outcome: spec.Blocked, Preflight: ptr(true), Reason: spec.MethodNotAllowed},
				Browsers:  Browsers{"chrome": {{Outcome: spec.Allowed, Note: "for the test", Source: "testdata"}}},
				File:      "lenient-ok.json", Index: 2, Line: 6,
			},
		},
	}
	opts := cmp.Options{cmpopts.IgnoreFields(Case{}, "Raw"), cmpopts.EquateEmpty()}
	if diff := cmp.Diff(want, f, opts); diff != "" {
		t.Errorf("Parse(lenient-ok.json) mismatch (-want +got):\n%s", diff)
	}
	if len(f.Cases) == 2 {
		if got := f.Cases[0].Raw; !strings.HasPrefix(got, `{"id": "mine/star"`) || !strings.HasSuffix(got, `"expect": {"outcome": "allowed"}}`) {
			t.Errorf("Raw of the first case = %q, want its JSON text", got)
		}
		if got, want := f.Cases[1].Name(), "lenient-ok.json#2"; got != want {
			t.Errorf("Name() of a case without id = %q, want %q", got, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		file   string // fixture in testdata/, or
		data   string // inline content, named t.json
		strict bool
		want   []string
	}{
		{
			name: "every lenient mistake",
			file: "bad.json",
			want: []string{
				`bad.json:5: case "bad/unknown": request: unknown field "Method" (did you mean "method"? names are case-sensitive)`,
				`bad.json:5: case "bad/unknown": request: unknown field "extra" (want one of origin, url, method, headers, credentials, body, mode, redirect, forcePreflight, bodyType)`,
				`bad.json:6: case "bad/header-triple": request.headers[2]: want a [name, value] pair of strings, got 3 elements`,
				`bad.json:7: case "bad/header-number": request.headers[0][1]: want a string, got a number`,
				`bad.json:8: case "bad/credentials": request.credentials: "includes" is not a credentials mode: want "omit", "same-origin" or "include"`,
				`bad.json:9: case "bad/origin-slash": request.origin: "https://app.example/" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null; write "https://app.example"`,
				`bad.json:10: case "bad/origin-port": request.origin: "https://app.example:443" is not a serialized origin: a serialized origin omits the scheme's default port; write "https://app.example"`,
				`bad.json:11: case "bad/origin-case": request.origin: "HTTPS://App.Example" is not a serialized origin: a serialized origin is lowercase; write "https://app.example"`,
				`bad.json:12: case "bad/url-relative": request.url: "/data" is not an absolute URL: want scheme://host/path, e.g. https://api.example/data`,
				`bad.json:13: case "bad/redirect": redirects[0].location: missing: required`,
				`bad.json:13: case "bad/redirect": redirects[0].status: status 200 is not a redirect status: want 301, 302, 303, 307 or 308`,
				`bad.json:14: case "bad/status-1xx": response.status: status 101 outside 200-599: 1xx responses are interim, HTTP clients wait for the final one, so a case cannot use them`,
				`bad.json:15: case "bad/status-string": preflight.status: want an integer, got a string`,
				`bad.json:16: case "bad/enums": expect.outcome: "denied" is not an outcome: want "allowed", "blocked" or "opaque"`,
				`bad.json:16: case "bad/enums": expect.reason: "nope" is not a reason code: want one of spec.Reasons(), e.g. "acao-mismatch"`,
				`bad.json:17: case "bad/allowed-with-reason": expect.blockedAt: an allowed case is blocked nowhere: leave blockedAt out`,
				`bad.json:17: case "bad/allowed-with-reason": expect.reason: an allowed case has no reason: leave it out`,
				`bad.json:18: case "bad/exposed": expect.exposedHeaders[0]: "X-B": want lowercase "x-b"`,
				`bad.json:18: case "bad/exposed": expect.exposedHeaders[1]: "content-type" comes after "X-B": want the names sorted`,
				`bad.json:19: case "bad/browsers": browsers: unknown field "safari" (want one of chrome, firefox, webkit)`,
				`bad.json:19: case "bad/browsers": browsers.chrome[1].note: missing: required`,
				`bad.json:19: case "bad/browsers": browsers.chrome[1].source: missing: required`,
				`bad.json:19: case "bad/browsers": browsers.chrome[1].versions: comparator "esr": want an operator (>=, <=, >, <, =, or none for =) and a version such as 150 or 2.50`,
				`bad.json:19: case "bad/browsers": browsers.chrome[2].sent[0]: a preflight is an OPTIONS request with acrm (Access-Control-Request-Method)`,
				`bad.json:19: case "bad/browsers": browsers.chrome[2].sent[0].url: "https://api.example/#x": want scheme://host/path?query as the server received it (no space, no fragment)`,
				`bad.json:19: case "bad/browsers": browsers.chrome[2].sent[1]: acrm and acrh are forbidden request headers: only a preflight ("preflight": true) carries them`,
				`bad.json:19: case "bad/browsers": browsers.chrome[2].versions: "<=150" overlaps ">=148" of record 0: each version of an engine has at most one record`,
				`bad.json:19: case "bad/browsers": browsers.chrome[3].versions: ">=157 <=150" holds for no version`,
				`bad.json:19: case "bad/browsers": browsers.webkit: empty: give at least one record, or leave the engine out`,
				`bad.json:20: case "bad/dup-field": id: duplicate field: it appears more than once in the object`,
				`bad.json:21: case #17: request: missing: required`,
				`bad.json:22: cases[18]: want a case object or a comment string, got a number`,
				`bad.json:23: case "bad/unknown": id: duplicate id, first used at line 5`,
				`bad.json:24: case "bad/location": response: a 302 response with a Location is a redirect, not a final response: put it in "redirects"`,
				`bad.json:25: case "bad/wire": response.headers[0]: header name "Bad Name" is not an HTTP token: a server cannot send it`,
				`bad.json:25: case "bad/wire": response.headers[1]: header value holds "\r": a server cannot send it`,
				`bad.json:26: case "bad/contradiction": expect.exposedHeaders: a blocked case exposes nothing: leave exposedHeaders out`,
				`bad.json:26: case "bad/contradiction": expect.preflight: a case blocked at the request stage sends nothing, so no preflight: want false`,
				`bad.json:27: case "bad/null": preflight: want an object, got null`,
			},
		},
		{
			name:   "strict mode requirements",
			file:   "strict.json",
			strict: true,
			want: []string{
				`strict.json:1: description: missing: the project's table requires it`,
				`strict.json:3: case #0: id: missing: the project's table requires it`,
				`strict.json:3: case #0: title: missing: the project's table requires it`,
				`strict.json:3: case #0: spec: missing: the project's table requires it`,
				`strict.json:3: case #0: tags: missing: the project's table requires it`,
				`strict.json:3: case #0: request.method: missing: the project's table requires it`,
				`strict.json:3: case #0: request.credentials: missing: the project's table requires it`,
				`strict.json:3: case #0: expect.preflight: missing: the project's table requires it`,
				`strict.json:3: case #0: expect.blockedAt: missing: the project's table requires it for blocked cases`,
				`strict.json:3: case #0: expect.reason: missing: the project's table requires it for blocked cases`,
				`strict.json:4: case #1: id: id "other/x": want "strict/" followed by a lowercase kebab-case slug, e.g. "strict/two-words"`,
				`strict.json:5: case "strict/tags": tags[0]: "not-a-group" is not a catalog group id: the first tag names the case's group (see Groups)`,
				`strict.json:5: case "strict/tags": tags[1]: "Boundary": want lowercase kebab-case`,
				`strict.json:6: case "strict/no-exposed": spec: want a link to the rule's section, https://fetch.spec.whatwg.org/#<anchor>, got "https://example.com/"`,
				`strict.json:6: case "strict/no-exposed": expect.exposedHeaders: missing: the project's table requires it for allowed cases (write [] when script can read no header)`,
			},
		},
		{
			name: "trailing garbage",
			data: `{"cases": []} x`,
			want: []string{`t.json:1: invalid JSON: unexpected "x" after the top-level value (column 15)`},
		},
		{
			name: "truncated",
			data: `{"cases": [`,
			want: []string{`t.json:1: invalid JSON: unexpected end of file: want a value (column 12)`},
		},
		{
			name: "bad escape",
			data: `{"cases": [{"id": "a\u00"}]}`,
			want: []string{`t.json:1: invalid JSON: invalid \u escape: want four hex digits (column 23)`},
		},
		{
			name: "invalid UTF-8",
			data: "{\"description\": \"\xff\"}",
			want: []string{`t.json:1: invalid JSON: invalid UTF-8 byte 0xFF inside a string (column 18)`},
		},
		{
			name: "raw control byte in a string",
			data: "{\"description\": \"a\tb\"}",
			want: []string{`t.json:1: invalid JSON: control byte 0x09 inside a string: write it as \u0009 (column 19)`},
		},
		{
			name: "byte order mark",
			data: "\uFEFF{}",
			want: []string{`t.json:1: invalid JSON: file starts with a byte order mark; save it as UTF-8 without BOM (column 1)`},
		},
		{
			name: "syntax error on a later line",
			data: "{\n  \"cases\": [1,\n  }",
			want: []string{`t.json:3: invalid JSON: unexpected "}": want a value (column 3)`},
		},
		{
			name: "too deep",
			data: strings.Repeat("[", 100),
			want: []string{`t.json:1: invalid JSON: nested more than 64 levels deep (column 65)`},
		},
		{
			name: "empty file",
			data: " \n",
			want: []string{`t.json:2: invalid JSON: empty file: want a JSON object (column 1)`},
		},
		{
			name: "not an object",
			data: `[]`,
			want: []string{`t.json:1: want an object, got an array`},
		},
		{
			name: "no cases",
			data: `{"cases": []}`,
			want: []string{`t.json:1: cases: no cases: a file needs at least one`},
		},
		{
			name: "cases missing and unknown top-level field",
			data: `{"description": "d", "case": []}`,
			want: []string{
				`t.json:1: unknown field "case" (want one of description, cases)`,
				`t.json:1: cases: missing: required`,
			},
		},
		{
			name: "number where an integer is wanted",
			data: `{"cases": [{"request": {"origin": "null", "url": "https://a.example/"}, "response": {"status": 2e2}, "expect": {"outcome": "allowed"}}]}`,
			want: []string{`t.json:1: case #0: response.status: want an integer, got 2e2`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, data := "t.json", []byte(tt.data)
			if tt.file != "" {
				name, data = tt.file, readFixture(t, tt.file)
			}
			f, err := Parse(name, data, tt.strict)
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("Parse(%s) errors mismatch (-want +got):\n%s", name, diff)
			}
			if err != nil && f != nil {
				t.Errorf("Parse(%s) returned a File along with an error", name)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) != len(tt.want) {
				t.Errorf("errors.As(err, *Errors) = %v with %d errors, want %d", errors.As(err, &es), len(es), len(tt.want))
			}
		})
	}
}

func TestFieldErrorFields(t *testing.T) {
	_, err := Parse("bad.json", readFixture(t, "bad.json"), false)
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(*FieldError) failed on %v", err)
	}
	want := &FieldError{File: "bad.json", Line: 5, Case: "bad/unknown", Field: "request",
		Msg: `unknown field "Method" (did you mean "method"? names are case-sensitive)`}
	if diff := cmp.Diff(want, fe); diff != "" {
		t.Errorf("first FieldError mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadFiles(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		want    []string // error lines
		wantIDs []string
	}{
		{
			name:    "one valid file",
			paths:   []string{"testdata/lenient-ok.json"},
			wantIDs: []string{"mine/star", "testdata/lenient-ok.json#2"},
		},
		{
			name:  "duplicate ids across files",
			paths: []string{"testdata/dup-a.json", "testdata/dup-b.json"},
			want:  []string{`testdata/dup-b.json:5: case "dup/x": id: duplicate id, first used at testdata/dup-a.json:4`},
		},
		{
			name:  "unreadable and invalid files reported together",
			paths: []string{"testdata/dup-a.json", "testdata/no-such-file.json", "testdata/dup-b.json"},
			want: []string{
				`testdata/no-such-file.json: cannot read: open testdata/no-such-file.json: no such file or directory`,
				`testdata/dup-b.json:5: case "dup/x": id: duplicate id, first used at testdata/dup-a.json:4`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab, err := LoadFiles(tt.paths...)
			if diff := cmp.Diff(tt.want, errorLines(err)); diff != "" {
				t.Errorf("LoadFiles(%v) errors mismatch (-want +got):\n%s", tt.paths, diff)
			}
			if err != nil {
				return
			}
			var ids []string
			for _, c := range tab.Cases {
				ids = append(ids, c.Name())
			}
			if diff := cmp.Diff(tt.wantIDs, ids); diff != "" {
				t.Errorf("LoadFiles(%v) cases mismatch (-want +got):\n%s", tt.paths, diff)
			}
		})
	}
}

func TestLoadFilesWrapsReadErrors(t *testing.T) {
	_, err := LoadFiles("testdata/no-such-file.json")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFiles(missing) = %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestTableByID(t *testing.T) {
	tab, err := LoadFiles("testdata/lenient-ok.json", "testdata/dup-a.json")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := tab.ByID("dup/x"); !ok || c.File != "testdata/dup-a.json" {
		t.Errorf(`ByID("dup/x") = %q in %q, %v; want the case of dup-a.json`, c.ID, c.File, ok)
	}
	for _, id := range []string{"", "nope/none"} {
		if _, ok := tab.ByID(id); ok {
			t.Errorf("ByID(%q) found a case", id)
		}
	}
}

// TestParseNeverPanics feeds Parse every prefix of valid files, and random
// mutations of them: no panic, and a proper prefix is never valid.
func TestParseNeverPanics(t *testing.T) {
	for _, name := range []string{"lenient-ok.json", "bad.json", "strict.json", "steps-ok.json", "steps-bad.json"} {
		data := readFixture(t, name)
		full := len(strings.TrimRight(string(data), " \n"))
		for i := 0; i < full; i++ {
			for _, strict := range []bool{false, true} {
				if f, err := Parse(name, data[:i], strict); err == nil {
					t.Errorf("Parse(%s[:%d]) = %d cases, nil error; want an error for a truncated file", name, i, len(f.Cases))
				}
			}
		}
		rng := rand.New(rand.NewSource(int64(len(data))))
		for i := 0; i < 2000; i++ {
			b := append([]byte(nil), data...)
			for j := 0; j < 1+rng.Intn(4); j++ {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
			_, _ = Parse(name, b, i%2 == 0)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"lenient-ok.json", "bad.json", "strict.json", "dup-a.json", "steps-ok.json", "steps-bad.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte(`{"cases": ["\ud800\udc00", "\udc00", "\ud800x"]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, strict bool) {
		file, err := Parse("fuzz.json", data, strict)
		if err == nil {
			for _, c := range file.Cases {
				for _, st := range c.Exchanges() {
					if o := st.Expect.Outcome; o != spec.Allowed && o != spec.Blocked && o != spec.Opaque {
						t.Errorf("valid file with outcome %q", o)
					}
				}
				if c.IsSequence() && c.Request.URL != "" {
					t.Errorf("valid steps case with a top-level request")
				}
				_ = c.Sequence()
				_, _ = c.WantSteps("chrome", Version{150})
			}
			return
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Errorf("error %v is not a non-empty Errors", err)
		}
	})
}

func TestRulesFitChecker(t *testing.T) {
	for _, rules := range [][]fieldRule{fileFields, caseFields, stepFields, requestFields, responseFields, redirectFields, expectFields, browsersFields, browserRecordFields, stepRecordFields, sentFields} {
		if len(rules) > maxFields {
			t.Errorf("%d rules starting with %q: more than maxFields (%d)", len(rules), rules[0].name, maxFields)
		}
	}
}

// TestCheckOrigin checks the messages built around spec.ParseOrigin (which
// has its own tests): a fix is suggested when the value is a URL.
func TestCheckOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"null", ""},
		{"https://app.example", ""},
		{"http://app.example:8080", ""},
		{"https://app.example/path?q", `"https://app.example/path?q" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null; write "https://app.example"`},
		{"http://API.example:80", `"http://API.example:80" is not a serialized origin: a serialized origin is lowercase; write "http://api.example"`},
		{"app.example", `"app.example" is not a serialized origin: want scheme://host[:port] (no path, query, fragment or userinfo) or null`},
		{"", `"" is not a serialized origin: empty origin`},
	}
	for _, tt := range tests {
		if got := checkOrigin(tt.in); got != tt.want {
			t.Errorf("checkOrigin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
