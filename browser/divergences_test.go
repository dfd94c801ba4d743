package browser

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// divergencesDoc is the page that lists every recorded Chrome divergence.
var divergencesDoc = filepath.Join("..", "docs", "chrome-divergences.md")

// docRow matches a Markdown table row whose first cell is a case id in
// backticks: "| `group/slug` | ...".
var docRow = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|")

// caseID is the shape of a case id: the file's stem, "/", a slug.
var caseID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$`)

// documentedIDs returns the case ids the page lists, one per table row
// whose first cell is a backticked case id, sorted. A row naming the same
// case twice is an error: the page is meant to list each divergence once.
func documentedIDs(r io.Reader) ([]string, error) {
	var ids []string
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		m := docRow.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil || !caseID.MatchString(m[1]) {
			continue
		}
		if first, ok := seen[m[1]]; ok {
			return nil, fmt.Errorf("line %d: %s is already listed on line %d", line, m[1], first)
		}
		seen[m[1]] = line
		ids = append(ids, m[1])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the page: %w", err)
	}
	sort.Strings(ids)
	return ids, nil
}

func TestDocumentedIDs(t *testing.T) {
	tests := []struct {
		name    string
		page    string
		want    []string
		wantErr bool
	}{
		{
			name: "rows of the table, sorted",
			page: "# T\n\n| case id | spec | chrome | source |\n|---|---|---|---|\n" +
				"| `safelist/b` | x | y | z |\n| `acah/a-1` | x | y | z |\n",
			want: []string{"acah/a-1", "safelist/b"},
		},
		{
			name: "prose, headers and non-id first cells are not rows",
			page: "Mentions `acah/a` in prose.\n| case id | spec |\n| `Origin` | header |\n" +
				"| acah/unquoted | x |\n|`redirect/c`|x|\n",
			want: []string{"redirect/c"},
		},
		{
			name: "no table",
			page: "# Nothing recorded\n",
			want: nil,
		},
		{
			name:    "a case listed twice",
			page:    "| `acah/a` | x |\n| `acah/a` | y |\n",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := documentedIDs(strings.NewReader(tt.page))
			if (err != nil) != tt.wantErr {
				t.Fatalf("documentedIDs() error = %v, want error: %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("documentedIDs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDivergencesDocumented keeps docs/chrome-divergences.md and the table
// in step: the page must list exactly the cases whose browsers.chrome
// records a divergence.
func TestDivergencesDocumented(t *testing.T) {
	tb, err := cases.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, c := range tb.Cases {
		if c.Browsers != nil && c.Browsers.Chrome != nil {
			recorded = append(recorded, c.ID)
		}
	}
	sort.Strings(recorded)
	if len(recorded) == 0 {
		t.Fatal("no case of the embedded table records browsers.chrome; the table is not the one this test knows")
	}

	f, err := os.Open(divergencesDoc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	documented, err := documentedIDs(f)
	if err != nil {
		t.Fatalf("%s: %v", divergencesDoc, err)
	}
	if diff := cmp.Diff(recorded, documented); diff != "" {
		t.Errorf("cases with browsers.chrome (-) vs rows of %s (+) differ; add the missing rows or records:\n%s", divergencesDoc, diff)
	}
}
