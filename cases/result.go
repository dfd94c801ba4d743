package cases

import (
	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// Result is the comparable part of how an exchange ends: what a case
// expects, and what the model or a browser did. Zero fields in an expected
// Result (nil Preflight, empty BlockedAt and Reason, nil ExposedHeaders)
// mean "not stated" and are not compared; see Diff.
type Result struct {
	Outcome        spec.Outcome `json:"outcome"`
	Preflight      *bool        `json:"preflight,omitempty"`
	BlockedAt      spec.Stage   `json:"blockedAt,omitempty"`
	Reason         spec.Reason  `json:"reason,omitempty"`
	ExposedHeaders []string     `json:"exposedHeaders,omitempty"`
}

// ResultOf summarizes a model verdict. An allowed verdict's ExposedHeaders
// is never nil, so that it compares equal to an expected [].
func ResultOf(v spec.Verdict) Result {
	pre := v.Preflight
	r := Result{Outcome: v.Outcome, Preflight: &pre, BlockedAt: v.Stage, Reason: v.Reason, ExposedHeaders: v.Exposed}
	if v.Outcome == spec.Allowed && r.ExposedHeaders == nil {
		r.ExposedHeaders = []string{}
	}
	return r
}

// Result returns the expectation as a Result.
func (e Expect) Result() Result {
	return Result(e)
}

// Want returns what the case expects of a browser: for "chrome", the
// recorded divergence in browsers.chrome merged over expect; for "" (the
// spec, and the model) and for browsers without a recorded divergence,
// expect itself.
//
// The merge: the browser's outcome replaces expect's; its preflight, when
// given, replaces expect's. When the browser's outcome is expect's, its
// blockedAt, reason and exposedHeaders replace expect's where given; when
// the outcome differs, only the browser's own blockedAt, reason and
// exposedHeaders apply (those left out are not compared).
func (c Case) Want(browser string) Result {
	w := c.Expect.Result()
	var b *BrowserExpect
	if browser == "chrome" && c.Browsers != nil {
		b = c.Browsers.Chrome
	}
	if b == nil {
		return w
	}
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
	return cmp.Diff(want, got)
}

// Compare judges nothing itself: it compares a model verdict for the case
// with the case's expect and returns a cmp.Diff (-want +got), or "" when
// the verdict agrees on every field expect states.
func (c Case) Compare(v spec.Verdict) string { return Diff(c.Want(""), ResultOf(v)) }
