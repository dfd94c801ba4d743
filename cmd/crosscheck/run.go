package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func init() {
	register(command{name: "run", summary: "certify a server against its declared CORS policy", run: runCmd})
}

const runUsage = `Usage: crosscheck run --target URL --policy FILE [flags]
       crosscheck run --openapi FILE [--server URL] [--policy FILE] [flags]
       crosscheck run                  (certify the embedded demo targets)

Sends the requests a browser would make for the policy — allowed origins,
methods and headers, hostile origin variants, unlisted methods and headers,
requests without Origin — to URL, and judges every real response with the
Fetch Standard model, including what browsers cache from the allowed
preflights: for how long (against "maxAge") and which later requests they
let go without a preflight. Every probe goes to URL itself: point it at an endpoint
that is safe to call with the policy's methods (unlisted methods are only
ever sent as preflights). Redirects are not followed.

The policy file is JSON:
  {"allowOrigins": ["https://app.example.com", "https://*.example.org"],
   "allowMethods": ["GET", "POST"], "allowHeaders": ["Content-Type"],
   "exposeHeaders": ["X-Total-Count"], "allowCredentials": true, "maxAge": 600}

With --openapi, every operation of an OpenAPI 3 document is certified
against its own policy (x-cors in the document, or --policy mapping path
patterns to policies); see docs/openapi.md.

Without --target, run starts the demo targets on 127.0.0.1 (a correct server
and flawed ones, all declaring the same policy) and certifies each. The demo
exits 0 when every demo target yields exactly the findings it is built to
show, since that is what it demonstrates.

Every finding has a severity decided from its evidence — high, medium, low
or info (who can exploit it: anyone, the owner's hosts or the network path,
the victim's machine, nobody through a browser) — and a one-line rationale.
Findings at the --fail-on severity or above fail the run; the others are
reported only. 'crosscheck findings CODE' explains each code offline.

Exit codes: 0 no finding at --fail-on or above (demo: every target as
expected), 1 findings at --fail-on or above (demo: a target did not yield
its expected findings), 2 could not run (bad flags or policy, unreachable
or broken target).

Flags:
`

// runFlags are the parsed flags of `crosscheck run`.
type runFlags struct {
	target, policy, format string
	opts                   runner.Options
	openapiFlags           // --openapi, --server, --shard (run_openapi.go)
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return runMain(ctx, args, stdout, stderr)
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, code := parseRunFlags(args, stdout, stderr)
	if f == nil {
		return code
	}
	if f.openapi != "" {
		return runOpenAPI(ctx, f, stdout, stderr)
	}
	if f.target == "" {
		return runDemo(ctx, f, stdout, stderr)
	}
	p, err := runner.LoadPolicy(f.policy)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck run: %v\n", err)
		return exitError
	}
	rep, err := runner.Certify(ctx, f.target, p, f.opts)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck run: %s\n", oneLine(err))
		return exitError
	}
	if err := writeReport(stdout, f.format, rep); err != nil {
		fmt.Fprintf(stderr, "crosscheck run: writing report: %v\n", err)
		return exitError
	}
	if failing := rep.Failing(); len(failing) > 0 {
		fmt.Fprintf(stderr, "crosscheck run: %s: %d findings at %s or above: %s\n", f.target, len(failing), rep.FailOn,
			joinCodes((&runner.Report{Findings: failing}).Codes()))
		return exitFindings
	}
	return exitOK
}

// parseRunFlags returns nil and the exit code when the command should stop
// (help or bad flags).
func parseRunFlags(args []string, stdout, stderr io.Writer) (*runFlags, int) {
	f := &runFlags{}
	fs := flag.NewFlagSet("crosscheck run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.target, "target", "", "absolute http(s) `URL` to certify (omit for the demo)")
	fs.StringVar(&f.policy, "policy", "", "policy `FILE` (JSON) the target declares")
	fs.StringVar(&f.format, "format", "text", "report format: text, json, junit or sarif")
	f.opts.FailOn = runner.DefaultFailOn
	fs.Func("fail-on", "fail on findings of this `severity` or above: high, medium, low or info (default low)", func(s string) error {
		sev, err := runner.ParseSeverity(s)
		if err != nil {
			return errors.New("want high, medium, low or info")
		}
		f.opts.FailOn = sev
		return nil
	})
	fs.DurationVar(&f.opts.Timeout, "timeout", runner.DefaultTimeout, "deadline for each request")
	fs.IntVar(&f.opts.Concurrency, "concurrency", runner.DefaultConcurrency, "probes in flight at once")
	fs.Func("rate", "at most `N/s` requests per second (0 = unlimited)", func(s string) error {
		n, err := strconv.ParseFloat(strings.TrimSuffix(s, "/s"), 64)
		if err != nil || n < 0 {
			return errors.New("want a number of requests per second, such as 20/s")
		}
		f.opts.Rate = n
		return nil
	})
	fs.Func("header", "extra request header `'Name: value'` sent with every request (repeatable)", func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		name = strings.TrimSpace(name)
		if !ok || !spec.IsToken(name) || strings.ContainsAny(value, "\r\n\x00") {
			return errors.New("want 'Name: value'")
		}
		f.opts.Headers = append(f.opts.Headers, spec.Header{Name: name, Value: strings.TrimSpace(value)})
		return nil
	})
	f.openapiFlags.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK
		}
		return nil, exitError
	}
	var probs []string
	if fs.NArg() > 0 {
		probs = append(probs, fmt.Sprintf("unexpected arguments: %s", strings.Join(fs.Args(), " ")))
	}
	if !slices.Contains([]string{"text", "json", "junit", "sarif"}, f.format) {
		probs = append(probs, fmt.Sprintf("--format %q: want text, json, junit or sarif", f.format))
	}
	if f.opts.Timeout <= 0 {
		probs = append(probs, "--timeout must be positive")
	}
	if f.opts.Concurrency < 1 {
		probs = append(probs, "--concurrency must be at least 1")
	}
	switch {
	case f.openapi != "" || f.server != "" || f.shard != "":
		probs = append(probs, f.openapiFlags.problems(f.target)...)
	case f.target != "" && f.policy == "":
		probs = append(probs, "--target needs --policy")
	case f.target == "" && f.policy != "":
		probs = append(probs, "--policy needs --target (without both, run certifies the demo targets)")
	}
	if len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintf(stderr, "crosscheck run: %s\n", p)
		}
		return nil, exitError
	}
	return f, 0
}

func writeReport(w io.Writer, format string, rep *runner.Report) error {
	switch format {
	case "json":
		return runner.WriteJSON(w, rep)
	case "junit":
		return runner.WriteJUnit(w, rep)
	case "sarif":
		return runner.WriteSARIF(w, rep)
	}
	return runner.WriteText(w, rep)
}

// demoResult is one demo target's outcome.
type demoResult struct {
	target demo.Target
	report *runner.Report
	got    []string
}

func (d demoResult) asExpected() bool { return slices.Equal(d.target.Expected, d.got) }

// runDemo serves each demo target on 127.0.0.1, certifies it against the
// demo policy and prints every report, then a summary.
func runDemo(ctx context.Context, f *runFlags, stdout, stderr io.Writer) int {
	p, err := runner.ParsePolicy("demo policy", demo.PolicyJSON)
	if err != nil {
		fmt.Fprintf(stderr, "crosscheck run: %v\n", err)
		return exitError
	}
	var results []demoResult
	for _, t := range demo.Targets() {
		rep, err := certifyDemo(ctx, t, p, f.opts)
		if err != nil {
			fmt.Fprintf(stderr, "crosscheck run: demo %s: %s\n", t.Name, oneLine(err))
			return exitError
		}
		d := demoResult{target: t, report: rep}
		for _, c := range rep.Codes() {
			d.got = append(d.got, string(c))
		}
		results = append(results, d)
	}
	var werr error
	switch f.format {
	case "json":
		werr = writeDemoJSON(stdout, results)
	case "junit":
		reports := make([]*runner.Report, len(results))
		for i, d := range results {
			reports[i] = d.report
		}
		werr = runner.WriteJUnitAll(stdout, reports...)
	case "sarif":
		reports := make([]*runner.Report, len(results))
		for i, d := range results {
			reports[i] = d.report
		}
		werr = runner.WriteSARIF(stdout, reports...)
	default:
		werr = writeDemoText(stdout, results)
	}
	if werr != nil {
		fmt.Fprintf(stderr, "crosscheck run: writing report: %v\n", werr)
		return exitError
	}
	for _, d := range results {
		if !d.asExpected() {
			fmt.Fprintf(stderr, "crosscheck run: demo %s: want findings [%s], got [%s]\n",
				d.target.Name, strings.Join(d.target.Expected, ", "), strings.Join(d.got, ", "))
			return exitFindings
		}
	}
	return exitOK
}

// certifyDemo serves t on a fresh 127.0.0.1 port for the time of one run.
func certifyDemo(ctx context.Context, t demo.Target, p runner.Policy, opts runner.Options) (*runner.Report, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on 127.0.0.1: %w", err)
	}
	srv := &http.Server{Handler: t.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	return runner.Certify(ctx, "http://"+ln.Addr().String()+"/api/orders", p, opts)
}

func writeDemoText(w io.Writer, results []demoResult) error {
	var b strings.Builder
	b.WriteString("crosscheck run: no --target, so certifying the embedded demo targets.\n")
	b.WriteString("Each serves on 127.0.0.1 and declares this policy:\n\n")
	for _, line := range strings.Split(strings.TrimSpace(string(demo.PolicyJSON)), "\n") {
		b.WriteString("    " + line + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, d := range results {
		if _, err := fmt.Fprintf(w, "\n=== demo target %q: %s\n\n", d.target.Name, d.target.About); err != nil {
			return err
		}
		if err := runner.WriteText(w, d.report); err != nil {
			return err
		}
	}
	b.Reset()
	b.WriteString("\n=== summary\n\n")
	fmt.Fprintf(&b, "  %-22s %-8s %s\n", "target", "result", "findings")
	for _, d := range results {
		mark := "as expected"
		if !d.asExpected() {
			mark = "UNEXPECTED (want " + orNone(d.target.Expected) + ")"
		}
		fmt.Fprintf(&b, "  %-22s %-8s %s  — %s\n", d.target.Name, verdictWord(d.report), withSeverities(d.report), mark)
	}
	b.WriteString("\nRun against your own server: crosscheck run --target URL --policy FILE\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictWord(r *runner.Report) string {
	if r.Passed() {
		return "PASS"
	}
	return "FAIL"
}

// withSeverities lists the report's codes, each with its worst severity.
func withSeverities(r *runner.Report) string {
	if len(r.Findings) == 0 {
		return "none"
	}
	var parts []string
	for _, c := range r.Codes() {
		var worst runner.Severity
		for _, f := range r.Findings {
			if f.Code == c && (worst == "" || !worst.AtLeast(f.Severity)) {
				worst = f.Severity
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", c, worst))
	}
	return strings.Join(parts, ", ")
}

func orNone(codes []string) string {
	if len(codes) == 0 {
		return "none"
	}
	return strings.Join(codes, ", ")
}

func writeDemoJSON(w io.Writer, results []demoResult) error {
	type target struct {
		Name       string          `json:"name"`
		About      string          `json:"about"`
		Expected   []string        `json:"expected"`
		AsExpected bool            `json:"asExpected"`
		Report     json.RawMessage `json:"report"`
	}
	out := struct {
		Targets []target `json:"targets"`
	}{}
	for _, d := range results {
		var b strings.Builder
		if err := runner.WriteJSON(&b, d.report); err != nil {
			return err
		}
		exp := d.target.Expected
		if exp == nil {
			exp = []string{}
		}
		out.Targets = append(out.Targets, target{d.target.Name, d.target.About, exp, d.asExpected(), json.RawMessage(b.String())})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func joinCodes(cs []runner.Code) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

// oneLine keeps the first line of an error (policy errors list one problem
// per line; those are printed whole elsewhere).
func oneLine(err error) string {
	var pe *runner.PolicyError
	if errors.As(err, &pe) {
		return err.Error()
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
