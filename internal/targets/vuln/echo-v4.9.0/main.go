// Command echo-v4.9.0 serves the CORS middleware of
// github.com/labstack/echo/v4 v4.9.0, a release with a published CORS flaw,
// for crosscheck's regression corpus.
//
// labstack/echo#2400 (fixed by PR #2405 in v4.10.0): with AllowOrigins
// ["*"] and AllowCredentials true, v4.9.0 reflects the request's Origin in
// Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true.
// Later v4 releases answer "*" unless UnsafeWildcardOriginWithAllowCredentials
// is set. The policy is translated exactly as for the current
// release; the corpus entry reproduces the advisory by configuring
// -config-origins "*" while declaring one trusted origin with credentials.
//
// Usage: echo-v4.9.0 -policy FILE [-config-origins LIST] [-addr 127.0.0.1:0]
package main

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

func main() {
	p, ln := serve.Setup()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:     p.AllowOrigins,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}))
	e.Any("/*", echo.WrapHandler(http.HandlerFunc(serve.App)))
	serve.Exit(http.Serve(ln, e))
}
