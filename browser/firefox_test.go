package browser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
	"github.com/crosscheck-dev/crosscheck/spec"
)

// TestEmbeddedTableInFirefox replays crosscheck's whole table, the
// verifier's fixtures and the planted disagreements in one Firefox (its
// start is the run's biggest cost). A failure of the table is a finding:
// Firefox differs from the table (browsers.firefox records covering this
// version, over expect) on a case no record explains.
func TestEmbeddedTableInFirefox(t *testing.T) {
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	fixtures := load(t, filepath.Join("testdata", "fixtures.json"))
	planted := load(t, filepath.Join("testdata", "planted-firefox.json"))
	steps := load(t, filepath.Join("testdata", "firefox-steps.json"))
	all := append(append(append(append([]cases.Case(nil), tb.Cases...), fixtures...), planted...), steps...)
	rep, run := firefoxUnderTest.verify(t, all)
	byID := map[string]Result{}
	for _, r := range run.Results {
		byID[r.ID] = r
	}
	if len(rep.Strays) > 0 {
		t.Errorf("requests matched no case run: %s", describeReceived(rep.Strays))
	}
	agreeing := func(t *testing.T, cs []cases.Case) {
		sub := &Report{Runs: []*Run{{Engine: run.Engine, Version: run.Version}}}
		for _, c := range cs {
			sub.Runs[0].Results = append(sub.Runs[0].Results, byID[c.Name()])
		}
		checkAgree(t, sub)
	}
	t.Run("table", func(t *testing.T) {
		agreeing(t, tb.Cases)
		// Gecko logs a message for every failed CORS check of a preflight
		// or a response; a block there without a word means the wait for
		// Firefox's words ended too early (or the words went to another
		// step), and its reason went uncompared. Redirect mode "error"
		// fails a final 3xx before any CORS check, without a word.
		for _, c := range tb.Cases {
			r := byID[c.Name()]
			verdicts := []*Verdict{r.Browser}
			for _, sr := range r.Steps {
				verdicts = append(verdicts, sr.Browser)
			}
			for k, v := range verdicts {
				if v == nil || v.Outcome != spec.Blocked || v.Reason != "" || v.BlockedAt == spec.StageRedirect || v.BlockedAt == spec.StageRequest {
					continue
				}
				if ex := c.Exchanges(); k == 0 && ex[0].Request.Redirect == string(spec.RedirectError) ||
					k > 0 && ex[k-1].Request.Redirect == string(spec.RedirectError) {
					continue
				}
				t.Errorf("%s: blocked at %s with no word from Firefox (%s)", r.ID, v.BlockedAt, v.Words)
			}
		}
	})
	t.Run("fixtures", func(t *testing.T) { agreeing(t, fixtures) })
	t.Run("steps", func(t *testing.T) {
		// Every step of these cases fetches the same URL and fails for
		// its own reason: each must have Firefox's word for it, under
		// its own step (a word filed under another step leaves a step
		// without one, or names another reason).
		agreeing(t, steps)
		for _, c := range steps {
			r := byID[c.Name()]
			for k, sr := range r.Steps {
				if v := sr.Browser; v != nil && v.Outcome == spec.Blocked && v.Reason == "" {
					t.Errorf("%s: step %d blocked at %s with no word from Firefox", r.ID, k+1, v.BlockedAt)
				}
			}
		}
	})
	t.Run("planted", func(t *testing.T) { checkPlantedFirefox(t, rep, byID, planted) })
}

// checkPlantedFirefox checks that each planted disagreement is reported
// on its field, and only there.
func checkPlantedFirefox(t *testing.T, rep *Report, byID map[string]Result, planted []cases.Case) {
	var results []Result
	for _, c := range planted {
		results = append(results, byID[c.Name()])
	}
	// planted/words is planted in a record: the model agrees.
	checkPlantedRun(t, results, plantedWant(map[string][]string{"planted/words": {"reason"}}), plantedCommonInExpect)
	out := checkDisagreeText(t, rep, "DISAGREE firefox ", "planted/words", "differs on: reason", "differs on: sent")
	if strings.Contains(out, "right/agrees") {
		t.Error("text report lists the agreeing case right/agrees")
	}
}

// firefoxProcesses lists the processes of Firefox runs whose files are
// under dir: those whose command line names dir (the browser, its crash
// helper) and every process in their process groups (content processes
// name neither the profile nor the run directory).
func firefoxProcesses(dir string) []int {
	roots := processesNaming(dir)
	groups := map[int]bool{}
	for _, p := range roots {
		groups[p] = true
	}
	members := processesWhere("stat", func(pid string, stat []byte) bool {
		// pid (comm) state ppid pgrp …; comm may hold spaces.
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 3 || f[0] == "Z" {
			return false
		}
		p, _ := strconv.Atoi(pid)
		pg, _ := strconv.Atoi(f[2])
		return groups[pg] && !groups[p]
	})
	return append(roots, members...)
}

func TestFirefoxCancelMidRunLeavesNothing(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]bool{}
	// The run directory (profile, HOME and TMPDIR of the browser) goes in
	// tmp.
	tmp, _ := firefoxUnderTest.cancelMidRun(t, func(dir string) {
		for _, p := range firefoxProcesses(dir) {
			mu.Lock()
			seen[p] = true
			mu.Unlock()
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("saw %d Firefox processes while it ran, want the browser and its children", len(seen))
	}
	var alive []int
	for p := range seen {
		if processAlive(p) && !zombie(p) {
			alive = append(alive, p)
		}
	}
	if left := firefoxProcesses(tmp); len(alive) > 0 || len(left) > 0 {
		t.Errorf("after cancel: processes %v (of %d seen) and %v remain", alive, len(seen), left)
	}
	if dirs, _ := filepath.Glob(filepath.Join(tmp, "*")); len(dirs) > 0 {
		t.Errorf("after cancel: %v remain in the temp directory", dirs)
	}
}

// zombie reports whether pid is a zombie (exited, not yet reaped by its
// parent, which is not this process's concern).
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || isZombie(stat)
}

func TestFindFirefoxEnv(t *testing.T) {
	t.Setenv(FirefoxEnv, filepath.Join(t.TempDir(), "no-such-firefox"))
	_, err := FindFirefox()
	if !errors.Is(err, ErrNoFirefox) || !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "apt-get install") {
		t.Errorf("FindFirefox() error = %v, want ErrNoFirefox (an ErrNoBrowser) with install advice", err)
	}
	if err := (firefoxDriver{}).Find(); !errors.Is(err, ErrNoBrowser) {
		t.Errorf("firefoxDriver.Find() = %v, want ErrNoBrowser", err)
	}
}

func TestCertOverrides(t *testing.T) {
	cert, err := newCertificate([]string{"api.example"})
	if err != nil {
		t.Fatal(err)
	}
	got := string(certOverrides(cert, []string{"api.example:443", "api.example:8443"}))
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != 4 { // two comment lines, one per authority
		t.Fatalf("cert_override.txt has %d lines:\n%s", len(lines), got)
	}
	for i, a := range []string{"api.example:443", "api.example:8443"} {
		f := strings.Split(lines[2+i], "\t")
		if len(f) < 3 || f[0] != a+":" || f[1] != "OID.2.16.840.1.101.3.4.2.1" || len(f[2]) != 32*3-1 || strings.ToUpper(f[2]) != f[2] {
			t.Errorf("line %q: want %q, the SHA-256 OID and a colon-separated upper-case fingerprint", lines[2+i], a+":")
		}
	}
}

func TestCertAuthorities(t *testing.T) {
	cs := []cases.Case{
		{Request: cases.Request{Origin: "https://app.example", URL: "https://api.example:8443/x"}},
		{Request: cases.Request{Origin: "http://app.example:8080", URL: "http://api.example/x"},
			Redirects: []cases.Redirect{{Status: 302, Location: "//other.example/y"}}},
	}
	got := certAuthorities(cs)
	want := []string{}
	for _, h := range []string{"api.example", "app.example", "other.example"} {
		for _, p := range []string{"443", "8080", "8443"} {
			want = append(want, h+":"+p)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("certAuthorities mismatch (-want +got):\n%s", diff)
	}
}

// BenchmarkEmbeddedTableFirefox replays the whole table in Firefox per
// iteration, its start and shutdown included, and reports cases per
// second, wall time per run, the start (until the first case can run) and
// the peak proportional set size (PSS) of this process plus every Firefox
// process (both browsers), sampled from /proc every 250 ms (see
// firefoxUnderTest.pssEvery).
func BenchmarkEmbeddedTableFirefox(b *testing.B) { firefoxUnderTest.benchTable(b) }

// TestFirefoxTrustsOnlyTheOverriddenAuthorities starts Firefox trusting the
// run's certificate for app.example:443 alone: a fetch from that page to
// api.example, served by the same server with the same certificate, must
// fail before any request reaches the server, while one to app.example
// itself succeeds. The trust is per host and port, not browser-wide.
func TestFirefoxTrustsOnlyTheOverriddenAuthorities(t *testing.T) {
	firefoxUnderTest.need(t)
	srv, cert := newTestServer(t)
	ok := cases.Response{Status: 200, Headers: []cases.Header{{"Access-Control-Allow-Origin", "*"}}}
	cs := []cases.Case{
		{ID: "trust/same-host", Request: cases.Request{Origin: "https://app.example", URL: "https://app.example/x"}, Response: ok},
		{ID: "trust/other-host", Request: cases.Request{Origin: "https://app.example", URL: "https://api.example/x"}, Response: ok},
	}
	var batch []*item
	for i := range cs {
		it, err := prepare(&cs[i], i, "trust")
		if err != nil {
			t.Fatal(err)
		}
		srv.add(newCaseRun(it.c, it.token))
		batch = append(batch, it)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sess, err := firefoxDriver{}.Start(ctx, &Env{Port: srv.port(), Cert: cert, Authorities: []string{"app.example:443"}, Parallel: 1, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	obs, err := sess.Run(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if !obs[0].JS.OK || len(srv.received(batch[0].token)) != 1 {
		t.Errorf("same host: %+v, server received %s; want a response", obs[0].JS, describeReceived(srv.received(batch[0].token)))
	}
	if obs[1].JS.OK || len(srv.received(batch[1].token)) != 0 {
		t.Errorf("other host: %+v, server received %s; want a failure before any request", obs[1].JS, describeReceived(srv.received(batch[1].token)))
	}
}

func TestLineWatcher(t *testing.T) {
	tests := []struct {
		chunks []string
		want   string
	}{
		{[]string{"*** You are running in headless mode.\nWebDriver BiDi listening on ws://127.0.0.1:4444\n"}, "ws://127.0.0.1:4444"},
		{[]string{"noise\nWebDriver BiDi liste", "ning on ws://127.0.0.1:5", "55\nmore\n"}, "ws://127.0.0.1:555"},
		{[]string{"WebDriver BiDi listening on ws://127.0.0.1:1"}, ""}, // no end of line yet
		{[]string{"nothing here\n"}, ""},
	}
	for _, tt := range tests {
		found := make(chan string, 1)
		var tail bytes.Buffer
		w := &lineWatcher{tail: &tail, re: bidiListening, found: found}
		for _, c := range tt.chunks {
			w.Write([]byte(c))
		}
		got := ""
		select {
		case got = <-found:
		default:
		}
		if got != tt.want {
			t.Errorf("chunks %q: found %q, want %q", tt.chunks, got, tt.want)
		}
		if tail.String() != strings.Join(tt.chunks, "") {
			t.Errorf("chunks %q: tail %q, want everything", tt.chunks, tail.String())
		}
	}
}
