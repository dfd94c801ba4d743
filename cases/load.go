package cases

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

//go:embed data/*.json
var data embed.FS

// embeddedDir is the directory the embedded files are named under in
// errors and in Case.File: their path in the repository.
const embeddedDir = "cases/data/"

// Table is a set of loaded case files.
type Table struct {
	// Files are the files in the order loaded (the embedded table: sorted
	// by name).
	Files []*File
	// Cases are every file's cases, in file order then document order.
	// Each file's Cases is the part of it that holds the file's cases.
	Cases []Case
}

// ByID returns the case with the given id.
func (t *Table) ByID(id string) (Case, bool) {
	if id == "" {
		return Case{}, false
	}
	for _, c := range t.Cases {
		if c.ID == id {
			return c, true
		}
	}
	return Case{}, false
}

// embeddedInputs reads the embedded files once. Strings are immutable, so
// sharing them between calls shares no mutable state; every Embedded call
// builds its own Table from them.
var embeddedInputs = sync.OnceValues(func() ([]input, error) {
	entries, err := fs.ReadDir(data, "data")
	if err != nil {
		return nil, fmt.Errorf("cases: reading the embedded table: %w", err)
	}
	var inputs []input
	for _, e := range entries {
		b, err := data.ReadFile("data/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("cases: reading the embedded table: %w", err)
		}
		inputs = append(inputs, input{embeddedDir + e.Name(), string(b)})
	}
	sort.Slice(inputs, func(i, j int) bool { return inputs[i].name < inputs[j].name })
	return inputs, nil
})

// Embedded loads and validates crosscheck's own table, the files under
// cases/data/ built into the binary, in strict mode (see Parse). Each call
// returns a fresh Table the caller may keep and modify.
func Embedded() (*Table, error) {
	inputs, err := embeddedInputs()
	if err != nil {
		return nil, err
	}
	t, errs := build(inputs, true)
	if len(errs) > 0 {
		return nil, errs
	}
	return t, nil
}

// LoadFiles loads case files users bring, in lenient mode: in expect only
// outcome is required and the other fields are compared only when present
// (see Parse). Every problem in every file is reported in one Errors value,
// including ids used twice across files; a file that cannot be read is
// reported there too, wrapping the read error.
func LoadFiles(paths ...string) (*Table, error) {
	var inputs []input
	var errs Errors
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, &FieldError{File: p, Msg: "cannot read: " + err.Error(), Err: err})
			continue
		}
		inputs = append(inputs, input{p, string(b)})
	}
	t, berrs := build(inputs, false)
	errs = append(errs, berrs...)
	if len(errs) > 0 {
		return nil, errs
	}
	return t, nil
}

// Parse parses and validates one case file. name is used in errors and in
// Case.File. In strict mode (crosscheck's own table) every case also needs
// an id "<file stem>/<slug>", a title, a spec link, tags whose first is a
// catalog group id, the request's method and credentials mode, and in
// expect preflight plus blockedAt and reason (blocked) or exposedHeaders
// (allowed). In lenient mode (files users bring) a case needs only
// request.origin, request.url, response.status and expect.outcome; ids,
// when given, must still be unique.
//
// The error, when not nil, is an Errors value listing every problem found;
// the File is then nil. Parse never panics, whatever data holds.
func Parse(name string, data []byte, strict bool) (*File, error) {
	f, errs := parse(name, string(data), strict, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	return f, nil
}

// ParseExchange parses one exchange to explain: a single case object in the
// table's format (request, preflight, redirects, response) in which, unlike
// in case files, expect may be left out; id, title and the other fields are
// optional. Problems are reported as by Parse, every one at once, each
// naming name and the field. It never panics.
func ParseExchange(name string, data []byte) (Case, error) {
	c := &checker{file: name, data: string(data), exchange: true}
	t, serr := parseJSON(c.data)
	if serr != nil {
		c.errorf(int32(serr.off), "", "invalid JSON: %s (column %d)", serr.msg, column(c.data, serr.off))
		return Case{}, c.errs
	}
	c.t = t
	cs, ok := c.caseAt(&t.root, 0)
	t.release()
	c.uniqueIDs(map[string]idUse{})
	if !ok || len(c.errs) > 0 {
		return Case{}, c.errs
	}
	return cs, nil
}

type input struct {
	name string
	data string
}

// parse parses and checks one file. seen holds the ids of files parsed
// before (nil for none); parse adds the file's ids to it.
func parse(name, data string, strict bool, seen map[string]idUse) (*File, Errors) {
	if seen == nil {
		seen = map[string]idUse{}
	}
	c, f := check(name, data, strict)
	c.uniqueIDs(seen)
	return f, c.errs
}

// check parses and checks one file, all but the uniqueness of its ids
// (which depends on the files before it: see checker.uniqueIDs). The File
// is nil when the file is not JSON.
func check(name, data string, strict bool) (*checker, *File) {
	c, t := parseFile(name, data, strict)
	if t == nil {
		return c, nil
	}
	return c, checkTree(c, t, nil)
}

// parseFile parses one file; the tree is nil (and the checker holds the
// error) when it is not JSON.
func parseFile(name, data string, strict bool) (*checker, *tree) {
	c := &checker{file: name, data: data, strict: strict}
	t, serr := parseJSON(data)
	if serr != nil {
		c.errorf(int32(serr.off), "", "invalid JSON: %s (column %d)", serr.msg, column(data, serr.off))
		return c, nil
	}
	return c, t
}

// checkTree checks a parsed file, appending its cases to into (which has
// room for them) when into is not nil, and releases the tree.
func checkTree(c *checker, t *tree, into []Case) *File {
	c.t, c.cases = t, into
	f := c.checkFile()
	c.t = nil
	t.release()
	return f
}

// caseObjects counts the objects of a parsed file's "cases" array: the
// cases it will have when it is valid.
func caseObjects(t *tree) int {
	if t.root.kind != kindObject {
		return 0
	}
	for _, m := range t.children(&t.root) {
		if t.key(&m) == "cases" && m.kind == kindArray {
			n := 0
			for _, item := range t.children(&m) {
				if item.kind == kindObject {
					n++
				}
			}
			return n
		}
	}
	return 0
}

// column returns the 1-based column (in bytes) of offset off.
func column(data string, off int) int {
	col := 1
	for i := off - 1; i >= 0 && i < len(data) && data[i] != '\n'; i-- {
		col++
	}
	return col
}

// build parses and checks every input, several at a time, then checks
// ids across files in file order: the result, errors included, is the same
// as checking the files one after the other. Every file's cases are
// written into one slice, Table.Cases, whose parts are the files' Cases.
func build(inputs []input, strict bool) (*Table, Errors) {
	checkers := make([]*checker, len(inputs))
	trees := make([]*tree, len(inputs))
	files := make([]*File, len(inputs))
	each := func(do func(i int)) {
		workers := min(runtime.GOMAXPROCS(0), len(inputs))
		if workers <= 1 {
			for i := range inputs {
				do(i)
			}
			return
		}
		var wg sync.WaitGroup
		var next atomic.Int64
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(inputs); i = int(next.Add(1) - 1) {
					do(i)
				}
			})
		}
		wg.Wait()
	}
	each(func(i int) { checkers[i], trees[i] = parseFile(inputs[i].name, inputs[i].data, strict) })
	starts := make([]int, len(inputs)+1)
	for i, t := range trees {
		starts[i+1] = starts[i]
		if t != nil {
			starts[i+1] += caseObjects(t)
		}
	}
	all := make([]Case, starts[len(inputs)])
	each(func(i int) {
		if t := trees[i]; t != nil {
			files[i] = checkTree(checkers[i], t, all[starts[i]:starts[i]:starts[i+1]])
		}
	})
	t := &Table{}
	var errs Errors
	seen := make(map[string]idUse, len(all))
	for i, c := range checkers {
		c.uniqueIDs(seen)
		errs = append(errs, c.errs...)
		if f := files[i]; f != nil {
			t.Files = append(t.Files, f)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	t.Cases = all
	return t, nil
}

// fileStem returns a file name without directory and extension.
func fileStem(name string) string {
	b := path.Base(name)
	return b[:len(b)-len(path.Ext(b))]
}
