package fuzzbuild

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// target is one native fuzz target: FUNCTION in the package with import
// path Pkg, built from the module in directory ModDir (relative to the
// repository root, "." for the root module).
type target struct {
	ModDir, Pkg, Func string
	Where             string // file:line of the declaration, or of the build.sh line
}

func (t target) key() string { return t.ModDir + " " + t.Pkg + " " + t.Func }

// repoRoot is the directory of the root go.mod, two levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".clusterfuzzlite", "build.sh")); err != nil {
		t.Fatalf("no .clusterfuzzlite/build.sh at the repository root: %v", err)
	}
	return root
}

// fuzzTargets finds every `func FuzzX(f *testing.F)` in a _test.go file
// under root, in every module. Directories go ignores (testdata, names
// starting with . or _) and node_modules are skipped.
func fuzzTargets(root string) ([]target, error) {
	var out []target
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		testing := "testing"
		for _, imp := range f.Imports {
			if imp.Path.Value == `"testing"` && imp.Name != nil {
				testing = imp.Name.Name
			}
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !isFuzzName(fn.Name.Name) || !takesF(fn, testing) {
				continue
			}
			modDir, pkg, err := importPath(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			out = append(out, target{ModDir: modDir, Pkg: pkg, Func: fn.Name.Name,
				Where: fmt.Sprintf("%s:%d", filepath.ToSlash(rel), fset.Position(fn.Pos()).Line)})
		}
		return nil
	})
	return out, err
}

// isFuzzName reports whether go test treats name as a fuzz target name:
// "Fuzz" followed by nothing or by a character that is not a lowercase
// letter.
func isFuzzName(name string) bool {
	rest, ok := strings.CutPrefix(name, "Fuzz")
	return ok && (rest == "" || !('a' <= rest[0] && rest[0] <= 'z'))
}

// takesF reports whether fn has the one parameter *testing.F.
func takesF(fn *ast.FuncDecl, testing string) bool {
	ps := fn.Type.Params.List
	if len(ps) != 1 || len(ps[0].Names) > 1 {
		return false
	}
	star, ok := ps[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == testing && sel.Sel.Name == "F"
}

// importPath returns the directory (relative to root) of the module that
// holds dir and dir's import path.
func importPath(root, dir string) (modDir, pkg string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(data)
			if m == nil {
				return "", "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			modDir, _ = filepath.Rel(root, d)
			sub, _ := filepath.Rel(d, dir)
			pkg = string(m[1])
			if sub != "." {
				pkg += "/" + filepath.ToSlash(sub)
			}
			return filepath.ToSlash(modDir), pkg, nil
		}
		if d == root || d == filepath.Dir(d) {
			return "", "", fmt.Errorf("%s is in no module", dir)
		}
	}
}

var (
	// buildLine is a call of build.sh's build function: module directory,
	// package import path, function.
	buildLine = regexp.MustCompile(`^build\s+(\S+)\s+(\S+)\s+(\S+)\s*$`)
	// assignment is a plain shell variable assignment, for expanding $mod.
	assignment = regexp.MustCompile(`^([a-z_]+)=([^$()'"\s]+)$`)
)

// scriptTargets parses the build lines of a build.sh. Lines that call
// compile_native_go_fuzzer directly, outside the build function, are
// returned as problems: they skip build's checks.
func scriptTargets(name string, data []byte) (ts []target, probs []string) {
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	inFunc := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasSuffix(line, "() {"):
			inFunc = true
		case line == "}":
			inFunc = false
		case inFunc || line == "" || strings.HasPrefix(line, "#"):
		case assignment.MatchString(line):
			m := assignment.FindStringSubmatch(line)
			vars[m[1]] = m[2]
		case buildLine.MatchString(line):
			m := buildLine.FindStringSubmatch(line)
			expand := func(s string) string {
				return os.Expand(s, func(v string) string { return vars[v] })
			}
			ts = append(ts, target{ModDir: strings.TrimSuffix(expand(m[1]), "/"), Pkg: expand(m[2]), Func: m[3],
				Where: fmt.Sprintf("%s:%d", name, n)})
		case strings.Contains(line, "compile_native_go_fuzzer") || strings.Contains(line, "compile_go_fuzzer"):
			probs = append(probs, fmt.Sprintf("%s:%d: calls the compile script directly; use build MODULE_DIR PACKAGE FUNCTION", name, n))
		}
	}
	return ts, probs
}

// compare lists what is wrong between the targets in the source and the
// ones a script builds.
func compare(source, script []target) []string {
	var probs []string
	built := map[string]target{}
	names := map[string]target{}
	for _, t := range script {
		if prev, ok := names[t.Func]; ok {
			probs = append(probs, fmt.Sprintf("%s: builds a second $OUT/%s (first at %s): fuzzer binaries are named after the function and would overwrite each other", t.Where, t.Func, prev.Where))
		}
		names[t.Func] = t
		built[t.key()] = t
	}
	exists := map[string]bool{}
	for _, t := range source {
		exists[t.key()] = true
		if _, ok := built[t.key()]; !ok {
			probs = append(probs, fmt.Sprintf("%s: %s (package %s, module %s) is not built by .clusterfuzzlite/build.sh: add `build %s %s %s`",
				t.Where, t.Func, t.Pkg, t.ModDir, t.ModDir, t.Pkg, t.Func))
		}
	}
	for _, t := range script {
		if !exists[t.key()] {
			probs = append(probs, fmt.Sprintf("%s: builds %s of package %s in module %s, which has no such fuzz target", t.Where, t.Func, t.Pkg, t.ModDir))
		}
	}
	slices.Sort(probs)
	return probs
}

// TestClusterFuzzLiteBuildsEveryTarget is the check: every fuzz target of
// every module is built, and nothing else.
func TestClusterFuzzLiteBuildsEveryTarget(t *testing.T) {
	root := repoRoot(t)
	source, err := fuzzTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(source) == 0 {
		t.Fatal("found no fuzz targets at all: the search is broken")
	}
	data, err := os.ReadFile(filepath.Join(root, ".clusterfuzzlite", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script, probs := scriptTargets(".clusterfuzzlite/build.sh", data)
	probs = append(probs, compare(source, script)...)
	for _, p := range probs {
		t.Error(p)
	}
	t.Logf("%d fuzz targets in %d build lines", len(source), len(script))
}

// TestSearchFindsEveryModule pins what the search must find, so that a
// broken walk (skipping a module) cannot pass the check above by finding
// nothing to compare: targets in the root module's fuzz/, fuzz/loaders/ and
// cases/, and the differential targets of the separate module
// internal/targets/go.
func TestSearchFindsEveryModule(t *testing.T) {
	source, err := fuzzTargets(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, s := range source {
		found[s.ModDir+" "+s.Pkg+" "+s.Func] = true
	}
	for _, want := range []string{
		". github.com/crosscheck-dev/crosscheck/fuzz FuzzOrigin",
		". github.com/crosscheck-dev/crosscheck/fuzz FuzzOriginNetURL",
		". github.com/crosscheck-dev/crosscheck/fuzz/loaders FuzzParsePolicy",
		". github.com/crosscheck-dev/crosscheck/cases FuzzParse",
		"internal/targets/go github.com/crosscheck-dev/crosscheck/internal/targets/go/cmd/target FuzzRSCors",
	} {
		if !found[want] {
			t.Errorf("the search did not find %q", want)
		}
	}
}

// TestCheckCatchesMistakes runs the check on scripts with a missing, an
// extra, a misplaced and a duplicated target against a small tree.
func TestCheckCatchesMistakes(t *testing.T) {
	source, err := fuzzTargets(filepath.Join("testdata", "repo"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, script string
		want         []string
	}{
		{"complete", "mod=example.com/m\nbuild . $mod/p FuzzA\nbuild . $mod/p FuzzAB\nbuild sub example.com/sub FuzzC\n", nil},
		{"missing and extra", "mod=example.com/m\nbuild . $mod/p FuzzA\nbuild . $mod/p FuzzZ\nbuild sub example.com/sub FuzzC\n", []string{
			"build.sh:3: builds FuzzZ of package example.com/m/p in module ., which has no such fuzz target",
			"p/p_test.go:10: FuzzAB (package example.com/m/p, module .) is not built by .clusterfuzzlite/build.sh: add `build . example.com/m/p FuzzAB`",
		}},
		{"wrong module", "build . example.com/m/p FuzzA\nbuild . example.com/m/p FuzzAB\nbuild . example.com/sub FuzzC\n", []string{
			"build.sh:3: builds FuzzC of package example.com/sub in module ., which has no such fuzz target",
			"sub/c_test.go:5: FuzzC (package example.com/sub, module sub) is not built by .clusterfuzzlite/build.sh: add `build sub example.com/sub FuzzC`",
		}},
		{"direct call and duplicate", "build . example.com/m/p FuzzA\nbuild . example.com/m/p FuzzA\ncompile_native_go_fuzzer example.com/m/p FuzzAB FuzzAB\nbuild sub example.com/sub FuzzC\n", []string{
			"build.sh:2: builds a second $OUT/FuzzA (first at build.sh:1): fuzzer binaries are named after the function and would overwrite each other",
			"build.sh:3: calls the compile script directly; use build MODULE_DIR PACKAGE FUNCTION",
			"p/p_test.go:10: FuzzAB (package example.com/m/p, module .) is not built by .clusterfuzzlite/build.sh: add `build . example.com/m/p FuzzAB`",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script, probs := scriptTargets("build.sh", []byte(tt.script))
			probs = append(probs, compare(source, script)...)
			slices.Sort(probs)
			if diff := cmp.Diff(tt.want, probs); diff != "" {
				t.Errorf("check mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDifferentialDataPaths pins the two relative paths build.sh rewrites in
// the differential targets (they read policy files and seed origins at run
// time, and a libFuzzer binary runs without the source tree): when they
// change, build.sh must change with them.
func TestDifferentialDataPaths(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "internal", "targets", "go", "cmd", "target", "fuzz_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, expr := range []string{
		`filepath.Join("..", "..", "..", "policies", "*.json")`,
		`filepath.Join("..", "..", "..", "..", "..", "fuzz", "testdata", "fuzz", "FuzzOrigin", "bypass-*")`,
	} {
		if !strings.Contains(string(data), expr) {
			t.Errorf("internal/targets/go/cmd/target/fuzz_test.go no longer contains %s, which .clusterfuzzlite/build.sh rewrites to read from $OUT/crosscheck-data: update build.sh", expr)
		}
	}
}
