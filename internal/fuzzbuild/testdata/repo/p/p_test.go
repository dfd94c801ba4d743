package p

import "testing"

// FuzzA is a target; Fuzzy and FuzzWithT are not (go test would not run them as fuzz targets).
func FuzzA(f *testing.F) {}

func Fuzzy(f *testing.F) {}

func FuzzAB(f *testing.F) {}

func FuzzWithT(t *testing.T) {}
