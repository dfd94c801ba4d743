#!/usr/bin/env bash
# Express + cors for the conformance matrix (internal/targets/node), pinned by
# package-lock.json and installed with npm ci when node_modules is missing.
set -euo pipefail
cd "$(dirname "$0")/../../internal/targets/node"
if [ -f node_modules/cors/package.json ] && [ -f node_modules/express/package.json ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
	echo "installing nodejs and npm (Debian packages) for the Express target..." >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "installing the Express target's pinned packages (npm ci)..." >&2
npm ci --no-audit --no-fund --loglevel=error >/dev/null
