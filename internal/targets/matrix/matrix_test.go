package matrix

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/targets"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// result is one full matrix run shared by every test: it starts about 45
// real servers, so it runs once.
var (
	result *Result
	root   string
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		root, err = targets.FindRoot(".")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		result, err = Run(ctx, Options{Root: root, BinDir: targets.DefaultBinDir()})
		if err != nil {
			fmt.Fprintf(os.Stderr, "running the matrix (run scripts/install-deps.sh first): %v\n", err)
			return 2
		}
		return m.Run()
	}())
}

// Every release of the corpus raises its advisory's code; the current
// release under the same configuration does not.
func TestCorpusIsFlagged(t *testing.T) {
	if len(result.Corpus) != len(Corpus()) {
		t.Fatalf("%d corpus results, want %d", len(result.Corpus), len(Corpus()))
	}
	for _, cr := range result.Corpus {
		t.Run(cr.Entry.Vulnerable, func(t *testing.T) {
			onVuln, onFixed := cr.Flagged()
			if !onVuln {
				t.Errorf("%s with origins %v: codes %s, want %s among them", cr.Entry.Vulnerable, cr.Entry.ConfigOrigins, cellCodes(cr.Vulnerable), cr.Entry.Want)
			}
			if onFixed {
				t.Errorf("%s (current) with origins %v still raises %s", cr.Entry.Fixed, cr.Entry.ConfigOrigins, cr.Entry.Want)
			}
		})
	}
}

// The codes each current release must raise, from what each library is
// documented and reported to do (shared/research/peers.md §A.2, §A.3,
// §A.4): the Vary omissions, and the `*.example.com` patterns that also
// match the empty label `https://.example.com` (observed for rs/cors,
// go-chi/cors, gin-contrib/cors, echo v4 and fiber v2 in peers.md §A.3,
// policy B); fiber v3's matchers read in its source (middleware/cors:
// utils.go, cors.go); everything else the libraries do as the policies
// declare.
func TestCurrentReleases(t *testing.T) {
	vary := []runner.Code{runner.MissingVaryOrigin}
	emptyLabel := []runner.Code{runner.OriginEmptyLabel}
	// rs/cors and its go-chi fork compare origins case-insensitively (an
	// info finding: browsers never send upper case); nethttp-cop runs
	// rs/cors.
	anyCase := []runner.Code{runner.OriginCaseInsensitive}
	anyCaseEmptyLabel := []runner.Code{runner.OriginCaseInsensitive, runner.OriginEmptyLabel}
	starlette := []runner.Code{runner.CachedHeaderUnlisted, runner.MissingVaryOrigin}
	want := map[string][]runner.Code{
		"rs-cors/subdomains": anyCaseEmptyLabel, "go-chi-cors/subdomains": anyCaseEmptyLabel, "echo/subdomains": emptyLabel, "fiber/subdomains": emptyLabel,
		"rs-cors/strict": anyCase, "rs-cors/several-origins": anyCase, "go-chi-cors/strict": anyCase, "go-chi-cors/several-origins": anyCase,
		"nethttp-cop/strict": anyCase, "nethttp-cop/several-origins": anyCase,
		// fiber v3 lower-cases the origin before comparing and echoes it as
		// sent; its matcher refuses a leading empty label, not the one
		// before the domain (https://crosscheck..example.com).
		"fiber-v3/strict": anyCase, "fiber-v3/several-origins": anyCase, "fiber-v3/subdomains": anyCaseEmptyLabel,
		// gorilla/handlers#248: no Vary unless several origins, never on
		// refusals; and it caps Access-Control-Max-Age at 600 s (public
		// declares 3600).
		"gorilla-handlers/strict": vary, "gorilla-handlers/several-origins": vary,
		"gorilla-handlers/public": {runner.MaxAgeMismatch, runner.MissingVaryOrigin},
		// gin-contrib/cors: Vary on allowed responses only.
		"gin-contrib-cors/strict": vary, "gin-contrib-cors/several-origins": vary, "gin-contrib-cors/subdomains": {runner.MissingVaryOrigin, runner.OriginEmptyLabel}, "gin-contrib-cors/public": vary,
		// fiber v2 and v3: Vary: Origin unless every origin is allowed.
		"fiber/public": vary, "fiber-v3/public": vary,
		// Starlette 0.26: Vary only when an explicit origin is echoed; it
		// always allows Accept, Accept-Language, Content-Language and
		// Content-Type, which a cached preflight answer then lists.
		"starlette/strict": starlette, "starlette/several-origins": starlette, "starlette/subdomains": starlette, "starlette/public": starlette,
	}
	wantNA := []string{"gorilla-handlers/subdomains", "echo-v5/subdomains", "nethttp-cop/subdomains", "nethttp-cop/public"}
	for _, c := range result.Cells {
		key := c.Impl.Name + "/" + c.Policy
		t.Run(key, func(t *testing.T) {
			if slices.Contains(wantNA, key) {
				if c.NA == "" {
					t.Errorf("ran, want n/a")
				}
				return
			}
			if c.NA != "" {
				t.Fatalf("n/a (%s), want a run", c.NA)
			}
			if diff := cmp.Diff(want[key], c.Report.Codes()); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
		})
	}
}

// The committed documents are what a fresh run generates.
func TestDocsAreFresh(t *testing.T) {
	docs := Render(result)
	for _, name := range Stale(root, docs) {
		old, _ := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		t.Errorf("%s is stale; run `%s` (-committed +fresh):\n%s", name, Command,
			cmp.Diff(strings.Split(string(old), "\n"), strings.Split(string(docs[name]), "\n")))
	}
}

// Rendering depends on nothing but the results: no ports, no dates.
func TestRenderHidesPorts(t *testing.T) {
	for name, d := range Render(result) {
		for _, c := range result.Cells {
			if c.Report != nil && strings.Contains(string(d), strings.TrimSuffix(c.Report.Target, "/items")) {
				t.Errorf("%s contains the target URL %s", name, c.Report.Target)
			}
		}
	}
}

// A cell shows the worst severity of a code, and only findings at or
// above crosscheck run's default threshold (low) make an implementation
// fail: an info-only implementation passes.
func TestSeverityDisplay(t *testing.T) {
	finding := func(c runner.Code, s runner.Severity) runner.Finding { return runner.Finding{Code: c, Severity: s} }
	impl := targets.Impl{Name: "x"}
	tests := []struct {
		name        string
		findings    []runner.Finding
		wantCell    string // the matrix cell of origin-empty-label
		wantVerdict string
	}{
		{name: "none", wantCell: "", wantVerdict: "passes"},
		{name: "info only", findings: []runner.Finding{finding(runner.OriginEmptyLabel, runner.Info)},
			wantCell: "info", wantVerdict: "passes (info findings only, on strict)"},
		{name: "low fails", findings: []runner.Finding{finding(runner.OriginEmptyLabel, runner.Low)},
			wantCell: "low", wantVerdict: "**fails** on strict"},
		{name: "worst of a code wins", findings: []runner.Finding{finding(runner.OriginEmptyLabel, runner.Info), finding(runner.OriginEmptyLabel, runner.High)},
			wantCell: "high", wantVerdict: "**fails** on strict"},
		{name: "info beside a medium of another code", findings: []runner.Finding{finding(runner.OriginEmptyLabel, runner.Info), finding(runner.MissingVaryOrigin, runner.Medium)},
			wantCell: "info", wantVerdict: "**fails** on strict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Cell{Impl: impl, Policy: "strict", Report: &runner.Report{Findings: tt.findings}}
			sev, _ := worstOf(c, runner.OriginEmptyLabel)
			if string(sev) != tt.wantCell {
				t.Errorf("worstOf(origin-empty-label) = %q, want %q", sev, tt.wantCell)
			}
			if got := implVerdict(&Result{Cells: []Cell{c}}, impl); got != tt.wantVerdict {
				t.Errorf("implVerdict = %q, want %q", got, tt.wantVerdict)
			}
		})
	}
}
