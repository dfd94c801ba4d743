#!/usr/bin/env bash
# Debian's Chromium, for the browser verifier (browser/).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ]; then exit 0; fi
echo "installing chromium (Debian package) for the browser tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
