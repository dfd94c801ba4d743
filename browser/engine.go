package browser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/crosscheck-dev/crosscheck/cases"
)

// Driver is one browser engine the verifier can replay cases in. A driver
// starts its browser, runs batches of prepared cases in pages of the
// cases' origins, and turns what it observed into a verdict in the table's
// terms. Adding an engine is adding one Driver.
type Driver interface {
	// Name is the engine's name in case records: "chrome", "firefox",
	// "webkit".
	Name() string
	// Find locates the engine's browser on this machine. The error, when
	// no browser is installed, wraps ErrNoBrowser and says how to install
	// one.
	Find() error
	// Start launches the browser for one run, every host name mapped to
	// the case server described by env. The browser and everything it
	// wrote are gone once the session's Close returns.
	Start(ctx context.Context, env *Env) (Session, error)
}

// Session is a running browser.
type Session interface {
	// Product is the browser's own name and version, e.g.
	// "Chrome/156.0.8078.114".
	Product() string
	// Version is the browser's version, the one browser records' ranges
	// are matched against.
	Version() cases.Version
	// Run runs the fetches of one batch (every item from the same page)
	// and returns one observation per item, in order, with what script
	// and the engine reported; the verifier adds what the case server
	// received. It may be called from several goroutines at once. An error
	// means the browser or the page failed, not a case.
	Run(ctx context.Context, batch []*item) ([]Observation, error)
	// Judge turns one observation into the engine's verdict. The error
	// says why the observation is not a CORS verdict (the case could not
	// run).
	Judge(c *cases.Case, want cases.Result, o *Observation) (Verdict, error)
	// Close stops the browser (bounded) and removes what it wrote.
	Close()
}

// Env is what a driver needs to reach the case server.
type Env struct {
	// Port is the case server's port on 127.0.0.1. It speaks HTTP/1.1 in
	// clear text and TLS, and is also an HTTP proxy (CONNECT and
	// absolute-form requests) for engines that map hosts through one.
	Port int
	// Cert is the server's certificate, the only one the browser may
	// trust.
	Cert *certificate
	// Authorities are the host:port pairs the cases may load over TLS
	// (every host of the certificate with every port the cases name, 443
	// included), for engines that trust the certificate per host and port.
	Authorities []string
	// Parallel is how many batches the verifier may run at once.
	Parallel int
	// Steps is how many of the run's cases have steps, for engines that
	// run those apart.
	Steps int
	// Log receives progress diagnostics; it is never nil.
	Log io.Writer
}

// batchError is a Session.Run error that concerns only its batch (its
// page could not be set up as the cases need): the verifier reports the
// batch's cases as not run and goes on.
type batchError struct{ msg string }

func (e *batchError) Error() string { return e.msg }

// ErrNoBrowser is returned (wrapped) when an engine's browser is not
// installed.
var ErrNoBrowser = errors.New("browser not found")

// drivers are the engines crosscheck knows, by name.
var drivers = map[string]Driver{}

// register adds a driver; each engine's file calls it from init.
func register(d Driver) { drivers[d.Name()] = d }

// EngineNames lists the engines crosscheck can drive, sorted.
func EngineNames() []string {
	names := make([]string, 0, len(drivers))
	for n := range drivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Installed lists the engines whose browser is installed on this machine.
func Installed() []string {
	var out []string
	for _, n := range EngineNames() {
		if drivers[n].Find() == nil {
			out = append(out, n)
		}
	}
	return out
}

// lookupDrivers returns the drivers for names, or an error naming the
// unknown ones.
func lookupDrivers(names []string) ([]Driver, error) {
	var out []Driver
	var unknown []string
	for _, n := range names {
		if d, ok := drivers[n]; ok {
			out = append(out, d)
		} else {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown engine %s: want %s", strings.Join(unknown, ", "), strings.Join(EngineNames(), ", "))
	}
	return out, nil
}
