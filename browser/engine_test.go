package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"maps"
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

// testEngine is what the tests and benchmarks every engine has in common
// need to know of one engine.
type testEngine struct {
	name    string // in Options.Engines and in case records
	browser string // how a skipped test names the engine
	product string // how a run of the wrong browser names the one wanted
	// find locates the browser: its binary, or "" for an engine whose
	// driver finds its own programs.
	find func() (string, error)
	// isVersion reports whether a run's parsed version and product are
	// this browser's.
	isVersion func(v cases.Version, product string) bool
	// verifyTimeout bounds one Verify of the table (and the test files),
	// so that a wedged browser fails the test instead of hitting go
	// test's timeout; cancelTimeout bounds the run a cancel test cancels.
	verifyTimeout, cancelTimeout time.Duration
	// processes lists the live processes of the engine's runs whose run
	// directory is under dir.
	processes func(dir string) []int
	// pssEvery is how often the table benchmark samples the PSS of this
	// process and of processes.
	pssEvery time.Duration
	// benchStart: the table benchmark also reports the start, until the
	// first case can run (Verify's first log line), as ms-start.
	benchStart bool
	// benchAllAgree: the table benchmark fails unless every case agrees;
	// otherwise unless at most a tenth could not run.
	benchAllAgree bool
}

var (
	chromeUnderTest = testEngine{
		name: chromeName, browser: "Chrome", product: "Chrome",
		find:          FindChromium,
		isVersion:     func(v cases.Version, _ string) bool { return v.Major() >= 100 },
		verifyTimeout: 2 * time.Minute, cancelTimeout: time.Minute,
		// Chrome passes its profile, under the run directory, to every
		// process it starts.
		processes: processesNaming,
		pssEvery:  20 * time.Millisecond,
	}
	firefoxUnderTest = testEngine{
		name: firefoxName, browser: "Firefox", product: "Firefox",
		find: FindFirefox,
		isVersion: func(v cases.Version, product string) bool {
			return v.Major() >= 100 && strings.HasPrefix(product, "Firefox/")
		},
		verifyTimeout: 3 * time.Minute, cancelTimeout: 2 * time.Minute,
		processes: firefoxProcesses,
		// Reading smaps_rollup walks a process's memory map under its
		// lock: sampling Firefox's dozen processes every 20 ms doubled the
		// run it measured (23 s against 12 s), while the peak it found was
		// no higher.
		pssEvery:      250 * time.Millisecond,
		benchStart:    true,
		benchAllAgree: true,
	}
	webkitUnderTest = testEngine{
		name: webkitName, browser: "WebKit", product: "WebKitGTK",
		find: func() (string, error) { return "", webkitDriver{}.Find() },
		isVersion: func(v cases.Version, product string) bool {
			return v.Major() >= 2 && strings.Contains(product, "WebKitGTK")
		},
		verifyTimeout: 2 * time.Minute, cancelTimeout: time.Minute,
		// Xvfb, MiniBrowser, its helpers and WebKitWebDriver carry the
		// run marker.
		processes: webkitProcesses,
		pssEvery:  20 * time.Millisecond,
	}
)

// need returns what find found. Without the browser the test fails in CI
// (CI=true, which .ci/run sets) and is skipped, loudly, elsewhere.
func (e testEngine) need(t testing.TB) string {
	t.Helper()
	p, err := e.find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("SKIPPING the %s tests — %v", e.browser, err)
	}
	return p
}

// options are Verify's options for a run of this engine alone; exe is
// what need returned (Chrome's binary is passed in Options.Chromium).
func (e testEngine) options(exe string) Options {
	opts := Options{Engines: []string{e.name}}
	if e.name == chromeName {
		opts.Chromium = exe
	}
	return opts
}

// verify runs cases in this engine alone, within verifyTimeout, and
// returns its run.
func (e testEngine) verify(t testing.TB, cs []cases.Case) (*Report, *Run) {
	t.Helper()
	exe := e.need(t)
	ctx, cancel := context.WithTimeout(context.Background(), e.verifyTimeout)
	defer cancel()
	rep, err := Verify(ctx, cs, e.options(exe))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	run := e.only(t, rep)
	if len(run.Results) != len(cs) {
		t.Fatalf("%d results for %d cases", len(run.Results), len(cs))
	}
	e.checkVersion(t, run)
	return rep, run
}

// only returns rep's run, failing unless it is this engine's alone.
func (e testEngine) only(t testing.TB, rep *Report) *Run {
	t.Helper()
	if len(rep.Runs) != 1 || rep.Runs[0].Engine != e.name {
		t.Fatalf("Verify ran %d engines, want %s only", len(rep.Runs), e.name)
	}
	return rep.Runs[0]
}

// checkVersion fails unless run names a version of this engine's browser.
func (e testEngine) checkVersion(t testing.TB, run *Run) {
	t.Helper()
	if v, err := cases.ParseVersion(run.Version); err != nil || !e.isVersion(v, run.Product) {
		t.Errorf("run version %q (product %q) is not a %s version", run.Version, run.Product, e.product)
	}
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

// checkPlanted checks the result of a case with a planted disagreement:
// that it ran, and that the browser disagrees on the fields in want, and
// only there (nil: it agrees). It reports whether the case ran.
func checkPlanted(t *testing.T, r Result, want []string) bool {
	t.Helper()
	if r.CouldNotRun != "" {
		t.Errorf("%s: could not run: %s", r.ID, r.CouldNotRun)
		return false
	}
	if diff := cmp.Diff(want, r.DiffFields); diff != "" {
		t.Errorf("%s: DiffFields mismatch (-want +got):\n%s\nbrowser diff:\n%s", r.ID, diff, r.BrowserDiff)
	}
	if r.BrowserAgrees != (want == nil) {
		t.Errorf("%s: BrowserAgrees = %v, want %v", r.ID, r.BrowserAgrees, want == nil)
	}
	return true
}

// plantedCommon are the cases every engine's planted file has
// (testdata/planted.json and its twins), each with the fields the run
// must name, in expect or in the engine's record, and only those; nil:
// the case agrees. An engine's test adds the cases of its own file
// (plantedWant).
var plantedCommon = map[string][]string{
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

// plantedCommonInExpect are the cases of plantedCommon whose wrong field
// is in expect: the model disagrees with them too.
var plantedCommonInExpect = map[string]bool{
	"planted/outcome": true, "planted/preflight": true, "planted/blocked-at": true,
	"planted/reason": true, "planted/exposed-headers": true,
}

// plantedWant is plantedCommon and more, an engine's own planted cases.
func plantedWant(more map[string][]string) map[string][]string {
	want := maps.Clone(plantedCommon)
	maps.Copy(want, more)
	return want
}

// checkPlantedRun checks the results of a run of planted disagreements:
// each against the fields want names for its case (checkPlanted), and the
// model against inExpect, the cases whose planted field is in expect
// (wrong for the model too, where one planted in a record is not). Every
// case in want must have a result, and no other case.
func checkPlantedRun(t *testing.T, results []Result, want map[string][]string, inExpect map[string]bool) {
	t.Helper()
	want = maps.Clone(want)
	for _, r := range results {
		w, ok := want[r.ID]
		if !ok {
			t.Errorf("unexpected case %s", r.ID)
			continue
		}
		delete(want, r.ID)
		if !checkPlanted(t, r, w) {
			continue
		}
		if r.ModelAgrees == inExpect[r.ID] {
			t.Errorf("%s: ModelAgrees = %v, want %v:\n%s", r.ID, r.ModelAgrees, !inExpect[r.ID], r.ModelDiff)
		}
	}
	for id := range want {
		t.Errorf("no result for %s", id)
	}
}

// checkDisagreeText checks that rep's exit code says the browser
// disagrees and that its text report has each of lines, and returns the
// text.
func checkDisagreeText(t *testing.T, rep *Report, lines ...string) string {
	t.Helper()
	if code := rep.ExitCode(); code != ExitDisagree {
		t.Errorf("ExitCode() = %d, want %d", code, ExitDisagree)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, s := range lines {
		if !strings.Contains(out.String(), s) {
			t.Errorf("text report lacks %q:\n%s", s, out.String())
		}
	}
	return out.String()
}

// checkWrong checks a run of wrong.json's three cases: the browser
// disagrees with the wrong/ cases' expectations and agrees with the other.
func checkWrong(t *testing.T, run *Run) {
	t.Helper()
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

// cancelMidRun runs the whole table in this engine, its run directory
// under a fresh temp directory tmp (TMPDIR), and cancels the run once the
// browser runs (Verify logs its first line then) and 300 ms into the
// batches. atStart, when not nil, is called once the browser runs, before
// that wait. It fails unless Verify returns context.Canceled, and returns
// tmp and how long Verify took.
func (e testEngine) cancelMidRun(t *testing.T, atStart func(tmp string)) (tmp string, took time.Duration) {
	t.Helper()
	exe := e.need(t)
	tmp = shortTempDir(t)
	t.Setenv("TMPDIR", tmp)
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cancelTimeout)
	defer cancel()
	started := make(chan struct{})
	trig := &logTrigger{fn: func() { close(started) }}
	go func() {
		<-started
		if atStart != nil {
			atStart(tmp)
		}
		time.Sleep(300 * time.Millisecond) // into the batches
		cancel()
	}()
	opts := e.options(exe)
	opts.Log = trig
	t0 := time.Now()
	_, err = Verify(ctx, tb.Cases, opts)
	took = time.Since(t0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify error = %v, want context.Canceled", err)
	}
	select {
	case <-started:
	default:
		t.Fatal("the browser never started")
	}
	return tmp, took
}

// checkNothingLeft fails when a process of this engine's runs or a run
// directory (runDirPrefix) is left in dir after a cancel.
func (e testEngine) checkNothingLeft(t *testing.T, dir string) {
	t.Helper()
	procs := e.processes(dir)
	dirs, _ := filepath.Glob(filepath.Join(dir, runDirPrefix+"*"))
	if len(procs) > 0 || len(dirs) > 0 {
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

// benchTable replays the whole table in this engine per iteration, the
// browser's start and shutdown included, and reports cases per second,
// wall time per run and the peak proportional set size (PSS) of this
// process plus every process of the engine's runs, sampled from /proc
// every pssEvery (and, with benchStart, the start).
func (e testEngine) benchTable(b *testing.B) {
	exe := e.need(b)
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
		tick := time.NewTicker(e.pssEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-tick.C:
				sum := pssKB(os.Getpid())
				for _, p := range e.processes(tmp) {
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
	var startup time.Duration
	for b.Loop() {
		opts := e.options(exe)
		if e.benchStart {
			t0 := time.Now()
			opts.Log = &logTrigger{fn: func() { startup += time.Since(t0) }}
		}
		rep, err := Verify(context.Background(), tb.Cases, opts)
		if err != nil {
			b.Fatal(err)
		}
		agree, _, cnr := rep.Runs[0].Counts()
		switch {
		case e.benchAllAgree && agree != len(tb.Cases):
			b.Fatalf("%d of %d cases agree", agree, len(tb.Cases))
		case !e.benchAllAgree && cnr > len(tb.Cases)/10:
			b.Fatalf("%d cases could not run", cnr)
		}
		runs++
	}
	elapsed := time.Since(start)
	close(stop)
	b.ReportMetric(float64(len(tb.Cases)*runs)/elapsed.Seconds(), "cases/s")
	b.ReportMetric(float64(elapsed.Milliseconds())/float64(runs), "ms/run")
	if e.benchStart {
		b.ReportMetric(float64(startup.Milliseconds())/float64(runs), "ms-start")
	}
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
