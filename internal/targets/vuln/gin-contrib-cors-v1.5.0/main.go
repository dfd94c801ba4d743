// Command gin-contrib-cors-v1.5.0 serves github.com/gin-contrib/cors
// v1.5.0, a release with a published CORS flaw, for crosscheck's
// regression corpus.
//
// CVE-2019-25211 (golang/vulndb#2955):
// with AllowWildcard, a pattern whose "*" is the last character loses the
// character before the "*" as well, so "https://app.example.com/*" (a
// common way to write "this site") becomes the prefix
// "https://app.example.com" and also trusts
// "https://app.example.com.evil.net" and "https://app.example.community".
// Fixed in v1.6.0.
//
// The corpus entry configures "https://app.example.com/*" with
// -config-origins while declaring the policy https://app.example.com.
//
// Usage: gin-contrib-cors-v1.5.0 -policy FILE [-config-origins LIST] [-addr 127.0.0.1:0]
package main

import (
	"io"
	"net/http"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

func main() {
	p, ln := serve.Setup()
	gin.SetMode(gin.ReleaseMode)
	gin.DefaultWriter, gin.DefaultErrorWriter = io.Discard, io.Discard
	r := gin.New()
	r.Use(cors.New(cors.Config{
		AllowOrigins:     p.AllowOrigins,
		AllowWildcard:    true,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           time.Duration(p.MaxAgeSeconds()) * time.Second,
	}))
	r.Any("/*path", gin.WrapF(serve.App))
	serve.Exit(http.Serve(ln, r))
}
