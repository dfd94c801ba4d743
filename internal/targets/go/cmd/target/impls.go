package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	gincors "github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
	chicors "github.com/go-chi/cors"
	fiber2 "github.com/gofiber/fiber/v2"
	fibercors "github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v3"
	fiber3cors "github.com/gofiber/fiber/v3/middleware/cors"
	"github.com/gorilla/handlers"
	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"
	echo5 "github.com/labstack/echo/v5"
	echo5mw "github.com/labstack/echo/v5/middleware"
	"github.com/rs/cors"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

// impls maps each -impl name to the function that configures that library
// from a policy. Each translation uses the library's own, documented way of
// expressing the policy; where there is none the row is n/a.
var impls = map[string]builder{
	"rs-cors":          buildRSCors,
	"go-chi-cors":      buildChiCors,
	"gorilla-handlers": buildGorilla,
	"gin-contrib-cors": buildGin,
	"echo":             buildEcho,
	"echo-v5":          buildEcho5,
	"fiber":            buildFiber,
	"fiber-v3":         buildFiber3,
	"nethttp-cop":      buildCOP,
}

// httpServer serves a net/http handler.
type httpServer struct{ h http.Handler }

func (s httpServer) serve(ln net.Listener) error {
	srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// rsCorsOptions is the rs/cors translation, shared by nethttp-cop.
// rs/cors takes "*" and one "*" wildcard per origin natively.
func rsCorsOptions(p policy) cors.Options {
	return cors.Options{
		AllowedOrigins:   p.AllowOrigins,
		AllowedMethods:   p.AllowMethods,
		AllowedHeaders:   p.AllowHeaders,
		ExposedHeaders:   p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}
}

func buildRSCors(p policy) (server, error) {
	return httpServer{cors.New(rsCorsOptions(p)).Handler(http.HandlerFunc(serve.App))}, nil
}

// go-chi/cors is a fork of an older rs/cors with the same Options.
func buildChiCors(p policy) (server, error) {
	h := chicors.Handler(chicors.Options{
		AllowedOrigins:   p.AllowOrigins,
		AllowedMethods:   p.AllowMethods,
		AllowedHeaders:   p.AllowHeaders,
		ExposedHeaders:   p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	})
	return httpServer{h(http.HandlerFunc(serve.App))}, nil
}

// gorilla/handlers matches origins exactly (or "*"); a pattern needs a
// hand-written AllowedOriginValidator, which would certify our code, not
// the library's.
func buildGorilla(p policy) (server, error) {
	if pats := p.Patterns(); len(pats) > 0 {
		return nil, notExpressible("gorilla/handlers has no origin patterns (only exact origins, \"*\" or a hand-written AllowedOriginValidator), so %s cannot be declared", strings.Join(pats, ", "))
	}
	opts := []handlers.CORSOption{
		handlers.AllowedOrigins(p.AllowOrigins),
		handlers.AllowedMethods(p.AllowMethods),
		handlers.AllowedHeaders(p.AllowHeaders),
		handlers.ExposedHeaders(p.ExposeHeaders),
		handlers.MaxAge(p.MaxAgeSeconds()),
	}
	if p.AllowCredentials {
		opts = append(opts, handlers.AllowCredentials())
	}
	return httpServer{handlers.CORS(opts...)(http.HandlerFunc(serve.App))}, nil
}

// gin-contrib/cors: "*" in AllowOrigins allows all; patterns need
// AllowWildcard. Validate errors are the library refusing the config.
func buildGin(p policy) (server, error) {
	gin.SetMode(gin.ReleaseMode)
	gin.DefaultWriter, gin.DefaultErrorWriter = io.Discard, io.Discard
	cfg := gincors.Config{
		AllowOrigins:     p.AllowOrigins,
		AllowWildcard:    len(p.Patterns()) > 0,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           time.Duration(p.MaxAgeSeconds()) * time.Second,
	}
	if err := cfg.Validate(); err != nil {
		return nil, notExpressible("the library refuses this configuration: %v", err)
	}
	r := gin.New()
	r.Use(gincors.New(cfg))
	r.Any("/*path", gin.WrapF(serve.App))
	return httpServer{r}, nil
}

// echo v4: AllowOrigins takes "*" and "*" wildcards natively.
func buildEcho(p policy) (server, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(echomw.CORSWithConfig(echomw.CORSConfig{
		AllowOrigins:     p.AllowOrigins,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}))
	e.Any("/*", echo.WrapHandler(http.HandlerFunc(serve.App)))
	return httpServer{e}, nil
}

// fiber v2: AllowOrigins is one comma-separated string; it takes "*" and
// "scheme://*.domain" subdomain patterns natively.
func buildFiber(p policy) (server, error) {
	a := fiber2.New(fiber2.Config{DisableStartupMessage: true})
	a.Use(fibercors.New(fibercors.Config{
		AllowOrigins:     strings.Join(p.AllowOrigins, ","),
		AllowMethods:     strings.Join(p.AllowMethods, ","),
		AllowHeaders:     strings.Join(p.AllowHeaders, ","),
		ExposeHeaders:    strings.Join(p.ExposeHeaders, ","),
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}))
	a.All("/*", func(c *fiber2.Ctx) error {
		c.Set("Content-Type", "text/plain; charset=utf-8")
		c.Set("X-Total-Count", "42")
		c.Set("X-Handler", "called")
		if c.Method() == fiber2.MethodHead {
			return c.SendStatus(fiber2.StatusOK)
		}
		return c.Status(fiber2.StatusOK).SendString("ok\n")
	})
	return fiberServer{a}, nil
}

type fiberServer struct{ a *fiber2.App }

func (s fiberServer) serve(ln net.Listener) error { return s.a.Listener(ln) }

// echo v5: AllowOrigins are exact origins only (compared case-insensitively);
// anything else takes a hand-written UnsafeAllowOriginFunc, which would
// certify our code, not the library's. "*" allows every origin. Errors from
// ToMiddleware are the library refusing the configuration.
func buildEcho5(p policy) (server, error) {
	if pats := p.Patterns(); len(pats) > 0 {
		return nil, notExpressible("echo v5 has no origin patterns (AllowOrigins are exact origins or \"*\"; anything else needs a hand-written UnsafeAllowOriginFunc), so %s cannot be declared", strings.Join(pats, ", "))
	}
	mw, err := echo5mw.CORSConfig{
		AllowOrigins:     p.AllowOrigins,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}.ToMiddleware()
	if err != nil {
		return nil, notExpressible("the library refuses this configuration: %v", err)
	}
	e := echo5.New()
	e.Use(mw)
	e.Any("/*", echo5.WrapHandler(http.HandlerFunc(serve.App)))
	return httpServer{e}, nil
}

// fiber v3: AllowOrigins, AllowMethods, AllowHeaders and ExposeHeaders are
// slices; "*" and "scheme://*.domain" subdomain patterns are native. The
// constructor panics on a configuration it refuses (n/a).
func buildFiber3(p policy) (server, error) {
	a := fiber.New()
	a.Use(fiber3cors.New(fiber3cors.Config{
		AllowOrigins:     p.AllowOrigins,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.MaxAgeSeconds(),
	}))
	a.All("/*", func(c fiber.Ctx) error {
		c.Set("Content-Type", serve.ContentType)
		c.Set(serve.TotalCountHeader, serve.TotalCount)
		c.Set(serve.HandlerHeader, serve.HandlerCalled)
		if c.Method() == fiber.MethodHead {
			return c.SendStatus(fiber.StatusOK)
		}
		return c.Status(fiber.StatusOK).SendString(serve.Body)
	})
	return fiber3Server{a}, nil
}

type fiber3Server struct{ a *fiber.App }

func (s fiber3Server) serve(ln net.Listener) error {
	return s.a.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
}

// nethttp-cop is Go's net/http.CrossOriginProtection (CSRF protection, not
// CORS: it sends no CORS headers) deployed the way it is meant to be, inside
// a CORS middleware (rs/cors), trusting exactly the policy's origins. The
// row shows whether adding it breaks the declared CORS policy; where it
// differs from the rs-cors row, CrossOriginProtection is the cause.
func buildCOP(p policy) (server, error) {
	if p.AnyOrigin() {
		return nil, notExpressible("CrossOriginProtection has no \"trust every origin\" setting; a public (\"*\") API would not deploy it")
	}
	if pats := p.Patterns(); len(pats) > 0 {
		return nil, notExpressible("CrossOriginProtection.AddTrustedOrigin takes exact origins only, so %s cannot be declared", strings.Join(pats, ", "))
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range p.AllowOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, notExpressible("the library refuses this configuration: %v", err)
		}
	}
	return httpServer{cors.New(rsCorsOptions(p)).Handler(cop.Handler(http.HandlerFunc(serve.App)))}, nil
}
