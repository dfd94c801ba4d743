// Package targets starts real CORS middlewares on loopback so that
// crosscheck can certify them: the Go libraries (a separate module in
// go/, so crosscheck's own go.mod never depends on them), releases with
// published CORS flaws (one module each in vuln/), Express with the cors
// package (node/) and FastAPI/Starlette (python/). Each target reads a
// crosscheck policy file (policies/), translates it into the library's own
// configuration, prints its base URL and serves until stopped.
//
// [Prepare] builds the Go targets once (go build caches the rest) and
// checks the Node and Python dependencies; [Env.Start] starts one target.
// The conformance matrix (package matrix) drives both.
package targets
