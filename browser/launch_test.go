package browser

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 8}
	if got := b.tail("x"); got != "" {
		t.Errorf("tail of nothing = %q, want \"\"", got)
	}
	for _, p := range []string{"  abc", "defgh", "ijk\n"} {
		if n, err := b.Write([]byte(p)); n != len(p) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", p, n, err, len(p))
		}
	}
	// The last 8 bytes, "efghijk\n", trimmed.
	if got, want := b.tail("chromium"), "\nchromium output (tail):\nefghijk"; got != want {
		t.Errorf("tail = %q, want %q", got, want)
	}
	if _, err := b.Write([]byte(strings.Repeat("z", 20))); err != nil {
		t.Fatal(err)
	}
	if got := b.tail("w"); !strings.HasSuffix(got, "\n"+strings.Repeat("z", 8)) || len(b.buf) != 8 {
		t.Errorf("after a write longer than max: tail %q, %d bytes kept; want the last 8", got, len(b.buf))
	}
}

// TestSweepKillsLeftoversOfEveryEngine leaves what a run killed with
// SIGKILL leaves: its directory, named after a dead process, a process
// that names the directory on its command line (Chrome, Firefox) and one
// that only carries the run marker in its environment (WebKit). The next
// run directory's sweep must kill both and remove the directory, and keep
// this process's own.
func TestSweepKillsLeftoversOfEveryEngine(t *testing.T) {
	tmp := shortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, runDirPrefix+strconv.Itoa(dead.Process.Pid)+"-1")
	own := filepath.Join(tmp, runDirPrefix+strconv.Itoa(os.Getpid())+"-2")
	for _, d := range []string{stale, own} {
		if err := os.MkdirAll(filepath.Join(d, "profile"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// tail follows a file of the stale run: its command line names the
	// directory, as a browser's names its profile.
	log := filepath.Join(stale, "profile", "log")
	if err := os.WriteFile(log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	named := exec.Command("tail", "-f", log)
	marked := exec.Command("sleep", "60")
	marked.Env = append(os.Environ(), runEnvMarker+"="+stale)
	exited := map[string]chan error{}
	for name, cmd := range map[string]*exec.Cmd{"named": named, "marked": marked} {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		ch := make(chan error, 1)
		go func() { ch <- cmd.Wait() }()
		exited[name] = ch
	}
	dir, err := newRunDir(runDirPrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for name, ch := range exited {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Errorf("the %s process of the stale run still runs", name)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale run directory remains (%v)", err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("the sweep removed a directory of this process: %v", err)
	}
}

func TestLaunchEnv(t *testing.T) {
	t.Setenv("HOME", "/home/user")
	t.Setenv("DISPLAY", ":0")
	t.Setenv("CROSSCHECK_TEST_KEPT", "yes")
	env := launchEnv(func(name string) bool { return name == "DISPLAY" }, "HOME=/run/home", "LANG=C.UTF-8")
	count := map[string]int{}
	values := map[string]string{}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		count[name]++
		values[name] = value
	}
	for name, n := range count {
		if n > 1 {
			t.Errorf("%s appears %d times", name, n)
		}
	}
	want := map[string]string{"HOME": "/run/home", "LANG": "C.UTF-8", "CROSSCHECK_TEST_KEPT": "yes"}
	for name, v := range want {
		if values[name] != v {
			t.Errorf("%s=%q, want %q", name, values[name], v)
		}
	}
	if _, ok := values["DISPLAY"]; ok {
		t.Error("DISPLAY was inherited, want it dropped")
	}
}
