// Command fiber-v2.52.0 serves the CORS middleware of
// github.com/gofiber/fiber/v2 v2.52.0, a release with a published CORS
// flaw, for crosscheck's regression corpus.
//
// CVE-2024-25124 / GHSA-fmg4-x8pw-hjhg: v2.52.0 accepts AllowOrigins "*"
// together with AllowCredentials true and answers
// "Access-Control-Allow-Origin: *" with "Access-Control-Allow-Credentials:
// true", a combination the Fetch standard forbids. Since v2.52.1 the
// constructor panics on this configuration. The policy is translated exactly as for the current
// release; the corpus entry reproduces the advisory by configuring
// -config-origins "*" while declaring one trusted origin with credentials.
//
// Usage: fiber-v2.52.0 -policy FILE [-config-origins LIST] [-addr 127.0.0.1:0]
package main

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

func main() {
	p, ln := serve.Setup()
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	a.Use(cors.New(cors.Config{
		AllowOrigins:     strings.Join(p.AllowOrigins, ","),
		AllowMethods:     strings.Join(p.AllowMethods, ","),
		AllowHeaders:     strings.Join(p.AllowHeaders, ","),
		ExposeHeaders:    strings.Join(p.ExposeHeaders, ","),
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}))
	a.All("/*", func(c *fiber.Ctx) error {
		c.Set("Content-Type", serve.ContentType)
		c.Set(serve.TotalCountHeader, serve.TotalCount)
		c.Set(serve.HandlerHeader, serve.HandlerCalled)
		if c.Method() == fiber.MethodHead {
			return c.SendStatus(fiber.StatusOK)
		}
		return c.Status(fiber.StatusOK).SendString(serve.Body)
	})
	serve.Exit(a.Listener(ln))
}
