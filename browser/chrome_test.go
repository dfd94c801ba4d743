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

	"github.com/crosscheck-dev/crosscheck/cases"
)

// chromium returns the browser to test with. Without one the test fails
// in CI (CI=true) and is skipped, loudly, elsewhere.
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
// the test instead of hitting go test's timeout.
func verify(t testing.TB, cs []cases.Case) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := Verify(ctx, cs, Options{Chromium: chromium(t)})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func load(t testing.TB, files ...string) []cases.Case {
	t.Helper()
	tb, err := cases.LoadFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	return tb.Cases
}

// checkAgree fails for every case where Chrome or the model disagrees with
// the table or Chrome gave no verdict.
func checkAgree(t *testing.T, rep *Report) {
	t.Helper()
	for _, r := range rep.Results {
		if r.CouldNotRun != "" {
			t.Errorf("%s: could not run in Chrome: %s", r.ID, r.CouldNotRun)
		}
		if r.ChromeDiff != "" {
			words := ""
			if r.Chrome != nil {
				words = r.Chrome.Words
			}
			t.Errorf("%s: Chrome vs table mismatch (-want +got):\n%sChrome said %q; server received %s",
				r.ID, r.ChromeDiff, words, describeReceived(r.Observed.Received))
		}
		if r.ModelDiff != "" {
			t.Errorf("%s: model vs expect mismatch (-want +got):\n%s", r.ID, r.ModelDiff)
		}
	}
	if len(rep.Strays) > 0 {
		t.Errorf("requests matched no case run: %s", describeReceived(rep.Strays))
	}
}

func TestFixturesInChrome(t *testing.T) {
	cs := load(t, filepath.Join("testdata", "fixtures.json"))
	rep := verify(t, cs)
	if len(rep.Results) != len(cs) {
		t.Fatalf("%d results for %d cases", len(rep.Results), len(cs))
	}
	checkAgree(t, rep)
	if got := rep.ExitCode(); got != ExitAgree && !t.Failed() {
		t.Errorf("ExitCode() = %d, want %d", got, ExitAgree)
	}
}

// TestEmbeddedTableInChrome replays crosscheck's whole table. A failure here
// is a finding: Chrome differs from the table on a case whose divergence is
// not recorded in browsers.chrome (see docs/chrome-divergences.md).
func TestEmbeddedTableInChrome(t *testing.T) {
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	checkAgree(t, verify(t, tb.Cases))
}

func TestWrongExpectationsDisagree(t *testing.T) {
	rep := verify(t, load(t, filepath.Join("testdata", "wrong.json")))
	got := map[string]bool{}
	for _, r := range rep.Results {
		got[r.ID] = r.ChromeAgrees
		if r.ChromeAgrees == strings.HasPrefix(r.ID, "wrong/") {
			t.Errorf("%s: ChromeAgrees = %v (diff %q)", r.ID, r.ChromeAgrees, r.ChromeDiff)
		}
	}
	if len(got) != 3 {
		t.Errorf("results for %v, want the 3 cases of wrong.json", got)
	}
	if code := rep.ExitCode(); code != ExitDisagree {
		t.Errorf("ExitCode() = %d, want %d", code, ExitDisagree)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"wrong/no-acao-said-allowed", "wrong/star-said-blocked"} {
		if !strings.Contains(out.String(), "DISAGREE "+id) {
			t.Errorf("text report does not name %s:\n%s", id, out.String())
		}
	}
	if strings.Contains(out.String(), "right/star-allowed") {
		t.Errorf("text report lists the agreeing case right/star-allowed:\n%s", out.String())
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
	_, err = Verify(ctx, tb.Cases, Options{Chromium: exe, Log: trig})
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
		rep, err := Verify(context.Background(), tb.Cases, Options{Chromium: exe})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, cnr := rep.Counts(); cnr > len(tb.Cases)/10 {
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
