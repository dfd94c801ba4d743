#!/usr/bin/env bash
# Installs the system packages crosscheck's tests need when they are missing.
# Each scripts/deps.d/*.sh installs one thing and is a no-op when it is there.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in scripts/deps.d/*.sh; do
	[ -e "$f" ] || continue
	bash "$f"
done
