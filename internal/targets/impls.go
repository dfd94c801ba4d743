package targets

// Runtime says how a target is built and started.
type Runtime string

// The runtimes.
const (
	RuntimeGo     Runtime = "go"      // the target binary of module go/, -impl NAME
	RuntimeGoVuln Runtime = "go-vuln" // the binary of module vuln/NAME
	RuntimeNode   Runtime = "node"    // node node/server.js NAME
	RuntimePython Runtime = "python"  // Debian's /usr/bin/python3 python/server.py
)

// Impl is one CORS implementation crosscheck certifies.
type Impl struct {
	// Name identifies the implementation: the -impl value of the Go target,
	// the directory of a vulnerable release, the IMPL argument of
	// node/server.js, or "starlette".
	Name string
	// Library is the package or module that implements CORS.
	Library string
	// Version is the version pinned in the target's go.mod, or the
	// packages package.json pins ("name version, name version"), or the
	// Debian packages' upstream versions.
	Version string
	// Runtime says how the target is built and started.
	Runtime Runtime
	// Note is a short remark shown next to the implementation in the
	// matrix (empty for most).
	Note string
}

// Impls lists the implementations of the conformance matrix (current
// releases), in the matrix's order.
func Impls() []Impl {
	return []Impl{
		{Name: "rs-cors", Library: "github.com/rs/cors", Version: "v1.11.1", Runtime: RuntimeGo},
		{Name: "go-chi-cors", Library: "github.com/go-chi/cors", Version: "v1.2.2", Runtime: RuntimeGo},
		{Name: "gorilla-handlers", Library: "github.com/gorilla/handlers", Version: "v1.5.2", Runtime: RuntimeGo},
		{Name: "gin-contrib-cors", Library: "github.com/gin-contrib/cors", Version: "v1.7.7", Runtime: RuntimeGo},
		{Name: "echo", Library: "github.com/labstack/echo/v4", Version: "v4.16.0", Runtime: RuntimeGo},
		{Name: "echo-v5", Library: "github.com/labstack/echo/v5", Version: "v5.4.4", Runtime: RuntimeGo},
		{Name: "fiber", Library: "github.com/gofiber/fiber/v2", Version: "v2.52.15", Runtime: RuntimeGo},
		{Name: "fiber-v3", Library: "github.com/gofiber/fiber/v3", Version: "v3.1.0", Runtime: RuntimeGo},
		{Name: "nethttp-cop", Library: "net/http CrossOriginProtection (inside rs/cors)", Version: "go1.25+ / rs/cors v1.11.1", Runtime: RuntimeGo,
			Note: "CSRF protection, not CORS: certified as deployed, inside rs/cors; differences from the rs-cors row are its doing"},
		{Name: "express-cors", Library: "express + cors (npm)", Version: "express 5.3.0, cors 2.8.6", Runtime: RuntimeNode},
		{Name: "hono", Library: "hono/cors (npm), on @hono/node-server", Version: "hono 4.13.19, @hono/node-server 2.1.9", Runtime: RuntimeNode},
		{Name: "koa-cors", Library: "koa + @koa/cors (npm)", Version: "koa 3.3.0, @koa/cors 5.0.0", Runtime: RuntimeNode},
		{Name: "fastify-cors", Library: "fastify + @fastify/cors (npm)", Version: "fastify 5.12.8, @fastify/cors 11.4.3", Runtime: RuntimeNode},
		{Name: "starlette", Library: "FastAPI / Starlette CORSMiddleware (Debian)", Version: "starlette 0.26.1, fastapi 0.92.0", Runtime: RuntimePython},
	}
}

// VulnImpls lists the releases with published CORS flaws (the regression
// corpus), each in its own module under vuln/.
func VulnImpls() []Impl {
	return []Impl{
		{Name: "rs-cors-v1.4.0", Library: "github.com/rs/cors", Version: "v1.4.0", Runtime: RuntimeGoVuln},
		{Name: "gin-contrib-cors-v1.5.0", Library: "github.com/gin-contrib/cors", Version: "v1.5.0", Runtime: RuntimeGoVuln},
		{Name: "echo-v4.9.0", Library: "github.com/labstack/echo/v4", Version: "v4.9.0", Runtime: RuntimeGoVuln},
		{Name: "fiber-v2.52.0", Library: "github.com/gofiber/fiber/v2", Version: "v2.52.0", Runtime: RuntimeGoVuln},
	}
}

// Find returns the implementation named name, current or vulnerable.
func Find(name string) (Impl, bool) {
	for _, i := range append(Impls(), VulnImpls()...) {
		if i.Name == name {
			return i, true
		}
	}
	return Impl{}, false
}
