package p

import "testing"

// FuzzNotInTest is not in a _test.go file: go test never runs it.
func FuzzNotInTest(f *testing.F) {}
