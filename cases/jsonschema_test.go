package cases

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiledSchema compiles schema.json with a JSON Schema validator written
// apart from the loader (santhosh-tekuri/jsonschema, draft 2020-12).
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://github.com/crosscheck-dev/crosscheck/blob/main/cases/schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

// TestTableValidatesAgainstSchema checks every file of the embedded table
// against schema.json with an independent validator: the schema describes
// the strict form the table follows, so both must accept it.
func TestTableValidatesAgainstSchema(t *testing.T) {
	sch := compiledSchema(t)
	n := 0
	err := fs.WalkDir(data, "data", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := fs.ReadFile(data, path)
		if err != nil {
			return err
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s does not validate against schema.json:\n%v", path, err)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("validated %d files; the table has more", n)
	}
}

// TestSchemaRejectsBadFiles: the validator, given the schema, refuses the
// loader's own bad fixtures, so the check above can fail.
func TestSchemaRejectsBadFiles(t *testing.T) {
	sch := compiledSchema(t)
	for _, name := range []string{"bad.json", "steps-bad.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			continue // not even JSON: refused
		}
		if sch.Validate(inst) == nil {
			t.Errorf("schema.json accepts testdata/%s, which the loader refuses", name)
		}
	}
}
