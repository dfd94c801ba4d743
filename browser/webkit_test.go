package browser

import (
	"bytes"
	"context"
	"maps"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crosscheck-dev/crosscheck/cases"
)

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
	webkitUnderTest.need(t)
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
		ctx, cancel := context.WithTimeout(context.Background(), webkitUnderTest.verifyTimeout)
		defer cancel()
		webkitShared.rep, webkitShared.err = Verify(ctx, cs, webkitUnderTest.options(""))
	})
	if webkitShared.err != nil {
		t.Fatalf("Verify: %v", webkitShared.err)
	}
	full := webkitShared.rep
	run := *webkitUnderTest.only(t, full)
	webkitUnderTest.checkVersion(t, &run)
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
	want := plantedWant(map[string][]string{
		"planted/reason-outside-words": {"reason"},
		"planted/step-reason":          {"steps[1].reason"},
		"right/words-cover-reason":     nil,
		"right/steps-reasons":          nil,
	})
	inExpect := maps.Clone(plantedCommonInExpect)
	inExpect["planted/reason-outside-words"] = true
	inExpect["planted/step-reason"] = true
	checkPlantedRun(t, rep.Runs[0].Results, want, inExpect)
	checkDisagreeText(t, rep, "DISAGREE webkit "+rep.Runs[0].Version+": planted/preflight", "differs on: exposedHeaders", "differs on: sent", "differs on: reason")
}

func TestWrongExpectationsDisagreeInWebKit(t *testing.T) {
	rep := webkitRun(t, func(id string) bool { return strings.HasPrefix(id, "wrong/") || id == "right/star-allowed" })
	checkWrong(t, rep.Runs[0])
}

// webkitProcesses lists the live processes that carry a run marker under
// dir (Xvfb, MiniBrowser, its helpers, WebKitWebDriver).
func webkitProcesses(dir string) []int {
	want := []byte(runEnvMarker + "=" + dir)
	return processesWithEnv(func(env []byte) bool { return bytes.Contains(env, want) })
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
	before := xLocks()
	tmp, took := webkitUnderTest.cancelMidRun(t, nil) // the run directory goes in tmp
	if took > 30*time.Second {
		t.Errorf("Verify took %s to give up after the cancel", took)
	}
	webkitUnderTest.checkNothingLeft(t, tmp)
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
func BenchmarkEmbeddedTableWebKit(b *testing.B) { webkitUnderTest.benchTable(b) }
