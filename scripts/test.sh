#!/usr/bin/env bash
# Runs crosscheck's whole test suite, installing what the tests need first
# (Debian's chromium for the browser verifier, Node packages for the Express
# target, Debian's python3-fastapi for the FastAPI target).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
go test -count=1 ./...
# The middleware targets live in modules of their own, so that crosscheck's
# go.mod does not depend on them; run the tests those modules have.
for mod in $(find internal -name go.mod -not -path '*/node_modules/*' -not -path '*/testdata/*' | sort); do
	dir=$(dirname "$mod")
	if [ -n "$(cd "$dir" && go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...)" ]; then
		(cd "$dir" && go test -count=1 ./...)
	fi
done
