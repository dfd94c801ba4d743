// Package serve is what every middleware target of crosscheck's
// conformance matrix shares: the policy file it reads, a loopback listener
// that announces its URL, and the application behind the middleware. It is
// a module of its own, with no dependencies, so that each target module
// (the current releases in ../go, each pinned old release in ../vuln/*) can
// use it through a local replace without depending on crosscheck.
package serve

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
)

// Policy is the part of crosscheck's policy file (runner.Policy) a target
// reads; the runner validates the file, a target only reads it.
type Policy struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowMethods     []string `json:"allowMethods"`
	AllowHeaders     []string `json:"allowHeaders"`
	ExposeHeaders    []string `json:"exposeHeaders"`
	AllowCredentials bool     `json:"allowCredentials"`
	MaxAge           *int     `json:"maxAge"`
}

// LoadPolicy reads a policy file, refusing unknown fields and an empty
// allowOrigins.
func LoadPolicy(path string) (Policy, error) {
	var p Policy
	if path == "" {
		return p, fmt.Errorf("-policy is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return p, fmt.Errorf("reading policy: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("policy %s: %w", path, err)
	}
	if len(p.AllowOrigins) == 0 {
		return p, fmt.Errorf("policy %s: allowOrigins is empty", path)
	}
	return p, nil
}

// AnyOrigin reports whether the policy allows every origin ("*").
func (p Policy) AnyOrigin() bool {
	for _, o := range p.AllowOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// Patterns returns the subdomain patterns ("https://*.example.com").
func (p Policy) Patterns() []string {
	var out []string
	for _, o := range p.AllowOrigins {
		if o != "*" && strings.Contains(o, "*") {
			out = append(out, o)
		}
	}
	return out
}

// MaxAgeSeconds is the declared max-age, 0 when not declared (every Go
// library here then omits Access-Control-Max-Age).
func (p Policy) MaxAgeSeconds() int {
	if p.MaxAge == nil {
		return 0
	}
	return *p.MaxAge
}

// Flags are the command-line flags every target takes.
type Flags struct {
	Policy        *string
	Addr          *string
	ConfigOrigins *string
}

// AddFlags defines -policy, -addr and -config-origins on fs.
func AddFlags(fs *flag.FlagSet) Flags {
	return Flags{
		Policy: fs.String("policy", "", "crosscheck policy file (JSON)"),
		Addr:   fs.String("addr", "127.0.0.1:0", "listen address (loopback only)"),
		ConfigOrigins: fs.String("config-origins", "", "comma-separated origins to configure instead of the policy's "+
			"(how the regression corpus reproduces an advisory's configuration)"),
	}
}

// Load reads the policy the flags name, with -config-origins applied.
func (f Flags) Load() (Policy, error) {
	p, err := LoadPolicy(*f.Policy)
	if err == nil && *f.ConfigOrigins != "" {
		p.AllowOrigins = strings.Split(*f.ConfigOrigins, ",")
	}
	return p, err
}

// Listen listens on addr, which must be a loopback address, and prints the
// base URL ("http://127.0.0.1:PORT") as a line on stdout.
func Listen(addr string, stdout io.Writer) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return nil, fmt.Errorf("-addr %q: must be a loopback host:port", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	return ln, nil
}

// Setup is a single-library target's start: it parses the process's flags,
// reads the policy and listens. On any error it prints it and exits 2.
func Setup() (Policy, net.Listener) {
	f := AddFlags(flag.CommandLine)
	flag.Parse()
	p, err := f.Load()
	if err == nil {
		var ln net.Listener
		if ln, err = Listen(*f.Addr, os.Stdout); err == nil {
			return p, ln
		}
	}
	Exit(err)
	return p, nil
}

// Exit reports why serving stopped and exits 2.
func Exit(err error) {
	fmt.Fprintf(os.Stderr, "target: %v\n", err)
	os.Exit(2)
}

// The response of the application behind every middleware: 200, the body
// "ok\n", a header a policy may expose, and a marker that shows whether a
// request reached the application.
const (
	Body             = "ok\n"
	ContentType      = "text/plain; charset=utf-8"
	TotalCountHeader = "X-Total-Count"
	TotalCount       = "42"
	HandlerHeader    = "X-Handler"
	HandlerCalled    = "called"
)

// App is the application behind the middleware, for net/http libraries.
func App(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set(TotalCountHeader, TotalCount)
	w.Header().Set(HandlerHeader, HandlerCalled)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.WriteString(w, Body)
	}
}
