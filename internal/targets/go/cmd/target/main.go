// Command target serves one real Go CORS middleware, configured from a
// crosscheck policy file, on a loopback address, so that crosscheck can
// certify the library as deployed rather than a model of it.
//
// Usage:
//
//	target -impl rs-cors -policy strict.json [-config-origins LIST] [-addr 127.0.0.1:0]
//
// Once listening, target prints its base URL ("http://127.0.0.1:PORT") as
// the first line on stdout and serves until killed. Behind the middleware a
// handler answers every method and path with 200, the body "ok\n" and the
// headers X-Total-Count (a header a policy may expose) and X-Handler: called
// (so a probe shows whether the request reached the application).
//
// When the library cannot express the policy, or refuses the configuration
// (an error or a panic at construction), target prints "n/a: <why>" on
// stderr and exits with status 3, which the matrix shows as "n/a".
// Other failures exit with status 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/crosscheck-dev/crosscheck/internal/targets/serve"
)

// exitNA is the exit status for "this library cannot serve this policy".
const exitNA = 3

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("target", flag.ContinueOnError)
	fs.SetOutput(stderr)
	impl := fs.String("impl", "", "implementation: "+strings.Join(implNames(), ", "))
	flags := serve.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	build, ok := impls[*impl]
	if !ok {
		fmt.Fprintf(stderr, "target: unknown -impl %q (want one of %s)\n", *impl, strings.Join(implNames(), ", "))
		return 2
	}
	p, err := flags.Load()
	if err != nil {
		fmt.Fprintf(stderr, "target: %v\n", err)
		return 2
	}
	srv, err := construct(build, p)
	if err != nil {
		var na *naError
		if errors.As(err, &na) {
			fmt.Fprintf(stderr, "n/a: %s\n", na.why)
			return exitNA
		}
		fmt.Fprintf(stderr, "target: %s: %v\n", *impl, err)
		return 2
	}
	ln, err := serve.Listen(*flags.Addr, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "target: %v\n", err)
		return 2
	}
	if err := srv.serve(ln); err != nil {
		fmt.Fprintf(stderr, "target: serve: %v\n", err)
		return 2
	}
	return 0
}

// construct calls build and turns a panic inside the library's constructor
// (how several libraries reject a configuration) into an n/a error.
func construct(build builder, p policy) (s server, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, &naError{why: fmt.Sprintf("the library refuses this configuration (panic: %v)", r)}
		}
	}()
	return build(p)
}

// naError reports that a library cannot serve a policy as declared.
type naError struct{ why string }

func (e *naError) Error() string { return "n/a: " + e.why }

func notExpressible(format string, args ...any) error {
	return &naError{why: fmt.Sprintf(format, args...)}
}

// server is a configured application ready to serve on a listener.
type server interface {
	serve(ln net.Listener) error
}

// builder configures one library from a policy.
type builder func(p policy) (server, error)

func implNames() []string {
	names := make([]string, 0, len(impls))
	for n := range impls {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
