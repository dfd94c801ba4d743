package targets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// exitNA is the exit status a target uses for "this library cannot serve
// this policy" (it prints "n/a: <why>" on stderr).
const exitNA = 3

// startTimeout bounds how long a target may take to print its URL.
const startTimeout = 30 * time.Second

// NAError reports that an implementation cannot serve a policy as declared:
// the library has no way to express it, or refuses the configuration.
type NAError struct {
	Impl string
	Why  string
}

// Error says which implementation cannot serve the policy and why.
func (e *NAError) Error() string { return e.Impl + ": n/a: " + e.Why }

// Env is a prepared set of targets: the repository they come from and the
// built Go binaries.
type Env struct {
	root string            // repository root
	bins map[string]string // Go binary: "target" (module go/) or the vuln/ release's name
}

// Dir returns the directory of the targets sources (internal/targets).
func (e *Env) Dir() string { return filepath.Join(e.root, "internal", "targets") }

// PolicyPath returns the path of the policy file policies/NAME.json.
func (e *Env) PolicyPath(name string) string {
	return filepath.Join(e.Dir(), "policies", name+".json")
}

// FindRoot walks up from dir to the crosscheck repository root (the
// directory whose go.mod declares module github.com/crosscheck-dev/crosscheck).
func FindRoot(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding the repository root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && isRootModule(data) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no crosscheck repository (go.mod of github.com/crosscheck-dev/crosscheck) at or above %s", dir)
		}
		d = parent
	}
}

func isRootModule(gomod []byte) bool {
	line, _, _ := bytes.Cut(gomod, []byte("\n"))
	return strings.TrimSpace(string(line)) == "module github.com/crosscheck-dev/crosscheck"
}

// Prepare makes impls ready to start: it builds the Go targets into
// binDir, installs the Node targets' pinned packages with `npm ci` when
// node_modules does not hold them, and checks that Debian's Python has
// FastAPI, Starlette and uvicorn. All problems are reported at once.
//
// A Go target binary is named by a key of its content (see buildKey): a
// binary already in binDir under that key is used as it is, so processes
// that share binDir (DefaultBinDir: the targets tests and the matrix test
// run at the same time under go test, then `crosscheck matrix`) build each
// target once, and one waits while another builds it.
func Prepare(ctx context.Context, root, binDir string, impls []Impl) (*Env, error) {
	e := &Env{root: root, bins: map[string]string{}}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, fmt.Errorf("preparing targets: %w", err)
	}
	need := map[Runtime]bool{}
	var vulns []string
	for _, i := range impls {
		need[i.Runtime] = true
		if i.Runtime == RuntimeGoVuln {
			vulns = append(vulns, i.Name)
		}
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	do := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	// Go builds run one after another: go build already uses every core.
	do(func() error {
		type build struct{ name, dir, pkg string }
		var builds []build
		if need[RuntimeGo] {
			builds = append(builds, build{"target", filepath.Join(e.Dir(), "go"), "./cmd/target"})
		}
		for _, v := range vulns {
			builds = append(builds, build{v, filepath.Join(e.Dir(), "vuln", v), "."})
		}
		var errs []error
		// Only this goroutine writes e.bins; Start reads it after Wait.
		for _, b := range builds {
			bin, err := cachedBuild(ctx, binDir, b.name, b.dir, b.pkg)
			errs = append(errs, err)
			e.bins[b.name] = bin
		}
		return errors.Join(errs...)
	})
	if need[RuntimeNode] {
		do(func() error { return e.prepareNode(ctx) })
	}
	if need[RuntimePython] {
		do(func() error { return checkPython(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return e, nil
}

// DefaultBinDir is the directory where Prepare's callers keep the built
// targets between runs: crosscheck/targets in the user's cache directory
// (the temporary directory when there is none).
func DefaultBinDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "crosscheck", "targets")
}

// keepUnused is how long a cached binary that no Prepare has used stays in
// binDir before a build of the same target removes it.
const keepUnused = 7 * 24 * time.Hour

// cachedBuild returns binDir/STEM-KEY, building package pkg of the module
// in dir there first unless it exists. The build holds STEM's lock, so a
// concurrent caller waits for it and then finds the binary.
func cachedBuild(ctx context.Context, binDir, stem, dir, pkg string) (string, error) {
	key, err := buildKey(ctx, dir, pkg)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, stem+"-"+key)
	if use(bin) {
		return bin, nil
	}
	unlock, err := lockFile(filepath.Join(binDir, stem+".lock"))
	if err != nil {
		return "", fmt.Errorf("building %s: %w", dir, err)
	}
	defer unlock()
	if use(bin) { // built by another process while this one waited
		return bin, nil
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("building %s: %w\n%s", dir, err, b)
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", fmt.Errorf("building %s: %w", dir, err)
	}
	pruneUnused(binDir, stem, bin)
	return bin, nil
}

// use reports whether bin exists, and marks it used.
func use(bin string) bool {
	now := time.Now()
	return os.Chtimes(bin, now, now) == nil
}

// pruneUnused removes STEM-* binaries other than keep that have not been
// used for keepUnused.
func pruneUnused(binDir, stem, keep string) {
	old, _ := filepath.Glob(filepath.Join(binDir, stem+"-*"))
	for _, f := range old {
		if fi, err := os.Stat(f); err == nil && f != keep && time.Since(fi.ModTime()) > keepUnused {
			os.Remove(f)
		}
	}
}

// buildKey is a hash of everything the binary of package pkg (in the module
// at dir) is built from: the go command's version and target settings, the
// module path and version of every dependency from the module cache, and
// the source files go list names for every package built from a directory
// on disk (this module and its local replacements, such as serve/). Tests,
// documentation and stray files (a binary left by go build) do not change
// it.
func buildKey(ctx context.Context, dir, pkg string) (string, error) {
	run := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, stderr.Bytes())
		}
		return out, nil
	}
	env, err := run("env", "GOVERSION", "GOOS", "GOARCH", "GOAMD64", "GOARM64", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT")
	if err != nil {
		return "", err
	}
	const format = "{{if not .Standard}}{{.ImportPath}}\t{{.Dir}}\t" +
		"{{with .Module}}{{.Path}}@{{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}{{end}}\t" +
		"{{join .GoFiles \",\"}},{{join .CgoFiles \",\"}},{{join .EmbedFiles \",\"}},{{join .SFiles \",\"}}," +
		"{{join .CFiles \",\"}},{{join .CXXFiles \",\"}},{{join .HFiles \",\"}},{{join .SysoFiles \",\"}}{{end}}"
	deps, err := run("list", "-deps", "-f", format, pkg)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(env)
	for line := range strings.SplitSeq(string(deps), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) != 4 {
			continue
		}
		path, pkgDir, mod, files := fields[0], fields[1], fields[2], fields[3]
		fmt.Fprintf(h, "%s %s\n", path, mod)
		if strings.HasSuffix(mod, "@") { // built from files on disk
			if err := hashFiles(h, pkgDir, strings.Split(files, ",")); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

// hashFiles writes the names and contents of a package's source files
// (those go list says the build uses) to h.
func hashFiles(h io.Writer, dir string, names []string) error {
	for _, name := range names {
		if name == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("hashing %s: %w", dir, err)
		}
		fmt.Fprintf(h, "%s %d\n", name, len(b))
		h.Write(b)
	}
	return nil
}

func (e *Env) prepareNode(ctx context.Context) error {
	dir := filepath.Join(e.Dir(), "node")
	if err := checkNodeModules(dir); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing the Node targets (npm ci in %s): %w\n%s", dir, err, b)
	}
	return checkNodeModules(dir)
}

// NodePins returns the dependencies package.json pins in the Node targets'
// directory dir (name to exact version).
func NodePins(dir string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "package.json"), err)
	}
	return pkg.Dependencies, nil
}

// checkNodeModules reports whether node_modules holds every pinned
// dependency at its pinned version.
func checkNodeModules(dir string) error {
	pins, err := NodePins(dir)
	if err != nil {
		return err
	}
	var errs []error
	for name, want := range pins {
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json"))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s is not installed", name))
			continue
		}
		var got struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &got) != nil || got.Version != want {
			errs = append(errs, fmt.Errorf("%s %s is installed, package.json pins %s", name, got.Version, want))
		}
	}
	return errors.Join(errs...)
}

// pythonBin is Debian's interpreter: it sees the python3-* apt packages,
// which a pyenv or venv python3 earlier on PATH would not.
const pythonBin = "/usr/bin/python3"

func checkPython(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, pythonBin, "-c", "import fastapi, starlette, uvicorn")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the Python target needs Debian's python3-fastapi, python3-starlette and python3-uvicorn (run scripts/install-deps.sh): %w\n%s", err, b)
	}
	return nil
}

// Target is a running target.
type Target struct {
	// URL is the target's base URL, http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts impl serving the policy file policyPath. configOrigins, when
// not empty, replaces the policy's origins in the library's configuration
// (Go and Node targets): the regression corpus uses it to reproduce an
// advisory's configuration while certifying against the intended policy.
// An *NAError means the implementation cannot serve the policy.
func (e *Env) Start(ctx context.Context, impl Impl, policyPath string, configOrigins []string) (*Target, error) {
	var cmd *exec.Cmd
	switch impl.Runtime {
	case RuntimeGo, RuntimeGoVuln:
		bin, args := e.bins["target"], []string{"-impl", impl.Name}
		if impl.Runtime == RuntimeGoVuln {
			bin, args = e.bins[impl.Name], nil
		}
		if bin == "" {
			return nil, fmt.Errorf("%s: not prepared (pass it to Prepare)", impl.Name)
		}
		args = append(args, "-policy", policyPath, "-addr", "127.0.0.1:0")
		if len(configOrigins) > 0 {
			args = append(args, "-config-origins", strings.Join(configOrigins, ","))
		}
		cmd = exec.Command(bin, args...)
	case RuntimeNode:
		cmd = exec.Command("node", filepath.Join(e.Dir(), "node", "server.js"), impl.Name, policyPath)
		if len(configOrigins) > 0 {
			cmd.Args = append(cmd.Args, strings.Join(configOrigins, ","))
		}
	case RuntimePython:
		cmd = exec.Command(pythonBin, filepath.Join(e.Dir(), "python", "server.py"), policyPath)
	default:
		return nil, fmt.Errorf("%s: unknown runtime %q", impl.Name, impl.Runtime)
	}
	if len(configOrigins) > 0 && impl.Runtime == RuntimePython {
		return nil, fmt.Errorf("%s: configOrigins is supported by the Go and Node targets only", impl.Name)
	}
	lines := make(chan string, 1)
	cmd.Stdout = &firstLine{ch: lines}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", impl.Name, err)
	}
	t := &Target{cmd: cmd, done: make(chan struct{})}
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(t.done) }()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case line := <-lines:
		if strings.HasPrefix(line, "http://127.0.0.1:") {
			t.URL = line
			return t, nil
		}
		t.Stop()
		return nil, fmt.Errorf("%s: printed %q instead of its URL; stderr: %s", impl.Name, line, stderr.String())
	case <-t.done:
		return nil, exitError(impl.Name, waitErr, stderr.String())
	case <-timer.C:
		t.Stop()
		return nil, fmt.Errorf("%s: did not print its URL within %v; stderr: %s", impl.Name, startTimeout, stderr.String())
	case <-ctx.Done():
		t.Stop()
		return nil, ctx.Err()
	}
}

// firstLine hands the first line written to it to ch and discards the rest.
type firstLine struct {
	ch   chan<- string
	buf  []byte
	sent bool
}

func (w *firstLine) Write(p []byte) (int, error) {
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.ch <- strings.TrimSpace(string(w.buf[:i]))
		w.sent, w.buf = true, nil
	} else if len(w.buf) > 4096 {
		w.ch <- strings.TrimSpace(string(w.buf))
		w.sent, w.buf = true, nil
	}
	return len(p), nil
}

func exitError(name string, err error, stderr string) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == exitNA {
		why := strings.TrimSpace(stderr)
		why = strings.TrimPrefix(why, "n/a: ")
		return &NAError{Impl: name, Why: why}
	}
	return fmt.Errorf("%s exited before serving (%v): %s", name, err, strings.TrimSpace(stderr))
}

// Stop kills the target and waits for it to exit.
func (t *Target) Stop() {
	if t.cmd.Process != nil {
		t.cmd.Process.Kill()
	}
	<-t.done
}

// lockedBuffer is a bytes.Buffer safe for the process's stderr copier and
// a reader, capped at 64 KiB.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 64<<10 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
