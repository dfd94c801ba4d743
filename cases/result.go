package cases

import (
	"fmt"
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// Result is the comparable part of how an exchange ends: what a case
// expects, and what the model or a browser did. Zero fields in an expected
// Result (nil Preflight, empty BlockedAt and Reason, nil ExposedHeaders,
// nil Sent) mean "not stated" and are not compared; see Diff.
type Result struct {
	Outcome        spec.Outcome      `json:"outcome"`
	Preflight      *bool             `json:"preflight,omitempty"`
	BlockedAt      spec.Stage        `json:"blockedAt,omitempty"`
	Reason         spec.Reason       `json:"reason,omitempty"`
	ExposedHeaders []string          `json:"exposedHeaders,omitempty"`
	ResponseType   spec.ResponseType `json:"responseType,omitempty"`
	// Sent is the requests the server receives, in order.
	Sent []Sent `json:"sent,omitempty"`
}

// ResultOf summarizes a model verdict and the requests its trace says the
// browser sends. An allowed verdict's ExposedHeaders is never nil, so that
// it compares equal to an expected [].
func ResultOf(v spec.Verdict, t spec.Trace) Result {
	pre := v.Preflight
	r := Result{Outcome: v.Outcome, Preflight: &pre, BlockedAt: v.Stage, Reason: v.Reason, ExposedHeaders: v.Exposed,
		ResponseType: v.ResponseType, Sent: SentOf(t.Sent)}
	if v.Outcome == spec.Allowed && r.ExposedHeaders == nil {
		r.ExposedHeaders = []string{}
	}
	return r
}

// SentOf converts the requests of a model trace into Sent values, as a
// server receives them (no fragment). It never returns nil, so "nothing
// sent" is stated and compared.
func SentOf(reqs []spec.SentRequest) []Sent {
	out := make([]Sent, len(reqs))
	for i, r := range reqs {
		u, _, _ := strings.Cut(r.URL, "#")
		out[i] = Sent{Preflight: r.Preflight, Method: r.Method, URL: u, Origin: r.Origin, ACRM: r.ACRM, ACRH: r.ACRH}
	}
	return out
}

// Result returns the expectation as a Result.
func (e Expect) Result() Result {
	return Result{Outcome: e.Outcome, Preflight: e.Preflight, BlockedAt: e.BlockedAt, Reason: e.Reason,
		ExposedHeaders: e.ExposedHeaders, ResponseType: e.ResponseType}
}

// Want returns what the case expects of engine at version, and the browser
// record applied (nil when none covers the version). For engine "" (the
// spec, and the model) it is expect itself, with Sent not stated. For a
// browser engine it is expect merged with the record whose range contains
// version, and Sent is the record's sent requests when it lists them, else
// the model's trace of the exchange: what the case server must receive.
//
// The merge: the record's outcome replaces expect's; its preflight, when
// given, replaces expect's. When the record's outcome is expect's, its
// blockedAt, reason, exposedHeaders and responseType replace expect's where
// given; when the outcome differs, only the record's own blockedAt, reason,
// exposedHeaders and responseType apply (those left out are not compared).
//
// Want describes a plain case; for a steps case it gives the first step's
// Result (see WantSteps).
func (c Case) Want(engine string, version Version) (Result, *BrowserRecord) {
	rs, b := c.WantSteps(engine, version)
	return rs[0], b
}

// WantSteps is Want for every step of the case, in order (one Result for a
// plain case): each step's expect, merged for a browser engine with the
// record's element for that step, and Sent from the record's element when
// it lists requests, else from the model's trace of that step — where a
// step whose preflight the spec's CORS-preflight cache serves sends none.
func (c Case) WantSteps(engine string, version Version) ([]Result, *BrowserRecord) {
	steps := c.Exchanges()
	out := make([]Result, len(steps))
	for i := range steps {
		out[i] = steps[i].Expect.Result()
	}
	if engine == "" {
		return out, nil
	}
	b := c.Browsers.Record(engine, version)
	var traces []spec.Trace
	for i := range out {
		var r *StepRecord
		if b != nil {
			r = b.step(i, c.IsSequence())
		}
		if r != nil {
			out[i] = steps[i].Expect.mergeStep(r)
		}
		if r != nil && r.Sent != nil {
			out[i].Sent = r.Sent
			continue
		}
		if traces == nil {
			_, traces = c.Model()
		}
		out[i].Sent = SentOf(traces[i].Sent)
	}
	return out, b
}

// step returns the record's element for step i: for a steps case its
// Steps[i] (nil when missing), for a plain case the record itself.
func (b *BrowserRecord) step(i int, sequence bool) *StepRecord {
	if sequence {
		if i < len(b.Steps) {
			return &b.Steps[i]
		}
		return nil
	}
	return &StepRecord{Outcome: b.Outcome, Preflight: b.Preflight, BlockedAt: b.BlockedAt, Reason: b.Reason,
		ExposedHeaders: b.ExposedHeaders, ResponseType: b.ResponseType, Sent: b.Sent}
}

// Merge returns the expectation with browser record b applied (Sent not
// stated), by the merge rules of Case.Want. For a steps case's record use
// the element of b.Steps for the step (MergeStep).
func (e Expect) Merge(b *BrowserRecord) Result {
	return e.mergeStep(b.step(0, false))
}

// MergeStep returns the step's expectation with the engine's StepRecord for
// it applied (Sent not stated), by the merge rules of Case.Want; an empty
// Outcome in r is the expectation's.
func (e Expect) MergeStep(r *StepRecord) Result {
	w := e.mergeStep(r)
	w.Sent = nil
	return w
}

func (e Expect) mergeStep(r *StepRecord) Result {
	w := e.Result()
	if r.Outcome != "" && r.Outcome != w.Outcome {
		w.BlockedAt, w.Reason, w.ExposedHeaders, w.ResponseType = "", "", nil, ""
		w.Outcome = r.Outcome
	}
	if r.Preflight != nil {
		w.Preflight = r.Preflight
	}
	if r.BlockedAt != "" {
		w.BlockedAt = r.BlockedAt
	}
	if r.Reason != "" {
		w.Reason = r.Reason
	}
	if r.ExposedHeaders != nil {
		w.ExposedHeaders = r.ExposedHeaders
	}
	if r.ResponseType != "" {
		w.ResponseType = r.ResponseType
	}
	return w
}

// Model judges the case with crosscheck's model: its exchanges made one
// after the other from one page (spec.ExplainSequence), so that a step's
// preflight may be served by the CORS-preflight cache the steps before it
// filled (a plain case is a sequence of one). It returns a verdict and a
// trace per step.
func (c Case) Model() ([]spec.Verdict, []spec.Trace) {
	return spec.ExplainSequence(c.Sequence())
}

// ModelDiff judges the case with the model and compares each step's
// verdict with its expect: "" when every step agrees, else the cmp.Diff
// (-expect +model) of each step that does not, a steps case's prefixed
// with "step N:" (1-based).
func (c Case) ModelDiff() string {
	vs, _ := spec.ExplainSequence(c.Sequence())
	steps := c.Exchanges()
	var b strings.Builder
	for i, v := range vs {
		if steps[i].Expect.Outcome == "" {
			continue // an exchange to explain may leave expect out
		}
		d := Diff(steps[i].Expect.Result(), ResultOf(v, spec.Trace{}))
		if d == "" {
			continue
		}
		if c.IsSequence() {
			fmt.Fprintf(&b, "step %d:\n", i+1)
		}
		b.WriteString(d)
	}
	return b.String()
}

// Diff compares got with want on the fields want states (Outcome always)
// and returns a cmp.Diff (-want +got), or "" when they agree.
func Diff(want, got Result) string {
	return cmp.Diff(want, masked(want, got))
}

// masked is got with the fields want does not state cleared.
func masked(want, got Result) Result {
	if want.Preflight == nil {
		got.Preflight = nil
	}
	if want.BlockedAt == "" {
		got.BlockedAt = ""
	}
	if want.Reason == "" {
		got.Reason = ""
	}
	if want.ExposedHeaders == nil {
		got.ExposedHeaders = nil
	}
	if want.ResponseType == "" {
		got.ResponseType = ""
	}
	if want.Sent == nil {
		got.Sent = nil
	}
	return got
}

// Compare judges nothing itself: it compares a model verdict for the case
// with the case's expect and returns a cmp.Diff (-want +got), or "" when
// the verdict agrees on every field expect states. For a steps case it
// compares with the first step's expect; ModelDiff judges and compares
// every step.
func (c Case) Compare(v spec.Verdict) string {
	w, _ := c.Want("", nil)
	return Diff(w, ResultOf(v, spec.Trace{}))
}

// DiffFields names the fields on which got differs from want, among those
// want states, by their JSON names ("outcome", "preflight", "blockedAt",
// "reason", "exposedHeaders", "responseType", "sent"); nil when Diff is "".
func DiffFields(want, got Result) []string {
	got = masked(want, got)
	var out []string
	for _, f := range []struct {
		name string
		w, g any
	}{
		{"outcome", want.Outcome, got.Outcome},
		{"preflight", want.Preflight, got.Preflight},
		{"blockedAt", want.BlockedAt, got.BlockedAt},
		{"reason", want.Reason, got.Reason},
		{"exposedHeaders", want.ExposedHeaders, got.ExposedHeaders},
		{"responseType", want.ResponseType, got.ResponseType},
		{"sent", want.Sent, got.Sent},
	} {
		if !cmp.Equal(f.w, f.g) {
			out = append(out, f.name)
		}
	}
	return out
}
