#!/usr/bin/env bash
# Debian's Firefox ESR, for the browser verifier's Firefox engine (browser/firefox*.go).
# Any installed version is accepted; a fresh machine gets the candidate
# (153 ESR from bookworm-security on 2026-12-01). CROSSCHECK_FIREFOX names
# another binary, for example an older ESR unpacked with dpkg -x.
set -euo pipefail
if [ -n "${CROSSCHECK_FIREFOX:-}" ] && [ -x "$CROSSCHECK_FIREFOX" ]; then exit 0; fi
if command -v firefox-esr >/dev/null 2>&1 || [ -x /usr/lib/firefox-esr/firefox-esr ]; then exit 0; fi
echo "installing firefox-esr (Debian package) for the browser tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
