package cases

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a browser version as its numeric components: Chromium
// 150.0.7871.100 is [150 0 7871 100], Firefox 153.8.0 is [153 8 0],
// WebKitGTK 2.50.6 is [2 50 6]. Missing trailing components count as 0.
type Version []int

// ParseVersion reads a dotted version such as "150.0.7871.100" or "2.50".
// Anything after the numeric part that starts with a character other than
// a digit or a dot ("153.8.0esr", "150.0.7871.100 (Official Build)") is
// ignored; the numeric part must be non-empty.
func ParseVersion(s string) (Version, error) {
	end := 0
	for end < len(s) && (s[end] == '.' || '0' <= s[end] && s[end] <= '9') {
		end++
	}
	num := s[:end]
	if num == "" || num[0] == '.' || num[len(num)-1] == '.' || strings.Contains(num, "..") {
		return nil, fmt.Errorf("%q is not a version: want numbers separated by dots, like 150 or 150.0.7871.100", s)
	}
	parts := strings.Split(num, ".")
	v := make(Version, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || len(p) > 9 {
			return nil, fmt.Errorf("%q is not a version: component %q is not a number", s, p)
		}
		v[i] = n
	}
	return v, nil
}

// String writes the version with dots.
func (v Version) String() string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ".")
}

// Major is the first component, 0 for an empty version.
func (v Version) Major() int {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// compare orders versions component by component, missing components
// counting as 0: -1 when v < w, 0 when equal, +1 when v > w.
func (v Version) compare(w Version) int {
	for i := 0; i < max(len(v), len(w)); i++ {
		a, b := 0, 0
		if i < len(v) {
			a = v[i]
		}
		if i < len(w) {
			b = w[i]
		}
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}

// next is the smallest version that does not start with v: v with its last
// component increased ("150" → "151", "2.50" → "2.51").
func (v Version) next() Version {
	n := append(Version(nil), v...)
	n[len(n)-1]++
	return n
}

// VersionRange is the set of browser versions a browser record holds for.
// Its text is "*" (every version) or one or more comparators separated by
// spaces, all of which must hold: ">=148", "<=150", ">=148 <157", "=150" or
// just "150". A comparator's version may be shorter than the browser's: it
// then compares only that many leading components, so "<=150" holds for
// every 150.x.y.z, ">=2.50" for WebKitGTK 2.50.6, and "150" for every 150
// build.
type VersionRange struct {
	text string
	// The range is every version v with lo <= v < hi; nil lo means no lower
	// bound and nil hi no upper bound.
	lo, hi Version
}

// AllVersions is the range "*".
var AllVersions = VersionRange{text: "*"}

// ParseVersionRange reads the syntax VersionRange describes. A range no
// version can satisfy (">=157 <=150") is an error.
func ParseVersionRange(s string) (VersionRange, error) {
	r := VersionRange{text: s}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return r, fmt.Errorf("empty: want \"*\" or comparators such as \">=148\", \"<=150\" or \">=148 <=150\"")
	}
	if len(fields) == 1 && fields[0] == "*" {
		return r, nil
	}
	for _, f := range fields {
		op, rest := "=", f
		for _, o := range []string{">=", "<=", ">", "<", "="} {
			if p, ok := strings.CutPrefix(f, o); ok {
				op, rest = o, p
				break
			}
		}
		v, err := ParseVersion(rest)
		if err != nil || v.String() != rest {
			return r, fmt.Errorf("comparator %q: want an operator (>=, <=, >, <, =, or none for =) and a version such as 150 or 2.50", f)
		}
		lo, hi := v, v.next() // "=v": every version starting with v
		switch op {
		case ">=":
			hi = nil
		case ">":
			lo, hi = v.next(), nil
		case "<=":
			lo = nil
		case "<":
			lo, hi = nil, v
		}
		if lo != nil && (r.lo == nil || lo.compare(r.lo) > 0) {
			r.lo = lo
		}
		if hi != nil && (r.hi == nil || hi.compare(r.hi) < 0) {
			r.hi = hi
		}
	}
	if r.empty() {
		return r, fmt.Errorf("%q holds for no version", s)
	}
	return r, nil
}

// MustParseVersionRange is ParseVersionRange for literals in code; it
// panics on a syntax error.
func MustParseVersionRange(s string) VersionRange {
	r, err := ParseVersionRange(s)
	if err != nil {
		panic(err)
	}
	return r
}

func (r VersionRange) empty() bool {
	return r.lo != nil && r.hi != nil && r.lo.compare(r.hi) >= 0
}

// String is the range as written.
func (r VersionRange) String() string {
	if r.text == "" {
		return "*"
	}
	return r.text
}

// Contains reports whether v is in the range. Every range contains an
// unknown (empty) version only when it has no bounds.
func (r VersionRange) Contains(v Version) bool {
	if len(v) == 0 {
		return r.lo == nil && r.hi == nil
	}
	return (r.lo == nil || v.compare(r.lo) >= 0) && (r.hi == nil || v.compare(r.hi) < 0)
}

// Overlaps reports whether some version is in both ranges.
func (r VersionRange) Overlaps(s VersionRange) bool {
	lo, hi := r.lo, r.hi
	if s.lo != nil && (lo == nil || s.lo.compare(lo) > 0) {
		lo = s.lo
	}
	if s.hi != nil && (hi == nil || s.hi.compare(hi) < 0) {
		hi = s.hi
	}
	return lo == nil || hi == nil || lo.compare(hi) < 0
}

// MarshalText writes the range as written.
func (r VersionRange) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses the range syntax.
func (r *VersionRange) UnmarshalText(b []byte) error {
	v, err := ParseVersionRange(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Equal reports whether both ranges hold for the same versions (go-cmp
// uses it to compare ranges).
func (r VersionRange) Equal(s VersionRange) bool {
	eq := func(a, b Version) bool { return (a == nil) == (b == nil) && (a == nil || a.compare(b) == 0) }
	return eq(r.lo, s.lo) && eq(r.hi, s.hi)
}
