package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crosscheck-dev/crosscheck/browser"
)

// needChromium fails in CI (CI=true) and skips loudly elsewhere when no
// Chromium is installed.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := browser.FindChromium(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPING the crosscheck browser tests — %v", err)
	}
}

var browserTestdata = filepath.Join("..", "..", "browser", "testdata")

func TestBrowserFlagErrors(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"browser", "--format", "yaml", "--parallel", "0", "--run", "(", "--engine", "chrome,lynx"}, &out, &errb)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	for _, want := range []string{"--format", "--parallel", "--run", `--engine: "lynx"`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr does not name %s (all problems at once):\n%s", want, errb.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out.String())
	}
}

func TestBrowserMissingFile(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"browser", "--cases", filepath.Join(t.TempDir(), "nope.json")}, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "nope.json") {
		t.Errorf("exit %d, stderr %q; want %d naming the file", code, errb.String(), exitError)
	}
}

func TestBrowserNoChromium(t *testing.T) {
	t.Setenv(browser.ChromiumEnv, filepath.Join(t.TempDir(), "no-chromium"))
	var out, errb bytes.Buffer
	code := dispatch([]string{"browser", "--engine", "chrome", "--cases", filepath.Join(browserTestdata, "wrong.json")}, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "apt-get install") {
		t.Errorf("exit %d, stderr %q; want %d with install advice", code, errb.String(), exitError)
	}
}

func TestBrowserWrongExpectations(t *testing.T) {
	needChromium(t)
	var out, errb bytes.Buffer
	code := dispatch([]string{"browser", "--engine", "chrome", "--cases", filepath.Join(browserTestdata, "wrong.json")}, &out, &errb)
	if code != exitFindings {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFindings, errb.String())
	}
	for _, id := range []string{"wrong/no-acao-said-allowed", "wrong/star-said-blocked"} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("output does not name %s:\n%s", id, out.String())
		}
	}
}

// TestBrowserPlantedFields: a case whose expect.preflight, exposed headers
// or sent preflight header is wrong but whose outcome is right makes the
// command exit 1 and name the field.
func TestBrowserPlantedFields(t *testing.T) {
	needChromium(t)
	var out, errb bytes.Buffer
	code := dispatch([]string{"browser", "--engine", "chrome", "--cases", filepath.Join(browserTestdata, "planted.json"),
		"--run", "^planted/(preflight|exposed-headers|sent-acrh)$"}, &out, &errb)
	if code != exitFindings {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitFindings, errb.String())
	}
	for _, want := range []string{
		"planted/preflight (", "differs on: preflight\n",
		"planted/exposed-headers (", "differs on: exposedHeaders\n",
		"planted/sent-acrh (", "differs on: sent\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// The diff shows the header the server received against the record's.
	var minus, plus bool
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[1] == "ACRH:" {
			minus = minus || f[0] == "-" && f[2] == `"x-other",`
			plus = plus || f[0] == "+" && f[2] == `"x-test",`
		}
	}
	if !minus || !plus {
		t.Errorf("output does not show ACRH x-other (-) against x-test (+):\n%s", out.String())
	}
}

func TestBrowserUserFileJSON(t *testing.T) {
	needChromium(t)
	var out, errb bytes.Buffer
	// wrong.json's cases state only the outcome, like files users bring.
	code := dispatch([]string{"browser", "--engine", "chrome", "--cases", filepath.Join(browserTestdata, "wrong.json"),
		"--cases", filepath.Join(browserTestdata, "fixtures.json"), "--run", "^(right|fixture)/", "--format", "json"}, &out, &errb)
	if code != exitOK {
		t.Errorf("exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, exitOK, errb.String(), out.String())
	}
	type sent struct {
		Preflight bool   `json:"preflight"`
		Method    string `json:"method"`
		URL       string `json:"url"`
		ACRH      string `json:"acrh"`
	}
	type result struct {
		Outcome string `json:"outcome"`
		Sent    []sent `json:"sent"`
	}
	var rep struct {
		Runs []struct {
			Engine  string `json:"engine"`
			Version string `json:"version"`
			Product string `json:"product"`
			Agree   int    `json:"agree"`
			Results []struct {
				ID            string  `json:"id"`
				BrowserAgrees bool    `json:"browserAgrees"`
				ModelAgrees   bool    `json:"modelAgrees"`
				Expect        *result `json:"expect"`
				Model         *result `json:"model"`
				Browser       *result `json:"browser"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("JSON output: %v", err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Engine != "chrome" || !strings.Contains(rep.Runs[0].Product, rep.Runs[0].Version) || rep.Runs[0].Version == "" {
		t.Fatalf("runs = %+v, want one chrome run with its version", rep.Runs)
	}
	run := rep.Runs[0]
	if len(run.Results) < 20 || run.Agree != len(run.Results) {
		t.Errorf("%d results, %d agree; want every selected case, all agreeing", len(run.Results), run.Agree)
	}
	for _, r := range run.Results {
		if strings.HasPrefix(r.ID, "wrong/") {
			t.Errorf("--run selected %s", r.ID)
		}
		if !r.BrowserAgrees || !r.ModelAgrees || r.Browser == nil || r.Model == nil || r.Expect == nil {
			t.Errorf("%s: browserAgrees %v modelAgrees %v, browser %+v", r.ID, r.BrowserAgrees, r.ModelAgrees, r.Browser)
			continue
		}
		if r.ID == "fixture/put-allowed" {
			want := []sent{{Preflight: true, Method: "OPTIONS", URL: "https://api.example/data"}, {Method: "PUT", URL: "https://api.example/data"}}
			for _, got := range [][]sent{r.Model.Sent, r.Browser.Sent} {
				if len(got) != 2 || got[0].Preflight != want[0].Preflight || got[0].Method != want[0].Method || got[1].Method != want[1].Method || got[0].URL != want[0].URL {
					t.Errorf("%s: sent %+v, want a preflight then the PUT, in both the model's and the browser's", r.ID, got)
				}
			}
		}
	}
}

// TestBrowserInterrupt runs the CLI as a subprocess, sends SIGINT once
// Chromium runs, and checks that no Chrome process and no temporary profile
// is left.
func TestBrowserInterrupt(t *testing.T) {
	needChromium(t)
	dir, err := os.MkdirTemp("", "cci") // short: Chrome's socket path must fit 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "crosscheck")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "browser", "--engine", "chrome") // the whole table: long enough to interrupt
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(chromeUsing(tmp)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no Chromium process appeared; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // let the run get under way
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Errorf("after SIGINT: %v, want exit %d; stderr:\n%s", err, exitError, stderr.String())
	}
	if procs := chromeUsing(tmp); len(procs) > 0 {
		t.Errorf("processes left after SIGINT: %v", procs)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("left in TMPDIR after SIGINT: %v", left)
	}
}

// chromeUsing lists live processes whose command line mentions dir.
func chromeUsing(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(dir)) && !bytes.Contains(cmd, []byte("crosscheck\x00browser")) {
			pids = append(pids, pid)
		}
	}
	return pids
}
