#!/usr/bin/env bash
# Runs crosscheck's benchmarks — the figures the README quotes — and keeps
# the raw output in bench.out for benchstat. Run it on a quiet machine:
# every figure is wall time on shared cores.
#
#   ./scripts/bench.sh            all of them (about 2 minutes)
#   ./scripts/bench.sh spec       one package: spec, cases, runner, openapi, har, browser, fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench.out
: > "$out"
run() { echo "== $*" | tee -a "$out"; go test -run '^$' "$@" 2>&1 | tee -a "$out" | grep -E '^(Benchmark|ok|FAIL|---)' ; }
pkgs=("$@")
sel() { [ ${#pkgs[@]} -eq 0 ] && return 0; for p in "${pkgs[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# The model: judging one exchange (goal < 1 µs, <= 2 allocs), a 5-step
# sequence (goal < 5x one exchange) and hostile 1 MiB list values (linear
# time).
sel spec && run -bench 'Judge|HostileLists' -benchtime 1s -count 5 ./spec
# Loading and validating the whole embedded table (goal < 5 ms).
sel cases && run -bench LoadEmbedded -benchtime 300x -count 5 ./cases
# Certifying a target vs a bare net/http loop sending the same probes
# (goal: ratio <= 1.3), and probes per second.
sel runner && run -bench Certify -benchtime 1000x -count 3 ./runner
# An OpenAPI document of 500 routes against a local server (goal < 30 s).
sel openapi && run -bench CertifyDocument -benchtime 3x -count 1 ./openapi
# Reading and judging recorded HAR files.
sel har && run -bench Analyze -benchtime 1s -count 3 ./har
# The whole table in each installed engine, the browser's start and stop
# included, with its peak memory (goals: Chrome < 10 s, Firefox and WebKit
# < 15 s, < 1 GB each).
sel browser && run -bench EmbeddedTable -benchtime 3x -count 1 -timeout 30m ./browser
if [ -d fuzz ]; then sel fuzz && run -bench . -benchtime 1s -count 3 ./fuzz; fi
echo "raw output: $out"
