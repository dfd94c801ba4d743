package corstest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/runner/corstest"
)

// recordingT records the failures Certify reports.
type recordingT struct {
	testing.TB
	errors, logs, fatals []string
}

func (r *recordingT) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (*recordingT) Helper() {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingT) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}

var policy = runner.Policy{
	AllowOrigins:     []string{"https://app.example.com"},
	AllowMethods:     []string{"GET", "PUT"},
	AllowCredentials: true,
}

func TestCertify(t *testing.T) {
	cfg := demo.Config{Origins: policy.AllowOrigins, Methods: policy.AllowMethods, Credentials: true}
	tests := []struct {
		name  string
		flaws demo.Flaw
		want  []string // first line of each failure
	}{
		{"correct", 0, nil},
		{"null origin", demo.AllowNull, []string{
			"corstest: null-origin-allowed [high]: the null origin can read responses",
			"corstest: null-origin-allowed [high]: the null origin can read responses",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			c.Flaws = tt.flaws
			rec := &recordingT{}
			rep := corstest.Certify(rec, demo.Handler(c), policy)
			var got []string
			for _, e := range rec.errors {
				first, _, _ := strings.Cut(e, "\n")
				got = append(got, first)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failures mismatch (-want +got):\n%s", diff)
			}
			if len(rec.fatals) > 0 || rep == nil {
				t.Errorf("fatal: %v", rec.fatals)
			}
		})
	}
}

// TestCertifyFailOn: an info finding (a pattern matching the empty label)
// is logged, not failed, under the default threshold, and fails with
// FailOn(runner.Info).
func TestCertifyFailOn(t *testing.T) {
	p := runner.Policy{AllowOrigins: []string{"https://*.example.com"}, AllowMethods: []string{"GET"}, AllowCredentials: true}
	h := demo.Handler(demo.Config{Origins: p.AllowOrigins, Methods: p.AllowMethods, Credentials: true, Flaws: demo.EmptyLabel})
	tests := []struct {
		name           string
		opts           []corstest.Option
		errors, logged int
	}{
		{"default", nil, 0, 2}, // https://.example.com and https://crosscheck..example.com, GET only
		{"fail on info", []corstest.Option{corstest.FailOn(runner.Info)}, 2, 0},
		{"fail on high", []corstest.Option{corstest.FailOn(runner.High)}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingT{}
			rep := corstest.Certify(rec, h, p, tt.opts...)
			if len(rec.errors) != tt.errors || len(rec.logs) != tt.logged || len(rec.fatals) > 0 {
				t.Errorf("errors %q, logs %q, fatals %q; want %d errors, %d logs", rec.errors, rec.logs, rec.fatals, tt.errors, tt.logged)
			}
			if rep == nil || !slices.Equal(rep.Codes(), []runner.Code{runner.OriginEmptyLabel}) {
				t.Errorf("report %v", rep)
			}
		})
	}
	rec := &recordingT{}
	if corstest.Certify(rec, h, p, corstest.FailOn("severe")) != nil || len(rec.fatals) != 1 {
		t.Errorf("a bad threshold: fatals %q", rec.fatals)
	}
}

func TestCertifyBadPolicy(t *testing.T) {
	rec := &recordingT{}
	rep := corstest.Certify(rec, demo.Handler(demo.Config{}), runner.Policy{AllowOrigins: []string{"https://App.example.com"}})
	want := []string{`corstest: allowOrigins[0]: "https://App.example.com" is not a serialized origin: a serialized origin is lowercase`}
	if diff := cmp.Diff(want, rec.fatals); diff != "" || rep != nil {
		t.Errorf("fatals mismatch (-want +got):\n%s", diff)
	}
}
