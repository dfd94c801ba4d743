// Package targets starts real CORS middlewares on loopback so that
// crosscheck can certify them: the Go libraries (a separate module in
// go/, so crosscheck's own go.mod never depends on them), releases with
// published CORS flaws (one module each in vuln/), the npm middlewares
// (node/: Express with cors, Hono, Koa with @koa/cors, Fastify with
// @fastify/cors) and FastAPI/Starlette (python/). Each target reads a
// crosscheck policy file (policies/), translates it into the library's own
// configuration, prints its base URL and serves until stopped.
//
// [Prepare] builds each Go target once into a directory shared between
// runs and processes (binaries named by a hash of what they are built
// from) and checks the Node and Python dependencies; [Env.Start] starts
// one target.
// The conformance matrix (package matrix) drives both.
package targets
