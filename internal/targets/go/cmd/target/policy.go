package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// policy is crosscheck's policy file (see runner.Policy). This module keeps
// its own copy of the few fields so that it does not depend on crosscheck;
// the runner validates the file, this only reads it.
type policy struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	MaxAge           *int     `json:"maxAge"`
}

func loadPolicy(path string) (policy, error) {
	var p policy
	if path == "" {
		return p, fmt.Errorf("-policy is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("reading policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("policy %s: %w", path, err)
	}
	if len(p.AllowOrigins) == 0 {
		return p, fmt.Errorf("policy %s: allowOrigins is empty", path)
	}
	return p, nil
}

// anyOrigin reports whether the policy allows every origin ("*").
func (p policy) anyOrigin() bool {
	for _, o := range p.AllowOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// patterns returns the subdomain patterns ("https://*.example.com").
func (p policy) patterns() []string {
	var out []string
	for _, o := range p.AllowOrigins {
		if o != "*" && strings.Contains(o, "*") {
			out = append(out, o)
		}
	}
	return out
}

// maxAge is the declared max-age in seconds, 0 when not declared (every Go
// library here then omits Access-Control-Max-Age).
func (p policy) maxAge() int {
	if p.MaxAge == nil {
		return 0
	}
	return *p.MaxAge
}
