#!/usr/bin/env bash
# Runs crosscheck's whole test suite, installing what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
go test -count=1 ./...
