package browser

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/cases"
)

func TestFixturesInChrome(t *testing.T) {
	rep, _ := chromeUnderTest.verify(t, load(t, filepath.Join("testdata", "fixtures.json")))
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
	rep, _ := chromeUnderTest.verify(t, tb.Cases)
	checkAgree(t, rep)
}

// TestPlantedDisagreements plants one wrong field per case — the outcome,
// the preflight, the stage, the reason, the exposed headers, a header of
// the sent preflight, the number of preflights — each in a case whose
// other fields are right, and checks that the run names exactly that
// field, and only there.
func TestPlantedDisagreements(t *testing.T) {
	rep, run := chromeUnderTest.verify(t, load(t, filepath.Join("testdata", "planted.json")))
	checkPlantedRun(t, run.Results, plantedCommon, plantedCommonInExpect)
	out := checkDisagreeText(t, rep, "DISAGREE chrome "+run.Version+": planted/preflight", "differs on: preflight", "differs on: sent", "differs on: blockedAt")
	if strings.Contains(out, "right/agrees") {
		t.Errorf("text report lists the agreeing case right/agrees:\n%s", out)
	}
}

func TestWrongExpectationsDisagree(t *testing.T) {
	rep, run := chromeUnderTest.verify(t, load(t, filepath.Join("testdata", "wrong.json")))
	checkWrong(t, run)
	if code := rep.ExitCode(); code != ExitDisagree {
		t.Errorf("ExitCode() = %d, want %d", code, ExitDisagree)
	}
}

func TestVerifyComparesSomething(t *testing.T) {
	chromeUnderTest.need(t)
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

func TestCancelMidRunLeavesNothing(t *testing.T) {
	tmp, _ := chromeUnderTest.cancelMidRun(t, nil) // the run directory, Chrome's profile and TMPDIR go in tmp
	chromeUnderTest.checkNothingLeft(t, tmp)
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
func BenchmarkEmbeddedTable(b *testing.B) { chromeUnderTest.benchTable(b) }
