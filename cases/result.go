package cases

import (
	"strings"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// Result is the comparable part of how an exchange ends: what a case
// expects, and what the model or a browser did. Zero fields in an expected
// Result (nil Preflight, empty BlockedAt and Reason, nil ExposedHeaders,
// nil Sent) mean "not stated" and are not compared; see Diff.
type Result struct {
	Outcome        spec.Outcome `json:"outcome"`
	Preflight      *bool        `json:"preflight,omitempty"`
	BlockedAt      spec.Stage   `json:"blockedAt,omitempty"`
	Reason         spec.Reason  `json:"reason,omitempty"`
	ExposedHeaders []string     `json:"exposedHeaders,omitempty"`
	// Sent is the requests the server receives, in order.
	Sent []Sent `json:"sent,omitempty"`
}

// ResultOf summarizes a model verdict and the requests its trace says the
// browser sends. An allowed verdict's ExposedHeaders is never nil, so that
// it compares equal to an expected [].
func ResultOf(v spec.Verdict, t spec.Trace) Result {
	pre := v.Preflight
	r := Result{Outcome: v.Outcome, Preflight: &pre, BlockedAt: v.Stage, Reason: v.Reason, ExposedHeaders: v.Exposed, Sent: SentOf(t.Sent)}
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
	return Result{Outcome: e.Outcome, Preflight: e.Preflight, BlockedAt: e.BlockedAt, Reason: e.Reason, ExposedHeaders: e.ExposedHeaders}
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
// blockedAt, reason and exposedHeaders replace expect's where given; when
// the outcome differs, only the record's own blockedAt, reason and
// exposedHeaders apply (those left out are not compared).
func (c Case) Want(engine string, version Version) (Result, *BrowserRecord) {
	w := c.Expect.Result()
	if engine == "" {
		return w, nil
	}
	b := c.Browsers.Record(engine, version)
	if b != nil && b.Sent != nil {
		w.Sent = b.Sent
	} else {
		_, t := spec.Explain(c.Exchange())
		w.Sent = SentOf(t.Sent)
	}
	if b == nil {
		return w, nil
	}
	sent := w.Sent
	w = c.Expect.Merge(b)
	w.Sent = sent
	return w, b
}

// Merge returns the expectation with browser record b applied (Sent not
// stated), by the merge rules of Case.Want.
func (e Expect) Merge(b *BrowserRecord) Result {
	w := e.Result()
	if b.Outcome != w.Outcome {
		w.BlockedAt, w.Reason, w.ExposedHeaders = "", "", nil
	}
	w.Outcome = b.Outcome
	if b.Preflight != nil {
		w.Preflight = b.Preflight
	}
	if b.BlockedAt != "" {
		w.BlockedAt = b.BlockedAt
	}
	if b.Reason != "" {
		w.Reason = b.Reason
	}
	if b.ExposedHeaders != nil {
		w.ExposedHeaders = b.ExposedHeaders
	}
	return w
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
	if want.Sent == nil {
		got.Sent = nil
	}
	return got
}

// Compare judges nothing itself: it compares a model verdict for the case
// with the case's expect and returns a cmp.Diff (-want +got), or "" when
// the verdict agrees on every field expect states.
func (c Case) Compare(v spec.Verdict) string {
	w, _ := c.Want("", nil)
	return Diff(w, ResultOf(v, spec.Trace{}))
}

// DiffFields names the fields on which got differs from want, among those
// want states, by their JSON names ("outcome", "preflight", "blockedAt",
// "reason", "exposedHeaders", "sent"); nil when Diff is "".
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
		{"sent", want.Sent, got.Sent},
	} {
		if !cmp.Equal(f.w, f.g) {
			out = append(out, f.name)
		}
	}
	return out
}
