// Command rs-cors-v1.4.0 serves github.com/rs/cors v1.4.0, a release with a
// published CORS flaw, for crosscheck's regression corpus.
//
// CVE-2018-20744 (golang/vulndb#1792): with
// AllowedOrigins ["*"] and AllowCredentials true, v1.4.0 reflects the
// request's Origin in Access-Control-Allow-Origin together with
// Access-Control-Allow-Credentials: true, so any site can read credentialed
// responses. Fixed in v1.5.0. The policy is translated exactly as for the current
// release; the corpus entry reproduces the advisory by configuring
// -config-origins "*" while declaring one trusted origin with credentials.
//
// Usage: rs-cors-v1.4.0 -policy FILE [-config-origins LIST] [-addr 127.0.0.1:0]
package main

import (
	"net/http"

	"github.com/rs/cors"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

func main() {
	p, ln := serve.Setup()
	h := cors.New(cors.Options{
		AllowedOrigins:   p.AllowOrigins,
		AllowedMethods:   p.AllowMethods,
		AllowedHeaders:   p.AllowHeaders,
		ExposedHeaders:   p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}).Handler(http.HandlerFunc(serve.App))
	serve.Exit(http.Serve(ln, h))
}
