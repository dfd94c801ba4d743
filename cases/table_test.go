package cases

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// minCases and minPerReason are the table's coverage goals (issue 4).
const (
	minCases     = 400
	minPerReason = 3
)

func loadEmbedded(t testing.TB) *Table {
	t.Helper()
	tab, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded():\n%v", err)
	}
	return tab
}

// TestTableAgainstModel runs every case of the table through the model,
// a steps case's steps one after the other from one page. The table's
// expectations come from the spec text; a failure means the model or the
// case is wrong, and the spec decides which.
func TestTableAgainstModel(t *testing.T) {
	tab := loadEmbedded(t)
	for _, c := range tab.Cases {
		t.Run(c.ID, func(t *testing.T) {
			if diff := c.ModelDiff(); diff != "" {
				vs, _ := c.Model()
				var detail []string
				for i, v := range vs {
					detail = append(detail, fmt.Sprintf("step %d: %s %s %q (hop %d)", i+1, v.Outcome, v.Reason, v.Detail, v.Hop))
				}
				t.Errorf("%s:%d: case %q: %s\nmodel mismatch (-table +model):\n%s\nmodel detail: %s",
					c.File, c.Line, c.ID, c.Title, diff, strings.Join(detail, "; "))
			}
		})
	}
}

func TestTableCoverage(t *testing.T) {
	tab := loadEmbedded(t)
	if len(tab.Cases) < minCases {
		t.Errorf("the table has %d cases, want at least %d", len(tab.Cases), minCases)
	}
	perReason := map[spec.Reason]int{}
	perGroup := map[string]int{}
	for _, c := range tab.Cases {
		for _, st := range c.Exchanges() {
			perReason[st.Expect.Reason]++
		}
		perGroup[c.Group()]++
	}
	for _, r := range spec.Reasons() {
		if n := perReason[r]; n < minPerReason {
			t.Errorf("reason %q: %d cases, want at least %d", r, n, minPerReason)
		}
	}
	for _, g := range Groups() {
		if g.Observable && perGroup[g.ID] == 0 {
			t.Errorf("catalog group %q: no case (its first tag), want at least 1", g.ID)
		}
	}
}

// TestEmbeddedTablesAreFresh checks that each Embedded call returns its own
// Table, so a caller changing one cannot affect another.
func TestEmbeddedTablesAreFresh(t *testing.T) {
	a, b := loadEmbedded(t), loadEmbedded(t)
	if len(a.Cases) == 0 {
		t.Fatal("empty table")
	}
	id := a.Cases[0].ID
	a.Cases[0].ID = "changed"
	a.Files[0].Cases[0].Tags[0] = "changed"
	if b.Cases[0].ID != id || b.Files[0].Cases[0].Tags[0] == "changed" {
		t.Errorf("changing one Embedded table changed another")
	}
}

// BenchmarkLoadEmbedded measures loading and validating the whole embedded
// table; the budget is 5 ms. ms/op is wall time, which a machine shared
// with other work inflates (the loader then waits for a core); cpu-ms/op is
// the CPU time the load takes, on every core (GC included).
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	n := 0
	c0 := cpuNanos()
	for b.Loop() {
		tab, err := Embedded()
		if err != nil {
			b.Fatal(err)
		}
		n = len(tab.Cases)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/op")
	if c1 := cpuNanos(); c0 > 0 && c1 > c0 {
		b.ReportMetric(float64(c1-c0)/float64(b.N)/1e6, "cpu-ms/op")
	}
	b.ReportMetric(float64(n), "cases")
}

// TestDivergencesTagged: every case recording a browser divergence for an
// engine carries the <engine>-divergence tag, so `crosscheck cases list
// --tag chrome-divergence` lists exactly them.
func TestDivergencesTagged(t *testing.T) {
	tbl, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range tbl.Cases {
		for _, e := range Engines {
			recorded := len(c.Browsers[e]) > 0
			if recorded {
				n++
			}
			if tag := e + "-divergence"; recorded != c.HasTag(tag) {
				t.Errorf("%s: browsers.%s recorded = %v but %s tag = %v", c.ID, e, recorded, tag, c.HasTag(tag))
			}
		}
	}
	if n == 0 {
		t.Error("no case records a browser divergence; the table is expected to hold some")
	}
}
