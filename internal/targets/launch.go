package targets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
// directory holding the built Go binaries.
type Env struct {
	root   string // repository root
	binDir string
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

// Prepare makes impls ready to start: it builds the Go targets into binDir
// (go build reuses its cache, so a rebuild costs a link), installs the Node
// target's pinned packages with `npm ci` when node_modules is missing, and
// checks that Debian's Python has FastAPI, Starlette and uvicorn. All
// problems are reported at once.
func Prepare(ctx context.Context, root, binDir string, impls []Impl) (*Env, error) {
	e := &Env{root: root, binDir: binDir}
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
		var errs []error
		if need[RuntimeGo] {
			errs = append(errs, goBuild(ctx, filepath.Join(e.Dir(), "go"), filepath.Join(binDir, "target"), "./cmd/target"))
		}
		for _, v := range vulns {
			errs = append(errs, goBuild(ctx, filepath.Join(e.Dir(), "vuln", v), filepath.Join(binDir, v), "."))
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

func goBuild(ctx context.Context, dir, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", dir, err, b)
	}
	return nil
}

func (e *Env) prepareNode(ctx context.Context) error {
	dir := filepath.Join(e.Dir(), "node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "cors", "package.json")); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("installing the Node target (npm ci in %s): %w\n%s", dir, err, b)
	}
	return nil
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
// (Go targets only): the regression corpus uses it to reproduce an
// advisory's configuration while certifying against the intended policy.
// An *NAError means the implementation cannot serve the policy.
func (e *Env) Start(ctx context.Context, impl Impl, policyPath string, configOrigins []string) (*Target, error) {
	var cmd *exec.Cmd
	switch impl.Runtime {
	case RuntimeGo, RuntimeGoVuln:
		bin, args := filepath.Join(e.binDir, "target"), []string{"-impl", impl.Name}
		if impl.Runtime == RuntimeGoVuln {
			bin, args = filepath.Join(e.binDir, impl.Name), nil
		}
		args = append(args, "-policy", policyPath, "-addr", "127.0.0.1:0")
		if len(configOrigins) > 0 {
			args = append(args, "-config-origins", strings.Join(configOrigins, ","))
		}
		cmd = exec.Command(bin, args...)
	case RuntimeNode:
		cmd = exec.Command("node", filepath.Join(e.Dir(), "node", "server.js"), policyPath)
	case RuntimePython:
		cmd = exec.Command(pythonBin, filepath.Join(e.Dir(), "python", "server.py"), policyPath)
	default:
		return nil, fmt.Errorf("%s: unknown runtime %q", impl.Name, impl.Runtime)
	}
	if len(configOrigins) > 0 && impl.Runtime != RuntimeGo && impl.Runtime != RuntimeGoVuln {
		return nil, fmt.Errorf("%s: configOrigins is supported by the Go targets only", impl.Name)
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
