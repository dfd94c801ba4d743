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
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"

	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
)

func main() {
	p, ln := setup()
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	a.Use(cors.New(cors.Config{
		AllowOrigins:     strings.Join(p.AllowOrigins, ","),
		AllowMethods:     strings.Join(p.AllowMethods, ","),
		AllowHeaders:     strings.Join(p.AllowHeaders, ","),
		ExposeHeaders:    strings.Join(p.ExposeHeaders, ","),
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.maxAge(),
	}))
	a.All("/*", func(c *fiber.Ctx) error {
		c.Set("Content-Type", "text/plain; charset=utf-8")
		c.Set("X-Total-Count", "42")
		c.Set("X-Handler", "called")
		if c.Method() == fiber.MethodHead {
			return c.SendStatus(fiber.StatusOK)
		}
		return c.Status(fiber.StatusOK).SendString("ok\n")
	})
	fmt.Fprintln(os.Stderr, a.Listener(ln))
	os.Exit(2)
}

// policy is the part of crosscheck's policy file this target reads.
type policy struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	MaxAge           *int     `json:"maxAge"`
}

func (p policy) maxAge() int {
	if p.MaxAge == nil {
		return 0
	}
	return *p.MaxAge
}

// setup reads -policy and listens on -addr (loopback only); it prints the
// base URL on stdout. It exits 2 on any error.
func setup() (policy, net.Listener) {
	policyPath := flag.String("policy", "", "crosscheck policy file (JSON)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback only)")
	configOrigins := flag.String("config-origins", "", "comma-separated origins to configure instead of the policy's (how a corpus entry reproduces an advisory's configuration)")
	flag.Parse()
	var p policy
	data, err := os.ReadFile(*policyPath)
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&p)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "target: policy %q: %v\n", *policyPath, err)
		os.Exit(2)
	}
	if *configOrigins != "" {
		p.AllowOrigins = strings.Split(*configOrigins, ",")
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintf(os.Stderr, "target: -addr %q: must be a loopback host:port\n", *addr)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "target: %v\n", err)
		os.Exit(2)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	return p, ln
}
