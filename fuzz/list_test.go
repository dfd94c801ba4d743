package fuzz

import (
	"slices"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// listHeaderNames are the `#token` list headers of the CORS protocol.
var listHeaderNames = []string{
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
	"Access-Control-Expose-Headers", "Access-Control-Request-Headers",
}

// FuzzHeaderList checks the header-list parsers on any value:
//
//   - spec.GetDecodeSplit is total and gives at least one element, each
//     without surrounding spaces or tabs; without quotes it is a plain split
//     on commas; a quoted string (any value, escaped) is one element, commas
//     and all; joining its elements with ", "
//     (or with any optional whitespace around the commas) and splitting
//     again gives the same elements;
//   - spec.ExtractHeaderListValues of one line is never "absent"; it is valid
//     exactly when every non-empty comma-separated element is an HTTP token
//     (this test's own reading of the grammar), and then gives those
//     elements in order; the same list re-joined with ", ", spread with
//     extra whitespace, split over several lines or looked up under another
//     casing of the header name gives the same result; its elements are
//     GetDecodeSplit's non-empty ones.
func FuzzHeaderList(f *testing.F) { f.Fuzz(headerListProperties) }

func headerListProperties(t *testing.T, value string) {
	{
		parts := spec.GetDecodeSplit(value)
		if len(parts) == 0 {
			t.Fatalf("GetDecodeSplit(%q) gave no element; want at least one", value)
		}
		for _, p := range parts {
			if strings.Trim(p, " \t") != p {
				t.Errorf("GetDecodeSplit(%q) element %q has surrounding whitespace", value, p)
			}
		}
		if !strings.Contains(value, `"`) {
			var plain []string
			for e := range strings.SplitSeq(value, ",") {
				plain = append(plain, strings.Trim(e, " \t"))
			}
			if !slices.Equal(parts, plain) {
				t.Errorf("GetDecodeSplit(%q) = %q; without quotes it is a plain split on commas: %q", value, parts, plain)
			}
		}
		quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
		if got := spec.GetDecodeSplit("x, " + quoted + " ,y"); !slices.Equal(got, []string{"x", quoted, "y"}) {
			t.Errorf("GetDecodeSplit splits the quoted string %s (the value %q quoted): %q", quoted, value, got)
		}
		for _, sep := range []string{", ", ",", " \t,\t "} {
			joined := strings.Join(parts, sep)
			if again := spec.GetDecodeSplit(joined); !slices.Equal(parts, again) {
				diff := cmp.Diff(parts, again)
				t.Errorf("GetDecodeSplit(%q) then re-joined with %q as %q splits differently (-first +again):\n%s", value, sep, joined, diff)
			}
		}

		name := listHeaderNames[len(value)%len(listHeaderNames)]
		got, st := spec.ExtractHeaderListValues([]spec.Header{{Name: name, Value: value}}, name)
		wantVals, wantValid := tokenList(value)
		switch {
		case st == spec.ListAbsent:
			t.Fatalf("ExtractHeaderListValues(%q) = absent for a present header", value)
		case wantValid && st != spec.ListValid:
			t.Fatalf("ExtractHeaderListValues(%q) = %v, want valid: every element is a token", value, st)
		case !wantValid && st != spec.ListFailure:
			t.Fatalf("ExtractHeaderListValues(%q) = %v %q, want failure: an element is not a token", value, st, got)
		case st == spec.ListFailure:
			if got != nil {
				t.Errorf("ExtractHeaderListValues(%q) failed but returned values %q", value, got)
			}
			return
		}
		if !slices.Equal(wantVals, got) {
			t.Errorf("ExtractHeaderListValues(%q) mismatch (-want +got):\n%s", value, cmp.Diff(wantVals, got))
		}
		var nonEmpty []string
		for _, p := range parts {
			if p != "" {
				nonEmpty = append(nonEmpty, p)
			}
		}
		if !slices.Equal(nonEmpty, got) {
			t.Errorf("ExtractHeaderListValues(%q) = %q but GetDecodeSplit's non-empty elements are %q", value, got, nonEmpty)
		}
		variants := [...]struct {
			what string
			h    []spec.Header
		}{
			{"re-joined with \", \"", []spec.Header{{Name: name, Value: strings.Join(got, ", ")}}},
			{"re-joined with whitespace", []spec.Header{{Name: name, Value: " \t" + strings.Join(got, " \t , \t") + "\t "}}},
			{"name in lower case", []spec.Header{{Name: strings.ToLower(name), Value: value}}},
			{"one line per element", splitLines(name, value)},
		}
		for _, vr := range variants {
			again, st := spec.ExtractHeaderListValues(vr.h, name)
			if st != spec.ListValid || !slices.Equal(again, got) {
				t.Errorf("ExtractHeaderListValues(%q) = %q, but %s (%q) gives %v %q", value, got, vr.what, vr.h, st, again)
			}
		}
	}
}

// tokenList is this test's own reading of a `#token` list value: split on
// commas, strip spaces and tabs, drop empty elements; valid when every
// element left is an HTTP token.
func tokenList(value string) ([]string, bool) {
	out := []string{}
	for e := range strings.SplitSeq(value, ",") {
		e = strings.Trim(e, " \t")
		if e == "" {
			continue
		}
		for i := 0; i < len(e); i++ {
			if !isTChar(e[i]) {
				return nil, false
			}
		}
		out = append(out, e)
	}
	return out, true
}

// isTChar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// splitLines spreads a list value over one header line per comma-separated
// element.
func splitLines(name, value string) []spec.Header {
	var hs []spec.Header
	for e := range strings.SplitSeq(value, ",") {
		hs = append(hs, spec.Header{Name: name, Value: e})
	}
	return hs
}
