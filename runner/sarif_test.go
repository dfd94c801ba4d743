package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// sarifSchema compiles the official SARIF 2.1.0 schema kept in testdata.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID, Name             string
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Markdown string }
					DefaultConfiguration struct{ Level string }
				}
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			Message             struct{ Text string }
			PartialFingerprints map[string]string
			Locations           []struct {
				PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				LogicalLocations []struct{ Name string }
			}
			Properties struct {
				Severity  string
				Rationale string
				Exchange  struct {
					Origin string
					Actual *struct{ Response struct{ Status int } }
				}
			}
		}
	}
}

// TestWriteSARIF certifies flawed targets, validates the SARIF output
// against the official schema, checks its rules and results against the
// report, and that a second run yields the same partial fingerprints.
func TestWriteSARIF(t *testing.T) {
	sch := sarifSchema(t)
	p, err := runner.ParsePolicy("policy.json", demo.PolicyJSON)
	if err != nil {
		t.Fatal(err)
	}
	var reports []*runner.Report
	for _, f := range []demo.Flaw{demo.DomainSuffix, demo.NoVary | demo.AnyHeader, 0} {
		cfg := demo.Targets()[0].Config
		cfg.Flaws = f
		srv := httptest.NewServer(demo.Handler(cfg))
		defer srv.Close()
		rep, err := runner.Certify(context.Background(), srv.URL+"/api", p, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, rep)
	}
	write := func(reps ...*runner.Report) (sarifDoc, []byte) {
		var b bytes.Buffer
		if err := runner.WriteSARIF(&b, reps...); err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Fatalf("SARIF output is not valid SARIF 2.1.0: %v", err)
		}
		var doc sarifDoc
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		return doc, b.Bytes()
	}
	doc, _ := write(reports...)
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	var ruleIDs []string
	for _, r := range run.Tool.Driver.Rules {
		ruleIDs = append(ruleIDs, r.ID)
		c := runner.Code(r.ID)
		if r.ShortDescription.Text != c.Title() || r.FullDescription.Text == "" || r.Name == "" ||
			!strings.HasPrefix(r.Help.Markdown, "## "+r.ID+"\n") || !strings.Contains(r.Help.Markdown, "**Severity.**") {
			t.Errorf("rule %s: %+v", r.ID, r)
		}
	}
	var codes []string
	for _, c := range runner.AllCodes() {
		codes = append(codes, string(c))
	}
	if diff := cmp.Diff(codes, ruleIDs); diff != "" {
		t.Errorf("rules mismatch (-want +got):\n%s", diff)
	}
	levels := map[runner.Severity]string{runner.High: "error", runner.Medium: "warning", runner.Low: "note", runner.Info: "none"}
	var want, got []string
	for _, rep := range reports {
		for _, f := range rep.Findings {
			want = append(want, strings.Join([]string{string(f.Code), levels[f.Severity], string(f.Severity), rep.Target, f.Probe.ID}, " "))
		}
	}
	fps := map[string]bool{}
	for _, r := range run.Results {
		loc := r.Locations[0]
		got = append(got, strings.Join([]string{r.RuleID, r.Level, r.Properties.Severity, loc.PhysicalLocation.ArtifactLocation.URI, loc.LogicalLocations[0].Name}, " "))
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || r.Properties.Rationale == "" || !strings.Contains(r.Message.Text, r.Properties.Rationale) ||
			r.Properties.Exchange.Origin == "" && r.RuleID != "missing-vary-origin" {
			t.Errorf("result %s: %+v", r.RuleID, r)
		}
		fp := r.PartialFingerprints["crosscheckFinding/v1"]
		if fp == "" || fps[fp] {
			t.Errorf("result %s from %s: fingerprint %q empty or repeated", r.RuleID, loc.LogicalLocations[0].Name, fp)
		}
		fps[fp] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	if len(got) == 0 {
		t.Fatal("no results")
	}

	// The same targets certified again: the same fingerprints.
	var again []*runner.Report
	for _, rep := range reports {
		r2, err := runner.Certify(context.Background(), rep.Target, p, runner.Options{})
		if err != nil {
			t.Fatal(err)
		}
		again = append(again, r2)
	}
	doc2, _ := write(again...)
	var fps2 []string
	for _, r := range doc2.Runs[0].Results {
		fps2 = append(fps2, r.PartialFingerprints["crosscheckFinding/v1"])
	}
	var fps1 []string
	for fp := range fps {
		fps1 = append(fps1, fp)
	}
	slices.Sort(fps1)
	slices.Sort(fps2)
	if diff := cmp.Diff(fps1, fps2); diff != "" {
		t.Errorf("fingerprints changed across runs (-first +second):\n%s", diff)
	}
}

// TestWriteSARIFEmpty: a clean run is valid SARIF with every rule and no
// results.
func TestWriteSARIFEmpty(t *testing.T) {
	sch := sarifSchema(t)
	var b bytes.Buffer
	if err := runner.WriteSARIF(&b, &runner.Report{Target: "http://127.0.0.1/"}); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"results": []`) {
		t.Error("no empty results array")
	}
}

// TestSARIFSchemaRejects: the validator does reject what the schema forbids
// (a wrong version, a bad level), so a passing validation means something.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := sarifSchema(t)
	for _, bad := range []string{
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "critical"}]}]}`,
		`{"version": "2.1.0"}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(inst) == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}
