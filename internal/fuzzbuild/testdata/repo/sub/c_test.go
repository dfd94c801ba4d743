package sub

import tt "testing"

func FuzzC(f *tt.F) {}
