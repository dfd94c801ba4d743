"""FastAPI + Starlette's CORSMiddleware, configured from a crosscheck policy
file, served on a loopback address for crosscheck's conformance matrix.

Usage: /usr/bin/python3 server.py POLICY.json
Runs with Debian's interpreter and packages (python3-fastapi,
python3-starlette, python3-uvicorn; see scripts/deps.d). Prints its base URL
("http://127.0.0.1:PORT") as the first stdout line.
"""
import json
import re
import socket
import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse


def pattern_to_regex(pattern):
    """Turns "https://*.example.com" (one or more labels, never the apex)
    into the regex a careful user gives allow_origin_regex (Starlette
    full-matches it)."""
    head, tail = pattern.split("*.", 1)
    return re.escape(head) + r"(?:[a-z0-9-]+\.)+" + re.escape(tail)


def cors_kwargs(p):
    origins = p.get("allowOrigins") or []
    exact = [o for o in origins if "*" not in o or o == "*"]
    patterns = [o for o in origins if "*" in o and o != "*"]
    kw = {
        "allow_origins": exact,
        "allow_methods": p.get("allowMethods") or [],
        "allow_headers": p.get("allowHeaders") or [],
        "expose_headers": p.get("exposeHeaders") or [],
        "allow_credentials": bool(p.get("allowCredentials")),
    }
    if patterns:
        kw["allow_origin_regex"] = "|".join("(?:%s)" % pattern_to_regex(x) for x in patterns)
    if isinstance(p.get("maxAge"), int):
        kw["max_age"] = p["maxAge"]
    return kw


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: server.py POLICY.json\n")
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            policy = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write("target: policy %s: %s\n" % (sys.argv[1], e))
        return 2

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, **cors_kwargs(policy))

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @app.api_route("/{path:path}", methods=methods)
    async def handler(request: Request, path: str):
        body = "" if request.method == "HEAD" else "ok\n"
        return PlainTextResponse(body, headers={"X-Total-Count": "42", "X-Handler": "called"})

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Listen before printing the URL: connections wait in the backlog until
    # uvicorn's loop accepts them, so the caller may connect at once.
    sock.listen(128)
    sys.stdout.write("http://127.0.0.1:%d\n" % sock.getsockname()[1])
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False, date_header=False)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
