package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// chromium returns the browser to test with. Without one the test fails
// in CI (CI=true, which .ci/run sets) and is skipped, loudly, elsewhere.
func chromium(t testing.TB) string {
	t.Helper()
	p, err := FindChromium()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPING the Chrome tests — %v", err)
	}
	return p
}

// verify runs cases in Chromium with a deadline, so a wedged browser fails
// the test instead of hitting go test's timeout, and returns Chrome's run.
func verify(t testing.TB, cs []cases.Case) (*Report, *Run) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Verify(ctx, cs, Options{Engines: []string{"chrome"}, Chromium: chromium(t)})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(rep.Runs) != 1 || rep.Runs[0].Engine != "chrome" {
		t.Fatalf("Verify ran %d engines, want chrome only", len(rep.Runs))
	}
	run := rep.Runs[0]
	if len(run.Results) != len(cs) {
		t.Fatalf("%d results for %d cases", len(run.Results), len(cs))
	}
	if v, err := cases.ParseVersion(run.Version); err != nil || v.Major() < 100 {
		t.Errorf("run version %q (product %q) is not a Chrome version", run.Version, run.Product)
	}
	return rep, run
}

func load(t testing.TB, files ...string) []cases.Case {
	t.Helper()
	tb, err := cases.LoadFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	return tb.Cases
}

// checkAgree fails for every case where the browser or the model disagrees
// with the table or the browser gave no verdict.
func checkAgree(t *testing.T, rep *Report) {
	t.Helper()
	for _, run := range rep.Runs {
		for _, r := range run.Results {
			if r.CouldNotRun != "" {
				t.Errorf("%s %s: %s: could not run: %s", run.Engine, run.Version, r.ID, r.CouldNotRun)
			}
			if r.BrowserDiff != "" {
				words := ""
				if r.Browser != nil {
					words = r.Browser.Words
				}
				t.Errorf("%s %s: %s: browser vs table mismatch on %v (-want +got):\n%s%s said %q; server received %s",
					run.Engine, run.Version, r.ID, r.DiffFields, r.BrowserDiff, run.Engine, words, describeReceived(r.Observed.Received))
			}
			if r.ModelDiff != "" {
				t.Errorf("%s: model vs expect mismatch (-want +got):\n%s", r.ID, r.ModelDiff)
			}
		}
	}
	if len(rep.Strays) > 0 {
		t.Errorf("requests matched no case run: %s", describeReceived(rep.Strays))
	}
}

func TestFixturesInChrome(t *testing.T) {
	rep, _ := verify(t, load(t, filepath.Join("testdata", "fixtures.json")))
	checkAgree(t, rep)
	if got := rep.ExitCode(); got != ExitAgree && !t.Failed() {
		t.Errorf("ExitCode() = %d, want %d", got, ExitAgree)
	}
}

// TestEmbeddedTableInChrome replays crosscheck's whole table in the Chrome
// installed here, whatever its version. A failure here is a finding:
// Chrome differs from the table (browsers.chrome records covering this
// version, over expect) or from the model's requests, on a case no record
// explains (see docs/browser-divergences.md).
func TestEmbeddedTableInChrome(t *testing.T) {
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := verify(t, tb.Cases)
	checkAgree(t, rep)
}

// TestPlantedDisagreements plants one wrong field per case — the outcome,
// the preflight, the stage, the reason, the exposed headers, a header of
// the sent preflight, the number of preflights — each in a case whose
// other fields are right, and checks that the run names exactly that
// field, and only there.
func TestPlantedDisagreements(t *testing.T) {
	rep, run := verify(t, load(t, filepath.Join("testdata", "planted.json")))
	want := map[string][]string{
		"planted/outcome":          {"outcome"},
		"planted/preflight":        {"preflight"},
		"planted/blocked-at":       {"blockedAt"},
		"planted/reason":           {"reason"},
		"planted/exposed-headers":  {"exposedHeaders"},
		"planted/sent-acrh":        {"sent"},
		"planted/sent-origin":      {"sent"},
		"planted/preflight-count":  {"sent"},
		"planted/actual-not-sent":  {"sent"},
		"planted/record-preflight": {"preflight"},
		"right/agrees":             nil,
		"right/record-agrees":      nil,
	}
	for _, r := range run.Results {
		w, ok := want[r.ID]
		if !ok {
			t.Errorf("unexpected case %s", r.ID)
			continue
		}
		delete(want, r.ID)
		if r.CouldNotRun != "" {
			t.Errorf("%s: could not run: %s", r.ID, r.CouldNotRun)
			continue
		}
		if diff := cmp.Diff(w, r.DiffFields); diff != "" {
			t.Errorf("%s: DiffFields mismatch (-want +got):\n%s\nbrowser diff:\n%s", r.ID, diff, r.BrowserDiff)
		}
		if r.BrowserAgrees != (w == nil) {
			t.Errorf("%s: BrowserAgrees = %v, want %v", r.ID, r.BrowserAgrees, w == nil)
		}
		// A field planted in expect is wrong for the model too; one planted
		// in a record is not.
		inExpect := map[string]bool{"planted/outcome": true, "planted/preflight": true, "planted/blocked-at": true, "planted/reason": true, "planted/exposed-headers": true}
		if r.ModelAgrees == inExpect[r.ID] {
			t.Errorf("%s: ModelAgrees = %v, want %v:\n%s", r.ID, r.ModelAgrees, !inExpect[r.ID], r.ModelDiff)
		}
	}
	for id := range want {
		t.Errorf("no result for %s", id)
	}
	if code := rep.ExitCode(); code != ExitDisagree {
		t.Errorf("ExitCode() = %d, want %d", code, ExitDisagree)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"DISAGREE chrome " + run.Version + ": planted/preflight", "differs on: preflight", "differs on: sent", "differs on: blockedAt"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "right/agrees") {
		t.Errorf("text report lists the agreeing case right/agrees:\n%s", out.String())
	}
}

func TestWrongExpectationsDisagree(t *testing.T) {
	rep, run := verify(t, load(t, filepath.Join("testdata", "wrong.json")))
	got := map[string]bool{}
	for _, r := range run.Results {
		got[r.ID] = r.BrowserAgrees
		if r.BrowserAgrees == strings.HasPrefix(r.ID, "wrong/") {
			t.Errorf("%s: BrowserAgrees = %v (diff %q)", r.ID, r.BrowserAgrees, r.BrowserDiff)
		}
	}
	if len(got) != 3 {
		t.Errorf("results for %v, want the 3 cases of wrong.json", got)
	}
	if code := rep.ExitCode(); code != ExitDisagree {
		t.Errorf("ExitCode() = %d, want %d", code, ExitDisagree)
	}
}

func TestVerifyComparesSomething(t *testing.T) {
	chromium(t)
	ctx := context.Background()
	if _, err := Verify(ctx, nil, Options{Engines: []string{"chrome"}}); !errors.Is(err, ErrNothingCompared) {
		t.Errorf("Verify(no cases) error = %v, want ErrNothingCompared", err)
	}
	// A case no browser can run (its origin is not one a page can be
	// served from): the run compares nothing.
	unrunnable := []cases.Case{{ID: "x/file-origin", Request: cases.Request{Origin: "file://", URL: "https://api.example/"},
		Response: cases.Response{Status: 200}, Expect: cases.Expect{Outcome: "blocked"}}}
	if _, err := Verify(ctx, unrunnable, Options{Engines: []string{"chrome"}}); !errors.Is(err, ErrNothingCompared) {
		t.Errorf("Verify(only an unrunnable case) error = %v, want ErrNothingCompared", err)
	}
	if _, err := Verify(ctx, unrunnable, Options{Engines: []string{"netscape"}}); err == nil || !strings.Contains(err.Error(), "unknown engine netscape") {
		t.Errorf("Verify(engine netscape) error = %v, want unknown engine", err)
	}
}

// logTrigger calls fn once, on the first line written to it.
type logTrigger struct {
	once sync.Once
	fn   func()
}

func (l *logTrigger) Write(p []byte) (int, error) {
	l.once.Do(l.fn)
	return len(p), nil
}

// leftovers lists the processes whose command line mentions dir and the
// run directories left in dir.
func leftovers(dir string) (procs []int, dirs []string) {
	procs = processesMatching(func(cmd []byte) bool { return bytes.Contains(cmd, []byte(dir)) })
	m, _ := filepath.Glob(filepath.Join(dir, runDirPrefix+"*"))
	return procs, m
}

func TestCancelMidRunLeavesNothing(t *testing.T) {
	exe := chromium(t)
	tmp := shortTempDir(t)
	t.Setenv("TMPDIR", tmp) // the run directory, Chrome's profile and TMPDIR go here
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := make(chan struct{})
	// Cancel once the browser runs (Verify logs its first line then).
	trig := &logTrigger{fn: func() { close(started) }}
	go func() {
		<-started
		time.Sleep(300 * time.Millisecond) // into the batches
		cancel()
	}()
	_, err = Verify(ctx, tb.Cases, Options{Engines: []string{"chrome"}, Chromium: exe, Log: trig})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify error = %v, want context.Canceled", err)
	}
	select {
	case <-started:
	default:
		t.Fatal("the browser never started")
	}
	if procs, dirs := leftovers(tmp); len(procs) > 0 || len(dirs) > 0 {
		t.Errorf("after cancel: processes %v and run directories %v remain", procs, dirs)
	}
}

// shortTempDir makes a directory in the system temp directory with a
// short name (t.TempDir's long names overflow Chrome's socket path).
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestFindChromiumEnv(t *testing.T) {
	t.Setenv(ChromiumEnv, filepath.Join(t.TempDir(), "no-such-chromium"))
	_, err := FindChromium()
	if !errors.Is(err, ErrNoChromium) || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("FindChromium() error = %v, want ErrNoChromium with install advice", err)
	}
}

// BenchmarkEmbeddedTable replays the whole table per iteration, Chrome's
// start and shutdown included, and reports cases per second, wall time per
// run and the peak proportional set size (PSS) of this process plus every
// Chrome process, sampled from /proc every 20 ms.
func BenchmarkEmbeddedTable(b *testing.B) {
	exe := chromium(b)
	tmp := shortTempDir(b)
	b.Setenv("TMPDIR", tmp)
	tb, err := cases.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	peak := make(chan int)
	go func() {
		max := 0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-tick.C:
				pids := processesMatching(func(cmd []byte) bool { return bytes.Contains(cmd, []byte(tmp)) })
				sum := pssKB(os.Getpid())
				for _, p := range pids {
					sum += pssKB(p)
				}
				if sum > max {
					max = sum
				}
			}
		}
	}()
	start := time.Now()
	runs := 0
	for b.Loop() {
		rep, err := Verify(context.Background(), tb.Cases, Options{Engines: []string{"chrome"}, Chromium: exe})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, cnr := rep.Runs[0].Counts(); cnr > len(tb.Cases)/10 {
			b.Fatalf("%d cases could not run", cnr)
		}
		runs++
	}
	elapsed := time.Since(start)
	close(stop)
	b.ReportMetric(float64(len(tb.Cases)*runs)/elapsed.Seconds(), "cases/s")
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(runs), "ms/run")
	b.ReportMetric(float64(<-peak)/1024, "peak-PSS-MB")
	b.ReportMetric(float64(len(tb.Cases)), "cases")
}

// pssKB reads a process's proportional set size from smaps_rollup (0 when
// it is gone or unreadable).
func pssKB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "Pss:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return n
		}
	}
	return 0
}
