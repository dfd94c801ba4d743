package browser

import (
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

// needWebKit fails the test in CI (CI=true) when the WebKit engine's
// programs are missing, and skips it, loudly, elsewhere.
func needWebKit(t testing.TB) {
	t.Helper()
	if err := (webkitDriver{}).Find(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPING the WebKit tests — %v", err)
	}
}

// webkitShared is one WebKit run over the embedded table and the test
// files together: the browser starts once for all the tests that only
// read results.
var webkitShared struct {
	once sync.Once
	rep  *Report
	err  error
}

// webkitTestFiles are the case files the shared run adds to the table.
var webkitTestFiles = []string{"fixtures.json", "webkit-planted.json", "wrong.json"}

// webkitRun returns the shared run's report, restricted to the cases whose
// id matches keep.
func webkitRun(t *testing.T, keep func(id string) bool) *Report {
	t.Helper()
	needWebKit(t)
	webkitShared.once.Do(func() {
		tb, err := cases.Embedded()
		if err != nil {
			webkitShared.err = err
			return
		}
		cs := append([]cases.Case(nil), tb.Cases...)
		for _, f := range webkitTestFiles {
			ft, err := cases.LoadFiles(filepath.Join("testdata", f))
			if err != nil {
				webkitShared.err = err
				return
			}
			cs = append(cs, ft.Cases...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		webkitShared.rep, webkitShared.err = Verify(ctx, cs, Options{Engines: []string{webkitName}})
	})
	if webkitShared.err != nil {
		t.Fatalf("Verify: %v", webkitShared.err)
	}
	full := webkitShared.rep
	if len(full.Runs) != 1 || full.Runs[0].Engine != webkitName {
		t.Fatalf("Verify ran %d engines, want webkit only", len(full.Runs))
	}
	run := *full.Runs[0]
	if v, err := cases.ParseVersion(run.Version); err != nil || v.Major() < 2 || !strings.Contains(run.Product, "WebKitGTK") {
		t.Errorf("run version %q (product %q) is not a WebKitGTK version", run.Version, run.Product)
	}
	run.Results = nil
	for _, r := range full.Runs[0].Results {
		if keep(r.ID) {
			run.Results = append(run.Results, r)
		}
	}
	return &Report{Runs: []*Run{&run}, Strays: full.Strays, Elapsed: full.Elapsed}
}

// inTable reports whether id is a case of the embedded table.
func inTable(id string) bool {
	for _, p := range []string{"fixture/", "planted/", "right/", "wrong/"} {
		if strings.HasPrefix(id, p) {
			return false
		}
	}
	return true
}

// TestEmbeddedTableInWebKit replays crosscheck's whole table in the
// WebKitGTK installed here, whatever its version. A failure here is a
// finding: WebKit differs from the table (browsers.webkit records covering
// this version, over expect) or from the model's requests, on a case no
// record explains (see docs/browser-divergences.md).
func TestEmbeddedTableInWebKit(t *testing.T) {
	rep := webkitRun(t, inTable)
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rep.Runs[0].Results); got != len(tb.Cases) {
		t.Fatalf("%d results for the %d cases of the table", got, len(tb.Cases))
	}
	checkAgree(t, rep)
}

func TestFixturesInWebKit(t *testing.T) {
	rep := webkitRun(t, func(id string) bool { return strings.HasPrefix(id, "fixture/") })
	if len(rep.Runs[0].Results) == 0 {
		t.Fatal("no fixture ran")
	}
	checkAgree(t, rep)
	if got := rep.ExitCode(); got != ExitAgree && !t.Failed() {
		t.Errorf("ExitCode() = %d, want %d", got, ExitAgree)
	}
}

// TestPlantedDisagreementsInWebKit plants one wrong field per case — the
// outcome, the preflight, the stage, a reason WebKit names, a reason
// outside the ones WebKit's words cover, the exposed headers, a header of
// the sent preflight, the number of preflights, the reason of a steps
// case's second step (WebKit's words filed by step) — each in a case whose
// other fields are right, and checks that the run names exactly that
// field, and only there. right/words-cover-reason shows a reason WebKit's
// words cannot single out is not compared; right/steps-reasons, two steps
// blocked for two reasons, agrees.
func TestPlantedDisagreementsInWebKit(t *testing.T) {
	rep := webkitRun(t, func(id string) bool {
		return strings.HasPrefix(id, "planted/") || strings.HasPrefix(id, "right/") && id != "right/star-allowed"
	})
	want := map[string][]string{
		"planted/outcome":              {"outcome"},
		"planted/preflight":            {"preflight"},
		"planted/blocked-at":           {"blockedAt"},
		"planted/reason":               {"reason"},
		"planted/reason-outside-words": {"reason"},
		"planted/exposed-headers":      {"exposedHeaders"},
		"planted/sent-acrh":            {"sent"},
		"planted/sent-origin":          {"sent"},
		"planted/preflight-count":      {"sent"},
		"planted/actual-not-sent":      {"sent"},
		"planted/record-preflight":     {"preflight"},
		"planted/step-reason":          {"steps[1].reason"},
		"right/agrees":                 nil,
		"right/record-agrees":          nil,
		"right/words-cover-reason":     nil,
		"right/steps-reasons":          nil,
	}
	inExpect := map[string]bool{"planted/outcome": true, "planted/preflight": true, "planted/blocked-at": true,
		"planted/reason": true, "planted/reason-outside-words": true, "planted/exposed-headers": true,
		"planted/step-reason": true}
	for _, r := range rep.Runs[0].Results {
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
	for _, s := range []string{"DISAGREE webkit " + rep.Runs[0].Version + ": planted/preflight", "differs on: exposedHeaders", "differs on: sent", "differs on: reason"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, out.String())
		}
	}
}

func TestWrongExpectationsDisagreeInWebKit(t *testing.T) {
	rep := webkitRun(t, func(id string) bool { return strings.HasPrefix(id, "wrong/") || id == "right/star-allowed" })
	got := map[string]bool{}
	for _, r := range rep.Runs[0].Results {
		got[r.ID] = r.BrowserAgrees
		if r.BrowserAgrees == strings.HasPrefix(r.ID, "wrong/") {
			t.Errorf("%s: BrowserAgrees = %v (diff %q)", r.ID, r.BrowserAgrees, r.BrowserDiff)
		}
	}
	if len(got) != 3 {
		t.Errorf("results for %v, want the 3 cases of wrong.json", got)
	}
}

// webkitLeftovers lists the processes that carry a run marker under dir
// (Xvfb, MiniBrowser, its helpers, WebKitWebDriver) and the run
// directories left in dir.
func webkitLeftovers(dir string) (procs []int, dirs []string) {
	want := []byte(runEnvMarker + "=" + dir)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		if st, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && isZombie(st) {
			continue
		}
		procs = append(procs, pid)
	}
	m, _ := filepath.Glob(filepath.Join(dir, runDirPrefix+"*"))
	return procs, m
}

// xLocks lists the X servers' lock files in /tmp.
func xLocks() map[string]bool {
	m, _ := filepath.Glob("/tmp/.X*-lock")
	out := map[string]bool{}
	for _, f := range m {
		out[f] = true
	}
	return out
}

// TestWebKitCancelMidRunLeavesNothing cancels a run of the whole table
// once the browser runs and checks that no process of the run (Xvfb
// included), no run directory and no X lock file is left.
func TestWebKitCancelMidRunLeavesNothing(t *testing.T) {
	needWebKit(t)
	tmp := shortTempDir(t)
	t.Setenv("TMPDIR", tmp) // the run directory goes here
	before := xLocks()
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := make(chan struct{})
	trig := &logTrigger{fn: func() { close(started) }}
	go func() {
		<-started
		time.Sleep(300 * time.Millisecond) // into the batches
		cancel()
	}()
	t0 := time.Now()
	_, err = Verify(ctx, tb.Cases, Options{Engines: []string{webkitName}, Log: trig})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify error = %v, want context.Canceled", err)
	}
	select {
	case <-started:
	default:
		t.Fatal("the browser never started")
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("Verify took %s to give up after the cancel", d)
	}
	if procs, dirs := webkitLeftovers(tmp); len(procs) > 0 || len(dirs) > 0 {
		t.Errorf("after cancel: processes %v and run directories %v remain", procs, dirs)
	}
	for f := range xLocks() {
		if !before[f] {
			t.Errorf("after cancel: X lock file %s remains", f)
		}
	}
}

// BenchmarkEmbeddedTableWebKit replays the whole table in WebKit per
// iteration, Xvfb's and the browser's start and shutdown included, and
// reports cases per second, wall time per run and the peak proportional
// set size (PSS) of this process plus every process of the run (Xvfb,
// MiniBrowser and its helpers, WebKitWebDriver), sampled from /proc every
// 20 ms.
func BenchmarkEmbeddedTableWebKit(b *testing.B) {
	needWebKit(b)
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
				pids, _ := webkitLeftovers(tmp)
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
		rep, err := Verify(context.Background(), tb.Cases, Options{Engines: []string{webkitName}})
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
