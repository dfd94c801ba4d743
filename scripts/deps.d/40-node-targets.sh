#!/usr/bin/env bash
# The Node.js targets of the conformance matrix (internal/targets/node:
# Express + cors, Hono, Koa + @koa/cors, Fastify + @fastify/cors), pinned by
# package.json and package-lock.json and installed with npm ci unless
# node_modules already holds every pinned package at its pinned version.
# Fastify 5 and @hono/node-server 2 need Node.js 20 or later: the machines
# this project runs on come with Node.js 20, while Debian bookworm's own
# nodejs package (installed below only when there is no npm at all) is 18,
# so this script stops with a message on anything older than 20.
set -euo pipefail
cd "$(dirname "$0")/../../internal/targets/node"
if ! command -v npm >/dev/null 2>&1; then
	echo "installing nodejs and npm (Debian packages) for the Node targets..." >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "the Node targets need Node.js 20 or later (Fastify 5, @hono/node-server 2); this machine has $(node --version)" >&2
	exit 1
fi
installed() {
	node -e '
		const fs = require("fs");
		const pins = JSON.parse(fs.readFileSync("package.json", "utf8")).dependencies;
		for (const [name, want] of Object.entries(pins)) {
			let got;
			try { got = JSON.parse(fs.readFileSync("node_modules/" + name + "/package.json", "utf8")).version; } catch (e) {}
			if (got !== want) process.exit(1);
		}'
}
if installed; then exit 0; fi
echo "installing the Node targets' pinned packages (npm ci)..." >&2
npm ci --no-audit --no-fund --loglevel=error >/dev/null
