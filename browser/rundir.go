package browser

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// What every engine's launcher shares: finding a browser binary, the
// run's private directory, and killing what a run leaves running.

// findBrowser returns the path of a browser binary: $env when set (it
// must exist), else the first of candidates found. The error wraps errNo
// and ends with hint, which says how to install the browser.
func findBrowser(env string, candidates []string, errNo error, hint string) (string, error) {
	if p := os.Getenv(env); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v; %s", errNo, env, p, err, hint)
		}
		return found, nil
	}
	for _, c := range candidates {
		if found, err := exec.LookPath(c); err == nil {
			return found, nil
		}
	}
	return "", fmt.Errorf("%w (looked for %s); %s", errNo, strings.Join(candidates, ", "), hint)
}

// launchEnv is the environment of a process a run starts: this
// process's, without the variables the run sets and those drop names (what
// of the user's session must not reach the browser), followed by set
// ("NAME=value" each).
func launchEnv(drop func(name string) bool, set ...string) []string {
	ours := map[string]bool{}
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		ours[name] = true
	}
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !ours[name] && !drop(name) {
			env = append(env, kv)
		}
	}
	return append(env, set...)
}

// newRunDir makes a run's private directory under the system temp
// directory, <prefix><pid>-<random>, with the subdirectories subdirs, once
// sweepStaleRunDirs(prefix) has removed those of dead runs. On error
// nothing of it is left.
func newRunDir(prefix string, subdirs ...string) (string, error) {
	sweepStaleRunDirs(prefix)
	dir, err := os.MkdirTemp("", prefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", fmt.Errorf("run directory: %w", err)
	}
	for _, d := range subdirs {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("run directory: %w", err)
		}
	}
	return dir, nil
}

// sweepStaleRunDirs removes the run directories named prefix<pid>-… whose
// process no longer exists (killed with SIGKILL, so no cleanup ran), each
// once killLeftovers has killed what of its run may still be running.
func sweepStaleRunDirs(prefix string) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), prefix)
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		killLeftovers(m)
		os.RemoveAll(m)
	}
}

// killAll SIGKILLs every process list returns, looking again until a few
// passes in a row find none (2 s at most).
func killAll(list func() []int) {
	deadline := time.Now().Add(2 * time.Second)
	for quiet := 0; quiet < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		n := 0
		for _, pid := range list() {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				n++
			}
		}
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
}

// killLeftovers kills what a dead run whose directory was dir left
// running, whichever engine it was: the processes whose command line names
// the directory (Chrome passes its profile, under it, to every process it
// starts; Firefox and its crash helper name theirs) and those whose
// environment carries its run marker (WebKit's: Xvfb, MiniBrowser and its
// helpers, WebKitWebDriver name no file of the run).
func killLeftovers(dir string) {
	killNaming(dir)
	killMarked(dir)
}

// killNaming SIGKILLs every process whose command line contains s (see
// killAll).
func killNaming(s string) { killAll(func() []int { return processesNaming(s) }) }

// processesNaming lists the live processes whose command line contains s.
func processesNaming(s string) []int {
	return processesMatching(func(cmd []byte) bool { return bytes.Contains(cmd, []byte(s)) })
}

// runEnvMarker is set in the environment of every process a WebKit run
// starts, to the run's directory: its close and the sweep of stale runs
// find stragglers by it.
const runEnvMarker = "CROSSCHECK_RUN_DIR"

// markedProcesses lists the live processes whose environment carries the
// run marker for dir.
func markedProcesses(dir string) []int {
	want := []byte(runEnvMarker + "=" + dir + "\x00")
	return processesWithEnv(func(env []byte) bool { return bytes.Contains(append(env, 0), want) })
}

// killMarked SIGKILLs every process carrying the marker for dir (see
// killAll).
func killMarked(dir string) { killAll(func() []int { return markedProcesses(dir) }) }

// processesMatching lists the live (not zombie) processes whose command
// line satisfies match. It finds nothing where /proc does not exist.
func processesMatching(match func(cmdline []byte) bool) []int {
	return processesWhere("cmdline", func(_ string, cmd []byte) bool { return len(cmd) > 0 && match(cmd) })
}

// processesWithEnv lists the live (not zombie) processes whose
// environment (the NUL-separated /proc/<pid>/environ) satisfies match.
func processesWithEnv(match func(environ []byte) bool) []int {
	return processesWhere("environ", func(pid string, env []byte) bool {
		if !match(env) {
			return false
		}
		st, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		return err != nil || !isZombie(st)
	})
}

// processesWhere lists the processes, this one aside, whose file
// /proc/<pid>/<file> can be read and satisfies match. It finds nothing
// where /proc does not exist.
func processesWhere(file string, match func(pid string, content []byte) bool) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), file))
		if err != nil || !match(e.Name(), b) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// isZombie reads the state field of a /proc/<pid>/stat line.
func isZombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// removeAllRetry removes dir, retrying briefly: a dying browser child can
// still create files in it for a moment.
func removeAllRetry(dir string) {
	for i := 0; i < 20; i++ {
		if err := os.RemoveAll(dir); err == nil {
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// tailBuffer keeps the last max bytes written to it: a browser's output,
// for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

// newTailBuffer keeps the last 8 KiB of a run's output.
func newTailBuffer() *tailBuffer { return &tailBuffer{max: 8 << 10} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[:copy(t.buf, t.buf[len(t.buf)-t.max:])]
	}
	return len(p), nil
}

// tail is what the buffer holds, introduced as who's output and set on a
// line of its own, for the end of an error message; "" when nothing was
// written.
func (t *tailBuffer) tail(who string) string {
	t.mu.Lock()
	s := strings.TrimSpace(string(t.buf))
	t.mu.Unlock()
	if s == "" {
		return ""
	}
	return "\n" + who + " output (tail):\n" + s
}
