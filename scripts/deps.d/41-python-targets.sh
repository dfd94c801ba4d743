#!/usr/bin/env bash
# FastAPI / Starlette / uvicorn from Debian for the conformance matrix
# (internal/targets/python). The target runs with Debian's /usr/bin/python3,
# which sees these packages whatever python3 comes first on PATH.
set -euo pipefail
if /usr/bin/python3 -c 'import fastapi, starlette, uvicorn' >/dev/null 2>&1; then exit 0; fi
echo "installing python3-fastapi, python3-starlette, python3-uvicorn (Debian packages) for the Starlette target..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-fastapi python3-starlette python3-uvicorn >/dev/null
