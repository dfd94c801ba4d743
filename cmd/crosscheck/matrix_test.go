package main

import (
	"bytes"
	"strings"
	"testing"
)

// The full run is tested in internal/targets/matrix (it starts ~45
// servers); here only the command's flag handling.
func TestMatrixFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "help", args: []string{"--help"}, wantCode: exitOK, wantStderr: "Usage: crosscheck matrix"},
		{name: "unknown flag", args: []string{"-nope"}, wantCode: exitError, wantStderr: "-nope"},
		{name: "stray argument", args: []string{"extra"}, wantCode: exitError, wantStderr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := dispatch(append([]string{"matrix"}, tt.args...), &stdout, &stderr); got != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
