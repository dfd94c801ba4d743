package cases

import (
	"reflect"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

func TestVersionRange(t *testing.T) {
	tests := []struct {
		rng  string
		in   []string // versions in the range
		out  []string // versions not in it
		eErr bool
	}{
		{rng: "*", in: []string{"1", "148.0.7778.167", "2.50.6"}},
		{rng: ">=148", in: []string{"148", "148.0.7778.167", "156.0.8078.114"}, out: []string{"147.9.9.9", "100"}},
		{rng: "<=150", in: []string{"150.0.7871.100", "150.99", "148"}, out: []string{"151", "151.0.0.1", "156.0.8078.114"}},
		{rng: "<150", in: []string{"149.9", "148.0.7778.167"}, out: []string{"150", "150.0.7871.100"}},
		{rng: ">150", in: []string{"151", "156.0.8078.114"}, out: []string{"150.0.7871.100", "150"}},
		{rng: "150", in: []string{"150", "150.0.7871.100"}, out: []string{"149", "151.0"}},
		{rng: "=150", in: []string{"150.1"}, out: []string{"151"}},
		{rng: ">=148 <=150", in: []string{"148.0.7778.167", "150.0.7871.100"}, out: []string{"147", "151", "156.0.8078.114"}},
		{rng: ">=2.50", in: []string{"2.50.6", "2.51", "3"}, out: []string{"2.48.9", "2.5"}},
		{rng: "  >=148   <157 ", in: []string{"156.0.8078.114"}, out: []string{"157"}},
		{rng: "", eErr: true},
		{rng: ">=", eErr: true},
		{rng: "~150", eErr: true},
		{rng: ">=1.", eErr: true},
		{rng: "150esr", eErr: true},
		{rng: ">=0150", eErr: true},
		{rng: ">=157 <=150", eErr: true},
		{rng: "* >=1", eErr: true},
	}
	for _, tt := range tests {
		r, err := ParseVersionRange(tt.rng)
		if (err != nil) != tt.eErr {
			t.Errorf("ParseVersionRange(%q) error = %v, want error: %v", tt.rng, err, tt.eErr)
			continue
		}
		for _, s := range tt.in {
			if v, _ := ParseVersion(s); !r.Contains(v) {
				t.Errorf("%q does not contain %s", tt.rng, s)
			}
		}
		for _, s := range tt.out {
			if v, _ := ParseVersion(s); r.Contains(v) {
				t.Errorf("%q contains %s", tt.rng, s)
			}
		}
	}
}

func TestVersionRangeOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"<=150", ">=151", false},
		{"<=150", ">=150", true},
		{"<150", ">=150", false},
		{"150", "150.0.7871", true},
		{"150", "151", false},
		{"*", "150", true},
		{">=148 <=150", ">150", false},
		{">=2.48 <2.50", "2.50", false},
	}
	for _, tt := range tests {
		a, b := MustParseVersionRange(tt.a), MustParseVersionRange(tt.b)
		if got := a.Overlaps(b); got != tt.want {
			t.Errorf("%q overlaps %q = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := b.Overlaps(a); got != tt.want {
			t.Errorf("%q overlaps %q = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{in: "156.0.8078.114", want: "156.0.8078.114"},
		{in: "153.8.0esr", want: "153.8.0"},
		{in: "2.50.6 (WebKitGTK)", want: "2.50.6"},
		{in: "", err: true},
		{in: "esr", err: true},
		{in: ".1", err: true},
		{in: "1..2", err: true},
		{in: "1234567890", err: true},
	}
	for _, tt := range tests {
		v, err := ParseVersion(tt.in)
		if (err != nil) != tt.err || (err == nil && v.String() != tt.want) {
			t.Errorf("ParseVersion(%q) = %v, %v; want %q, error %v", tt.in, v, err, tt.want, tt.err)
		}
	}
}

// TestDiffFieldsCoversResult plants a difference in each field of Result in
// turn and checks that Diff and DiffFields both see it, so that no field
// can be left out of the comparison.
func TestDiffFieldsCoversResult(t *testing.T) {
	yes, no := true, false
	want := Result{Outcome: spec.Blocked, Preflight: &yes, BlockedAt: spec.StagePreflight, Reason: spec.MethodNotAllowed,
		ExposedHeaders: []string{"x-a"}, ResponseType: spec.ResponseCORS, Sent: []Sent{{Preflight: true, Method: "OPTIONS", URL: "https://api.example/", ACRM: "PUT"}}}
	if f := DiffFields(want, want); f != nil || Diff(want, want) != "" {
		t.Fatalf("a result differs from itself: %v", f)
	}
	planted := map[string]func(r *Result){
		"outcome":        func(r *Result) { r.Outcome = spec.Allowed },
		"preflight":      func(r *Result) { r.Preflight = &no },
		"blockedAt":      func(r *Result) { r.BlockedAt = spec.StageResponse },
		"reason":         func(r *Result) { r.Reason = spec.ACAOMissing },
		"exposedHeaders": func(r *Result) { r.ExposedHeaders = []string{"x-b"} },
		"responseType":   func(r *Result) { r.ResponseType = spec.ResponseBasic },
		"sent": func(r *Result) {
			r.Sent = []Sent{{Preflight: true, Method: "OPTIONS", URL: "https://api.example/", ACRM: "PUT", ACRH: "x"}}
		},
	}
	if n := reflect.TypeOf(Result{}).NumField(); n != len(planted) {
		t.Fatalf("Result has %d fields, the test plants %d", n, len(planted))
	}
	for field, plant := range planted {
		got := want
		plant(&got)
		if f := DiffFields(want, got); len(f) != 1 || f[0] != field {
			t.Errorf("planted %s: DiffFields = %v", field, f)
		}
		if Diff(want, got) == "" {
			t.Errorf("planted %s: Diff is empty", field)
		}
	}
	// Fields want leaves unstated are not compared.
	if f := DiffFields(Result{Outcome: spec.Blocked}, want); f != nil {
		t.Errorf("unstated fields compared: %v", f)
	}
}
