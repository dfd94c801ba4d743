package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"

	"github.com/crosscheck-dev/crosscheck/docs"
)

// SARIF 2.1.0 shapes (OASIS Standard, errata 01): only what crosscheck
// fills in.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name  string      `json:"name"`
		Rules []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string          `json:"id"`
		Name                 string          `json:"name"`
		ShortDescription     sarifText       `json:"shortDescription"`
		FullDescription      sarifText       `json:"fullDescription"`
		Help                 sarifHelp       `json:"help"`
		DefaultConfiguration sarifRuleConfig `json:"defaultConfiguration"`
		Properties           sarifRuleProps  `json:"properties"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifRuleConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags             []string `json:"tags"`
		MaxSeverity      Severity `json:"crosscheckMaxSeverity"`
		SecuritySeverity string   `json:"security-severity"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool           `json:"executionSuccessful"`
		Properties          map[string]any `json:"properties"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		Properties          sarifResultProps  `json:"properties"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical  `json:"physicalLocation"`
		LogicalLocations []sarifLogical `json:"logicalLocations"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifLogical struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
	sarifResultProps struct {
		Severity  Severity  `json:"severity"`
		Rationale string    `json:"rationale"`
		Fails     bool      `json:"fails"`
		Reason    string    `json:"reason,omitempty"`
		SpecURL   string    `json:"specURL,omitempty"`
		Exchange  jsonProbe `json:"exchange"`
	}
)

// sarifLevel maps a severity to a SARIF level: high is an error, medium a
// warning, low a note, info none (reported, nothing to act on by default).
func sarifLevel(s Severity) string {
	switch s {
	case High:
		return "error"
	case Medium:
		return "warning"
	case Low:
		return "note"
	}
	return "none"
}

// securitySeverity is the CVSS-like score code-scanning tools read from a
// rule's "security-severity" property to rank it: high ≥ 7, medium 4–6.9,
// low 0.1–3.9, info 0.
func securitySeverity(s Severity) string {
	switch s {
	case High:
		return "8.0"
	case Medium:
		return "5.5"
	case Low:
		return "3.0"
	}
	return "0.0"
}

// sarifRules describes every finding code, in AllCodes order, with its
// documentation from docs/findings.md as help.
func sarifRules() []sarifRule {
	var rules []sarifRule
	for _, c := range AllCodes() {
		sec, _ := docs.Section(string(c))
		rules = append(rules, sarifRule{
			ID:                   string(c),
			Name:                 ruleName(c),
			ShortDescription:     sarifText{c.Title()},
			FullDescription:      sarifText{means(sec, c)},
			Help:                 sarifHelp{Text: sec, Markdown: sec},
			DefaultConfiguration: sarifRuleConfig{sarifLevel(c.MaxSeverity())},
			Properties: sarifRuleProps{Tags: []string{"security", "cors"}, MaxSeverity: c.MaxSeverity(),
				SecuritySeverity: securitySeverity(c.MaxSeverity())},
		})
	}
	return rules
}

// ruleName turns a kebab-case code into the PascalCase rule name SARIF
// viewers show (origin-reflected → OriginReflected).
func ruleName(c Code) string {
	var b strings.Builder
	for _, w := range strings.Split(string(c), "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// means is the "Means." paragraph of a code's section, as one line of
// plain text; the title when the section has none.
func means(sec string, c Code) string {
	_, rest, ok := strings.Cut(sec, "**Means.**")
	if !ok {
		return c.Title()
	}
	para, _, _ := strings.Cut(rest, "\n\n")
	return strings.Join(strings.Fields(para), " ")
}

// fingerprint is a result's stable identity across runs: the target, the
// code and the probe (its kind, variant, method, headers and origin), none
// of which depends on timing, ports chosen by the runner or response bytes.
func fingerprint(target string, f Finding) string {
	sum := sha256.Sum256([]byte(target + "\x00" + string(f.Code) + "\x00" + f.Probe.ID))
	return hex.EncodeToString(sum[:16])
}

// WriteSARIF writes the reports as one SARIF 2.1.0 log for code-scanning
// tools: one run whose driver has a rule per finding code (help from
// docs/findings.md, default level from the highest severity the code can
// take), and one result per finding, its level from its own severity, the
// target and the probe as its location, the exchange in its property bag,
// and a partial fingerprint that stays the same when the run is repeated.
func WriteSARIF(w io.Writer, reports ...*Report) error {
	rules := sarifRules()
	index := map[Code]int{}
	for i, r := range rules {
		index[Code(r.ID)] = i
	}
	run := sarifRun{Tool: sarifTool{sarifDriver{Name: "crosscheck", Rules: rules}}, Results: []sarifResult{}}
	for _, r := range reports {
		run.Invocations = append(run.Invocations, sarifInvocation{ExecutionSuccessful: true, Properties: map[string]any{
			"target": r.Target, "failOn": r.failOn(), "passed": r.Passed(), "probes": len(r.Probes)}})
		for _, f := range r.Findings {
			msg := f.Detail + ". Severity " + string(f.Severity) + ": " + f.Rationale + ". See `" + f.Code.HelpCommand() + "`."
			run.Results = append(run.Results, sarifResult{
				RuleID: string(f.Code), RuleIndex: index[f.Code], Level: sarifLevel(f.Severity),
				Message: sarifText{msg},
				Locations: []sarifLocation{{
					PhysicalLocation: sarifPhysical{sarifArtifact{r.Target}},
					LogicalLocations: []sarifLogical{{Name: f.Probe.ID, FullyQualifiedName: r.Target + " " + f.Probe.ID, Kind: "resource"}},
				}},
				PartialFingerprints: map[string]string{"crosscheckFinding/v1": fingerprint(r.Target, f)},
				Properties: sarifResultProps{Severity: f.Severity, Rationale: f.Rationale, Fails: f.Severity.AtLeast(r.failOn()),
					Reason: string(f.Reason), SpecURL: f.Reason.SpecURL(), Exchange: probeJSON(f.Probe, nil)},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchemaURI, Version: "2.1.0", Runs: []sarifRun{run}})
}

// sarifSchemaURI is the official schema's own id (OASIS SARIF 2.1.0,
// errata 01), the one runner/testdata/sarif-schema-2.1.0.json holds.
const sarifSchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
