package cases

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// schemaObject is the part of a JSON Schema object definition the loader's
// rules must match.
type schemaObject struct {
	Type                 string                     `json:"type"`
	AdditionalProperties *bool                      `json:"additionalProperties"`
	Required             []string                   `json:"required"`
	Properties           map[string]json.RawMessage `json:"properties"`
	AllOf                []struct {
		If struct {
			Properties struct {
				Outcome struct {
					Const string `json:"const"`
				} `json:"outcome"`
			} `json:"properties"`
		} `json:"if"`
		Then struct {
			Required []string `json:"required"`
		} `json:"then"`
	} `json:"allOf"`
}

type schemaFile struct {
	schemaObject
	Defs map[string]json.RawMessage `json:"$defs"`
}

func loadSchema(t *testing.T) schemaFile {
	t.Helper()
	b, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schemaFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	return s
}

func def[T any](t *testing.T, s schemaFile, name string) T {
	t.Helper()
	var v T
	raw, ok := s.Defs[name]
	if !ok {
		t.Fatalf("schema.json: no $defs/%s", name)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("schema.json $defs/%s: %v", name, err)
	}
	return v
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// TestSchemaMatchesLoader checks that schema.json and the loader's strict
// rules cannot drift: the same fields, required fields and enums.
func TestSchemaMatchesLoader(t *testing.T) {
	s := loadSchema(t)
	objects := []struct {
		name  string // $defs entry, "" for the root
		rules []fieldRule
	}{
		{"", fileFields},
		{"case", caseFields},
		{"step", stepFields},
		{"request", requestFields},
		{"response", responseFields},
		{"redirect", redirectFields},
		{"expect", expectFields},
		{"browsers", browsersFields},
		{"browserRecord", browserRecordFields},
		{"stepRecord", stepRecordFields},
		{"sentRequest", sentFields},
	}
	for _, o := range objects {
		obj := s.schemaObject
		if o.name != "" {
			obj = def[schemaObject](t, s, o.name)
		}
		var names, required []string
		for _, r := range o.rules {
			names = append(names, r.name)
			if r.need != optional {
				required = append(required, r.name)
			}
		}
		var props []string
		for p := range obj.Properties {
			props = append(props, p)
		}
		if diff := cmp.Diff(sorted(names), sorted(props)); diff != "" {
			t.Errorf("%q: schema properties differ from the loader's fields (-loader +schema):\n%s", o.name, diff)
		}
		if diff := cmp.Diff(sorted(required), sorted(obj.Required), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%q: schema required differs from the loader's strict rules (-loader +schema):\n%s", o.name, diff)
		}
		if obj.Type != "object" || obj.AdditionalProperties == nil || *obj.AdditionalProperties {
			t.Errorf("%q: want type object with additionalProperties false", o.name)
		}
	}

	// Conditional requirements of expect (checkExpect's strict rules).
	exp := def[schemaObject](t, s, "expect")
	cond := map[string][]string{}
	for _, a := range exp.AllOf {
		cond[a.If.Properties.Outcome.Const] = sorted(a.Then.Required)
	}
	wantCond := map[string][]string{"blocked": {"blockedAt", "reason"}, "allowed": {"exposedHeaders"}, "opaque": nil}
	if diff := cmp.Diff(wantCond, cond); diff != "" {
		t.Errorf("expect: conditional requirements mismatch (-loader +schema):\n%s", diff)
	}
}

func TestSchemaEnums(t *testing.T) {
	s := loadSchema(t)
	type enum struct {
		Enum []json.RawMessage `json:"enum"`
	}
	strs := func(name string) []string {
		var out []string
		for _, raw := range def[enum](t, s, name).Enum {
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				t.Errorf("$defs/%s: enum value %s is not a string", name, raw)
			}
			out = append(out, v)
		}
		return out
	}
	toStrings := func(n int, at func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	var groupIDs []string
	for _, g := range Groups() {
		groupIDs = append(groupIDs, g.ID)
	}
	reasons := spec.Reasons()
	tests := []struct {
		def  string
		want []string
	}{
		{"outcome", toStrings(len(outcomes), func(i int) string { return string(outcomes[i]) })},
		{"stage", toStrings(len(stages), func(i int) string { return string(stages[i]) })},
		{"credentials", toStrings(len(credentials), func(i int) string { return string(credentials[i]) })},
		{"reason", toStrings(len(reasons), func(i int) string { return string(reasons[i]) })},
		{"mode", toStrings(len(modes), func(i int) string { return string(modes[i]) })},
		{"redirectMode", toStrings(len(redirectModes), func(i int) string { return string(redirectModes[i]) })},
		{"responseType", toStrings(len(responseTypes), func(i int) string { return string(responseTypes[i]) })},
		{"group", groupIDs},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, strs(tt.def)); diff != "" {
			t.Errorf("$defs/%s enum mismatch (-Go +schema):\n%s", tt.def, diff)
		}
	}

	redirect := def[struct {
		Properties struct {
			Status struct {
				Enum []int `json:"enum"`
			} `json:"status"`
		} `json:"properties"`
	}](t, s, "redirect")
	if diff := cmp.Diff(redirectCode, redirect.Properties.Status.Enum); diff != "" {
		t.Errorf("$defs/redirect status enum mismatch (-Go +schema):\n%s", diff)
	}
	response := def[struct {
		Properties struct {
			Status struct {
				Minimum int `json:"minimum"`
				Maximum int `json:"maximum"`
			} `json:"status"`
		} `json:"properties"`
	}](t, s, "response")
	if got := response.Properties.Status; got.Minimum != minStatus || got.Maximum != maxStatus {
		t.Errorf("$defs/response status range = %d-%d, want %d-%d", got.Minimum, got.Maximum, minStatus, maxStatus)
	}
}

// TestSchemaIDPattern checks the schema's id pattern against validID.
func TestSchemaIDPattern(t *testing.T) {
	s := loadSchema(t)
	id := def[struct {
		Pattern string `json:"pattern"`
	}](t, s, "id")
	re, err := regexp.Compile(id.Pattern)
	if err != nil {
		t.Fatalf("$defs/id pattern: %v", err)
	}
	for _, in := range []string{"acao/x", "acao/two-words", "acao/a1-2b", "acao/", "acao/-x", "acao/x-", "acao/a--b", "acao/A", "acao/a_b", "acao/a/b", "x", "acao/a.b"} {
		schemaOK := re.MatchString(in)
		loaderOK := validID(in, "acao") == ""
		if schemaOK != loaderOK {
			t.Errorf("id %q: schema pattern says %v, loader says %v", in, schemaOK, loaderOK)
		}
	}
}
