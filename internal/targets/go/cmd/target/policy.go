package main

import "github.com/crosscheck-dev/crosscheck/internal/targets/serve"

// policy is crosscheck's policy file as a target reads it (see
// runner.Policy); serve keeps the one copy of its fields that the target
// modules share without depending on crosscheck.
type policy = serve.Policy
