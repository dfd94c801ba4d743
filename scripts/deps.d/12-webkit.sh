#!/usr/bin/env bash
# Debian's WebKitGTK WebDriver (WebKitWebDriver, which drives MiniBrowser
# from libwebkit2gtk-4.1-0) and Xvfb, for the browser verifier's webkit
# engine (browser/webkit*.go). MiniBrowser has no headless mode, so every run
# starts its own Xvfb. Any installed version is accepted.
set -euo pipefail
missing=()
command -v WebKitWebDriver >/dev/null 2>&1 || missing+=(webkit2gtk-driver)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
echo "installing ${missing[*]} (Debian packages) for the WebKit browser tests..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
