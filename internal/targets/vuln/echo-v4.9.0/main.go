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
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

func main() {
	p, ln := setup()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:     p.AllowOrigins,
		AllowMethods:     p.AllowMethods,
		AllowHeaders:     p.AllowHeaders,
		ExposeHeaders:    p.ExposeHeaders,
		AllowCredentials: p.AllowCredentials,
		MaxAge:           p.maxAge(),
	}))
	e.Any("/*", echo.WrapHandler(http.HandlerFunc(app)))
	fmt.Fprintln(os.Stderr, http.Serve(ln, e))
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

// app is the application behind the middleware (the same in every target).
func app(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Total-Count", "42")
	w.Header().Set("X-Handler", "called")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, "ok\n")
	}
}
