package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/spec"
)

func init() {
	register(command{
		name:    "probe",
		summary: "send what a browser sends for one cross-origin request and name the rule that decides it",
		run:     runProbe,
	})
}

const probeUsage = `Usage: crosscheck probe URL --origin ORIGIN [flags]

The live CORS debugger. Sends to URL what a browser on page ORIGIN sends for
fetch(URL, {method, headers, credentials, body}): the CORS preflight the
Fetch Standard model says it needs, then the actual request only if the
preflight passes, then every redirect hop (each judged, with the origin
turning null after a cross-origin redirect, as browsers do). Every answer is
judged with the model; the verdict names the rule that decides, its Fetch
Standard section, the CorsError Chrome reports and the fix, after the raw
exchange.

Example:
  crosscheck probe https://api.example.com/v1/orders --origin https://app.example.com \
      --method PUT -H 'Content-Type: application/json' --credentials include --body '{}'

Requests use the same bounded client as 'crosscheck run': a deadline per
request (--timeout), no redirect followed by the client itself (the probe
follows them, at most 20 as browsers do), at most 64 KiB of response headers
and of body read. Cookies are not sent: the probe has no cookie jar.

Exit status: 0 the browser would hand the response to script, 1 it would
block it (or fetch() rejects the request), 2 could not run (bad flags, an
unreachable or broken server).

Flags:
`

// probeFlags are the parsed flags of `crosscheck probe`.
type probeFlags struct {
	target, origin, method, creds, format string
	headers                               []spec.Header
	body                                  []byte
	timeout                               time.Duration
}

func runProbe(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return probeMain(ctx, args, stdout, stderr)
}

func probeMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, code := parseProbeFlags(args, stdout, stderr)
	if f == nil {
		return code
	}
	req := spec.Request{Origin: f.origin, URL: f.target, Method: f.method, Headers: f.headers,
		Credentials: spec.Credentials(f.creds), HasBody: f.body != nil}
	s := runner.NewSender(runner.Options{Timeout: f.timeout, Concurrency: 1})
	defer s.Close()
	res := probe(ctx, s, req, f.body)
	if f.format == "json" {
		writeProbeJSON(stdout, res)
	} else {
		writeProbeText(stdout, res)
	}
	if res.err != "" {
		fmt.Fprintf(stderr, "crosscheck probe: %s\n", res.err)
		return exitError
	}
	if res.verdict.Outcome == spec.Blocked {
		return exitFindings
	}
	return exitOK
}

// parseProbeFlags returns nil and the exit code when the command should
// stop (help or bad flags). Flags may come before or after URL.
func parseProbeFlags(args []string, stdout, stderr io.Writer) (*probeFlags, int) {
	f := &probeFlags{}
	fs := flag.NewFlagSet("crosscheck probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.origin, "origin", "", "the page's `ORIGIN` (https://app.example.com, or null)")
	fs.StringVar(&f.method, "method", "GET", "request `METHOD`")
	header := func(s string) error {
		name, value, ok := strings.Cut(s, ":")
		name = strings.TrimSpace(name)
		if !ok || !spec.IsToken(name) || strings.ContainsAny(value, "\r\n\x00") {
			return errors.New("want 'Name: value'")
		}
		f.headers = append(f.headers, spec.Header{Name: name, Value: strings.TrimSpace(value)})
		return nil
	}
	fs.Func("H", "request header `'Name: value'` script sets (repeatable)", header)
	fs.Func("header", "same as -H", header)
	fs.StringVar(&f.creds, "credentials", "same-origin", "fetch() credentials mode: omit, same-origin or include")
	fs.Func("body", "request `BODY` (a string, or @FILE to read a file)", func(s string) error {
		if name, ok := strings.CutPrefix(s, "@"); ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			f.body = b
			return nil
		}
		f.body = []byte(s)
		return nil
	})
	fs.DurationVar(&f.timeout, "timeout", runner.DefaultTimeout, "deadline for each request")
	fs.StringVar(&f.format, "format", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), probeUsage)
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK
		}
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, exitError
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	var probs []string
	switch len(positional) {
	case 0:
		probs = append(probs, "want the URL to probe")
	case 1:
		f.target = positional[0]
		if u, err := url.Parse(f.target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			probs = append(probs, fmt.Sprintf("URL %q: want an absolute http or https URL", f.target))
		}
	default:
		probs = append(probs, fmt.Sprintf("want one URL, got %d: %s", len(positional), strings.Join(positional, " ")))
	}
	switch {
	case f.origin == "":
		probs = append(probs, "--origin is required: the origin of the page that calls fetch()")
	case f.origin != "null":
		if _, err := spec.ParseOrigin(f.origin); err != nil {
			probs = append(probs, fmt.Sprintf("--origin %q: %v", f.origin, err))
		}
	}
	switch spec.Credentials(f.creds) {
	case spec.CredentialsOmit, spec.CredentialsSameOrigin, spec.CredentialsInclude:
	default:
		probs = append(probs, fmt.Sprintf("--credentials %q: want omit, same-origin or include", f.creds))
	}
	if f.format != "text" && f.format != "json" {
		probs = append(probs, fmt.Sprintf("--format %q: want text or json", f.format))
	}
	if f.timeout <= 0 {
		probs = append(probs, "--timeout must be positive")
	}
	if len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintf(stderr, "crosscheck probe: %s\n", p)
		}
		return nil, exitError
	}
	return f, 0
}

// probeStep is one request the probe sent and what came back.
type probeStep struct {
	sent spec.SentRequest // what the model said the browser sends
	ex   runner.HTTPExchange
}

// probeResult is a finished probe: the exchange on the wire and the model's
// verdict over it, or err when the probe could not finish.
type probeResult struct {
	req     spec.Request
	steps   []probeStep
	verdict spec.Verdict
	trace   spec.Trace
	err     string
}

// maxProbeRequests bounds the requests of one probe: the model follows at
// most 20 redirects and sends at most one preflight per hop.
const maxProbeRequests = 2 * 22

// probe runs the exchange for req request by request. The model is asked
// after every answer what the browser sends next: spec.Explain over the
// answers so far lists every request sent, and the first one not yet sent
// is the next. The probe ends when the model reaches its verdict from real
// answers only (it lists no request beyond those sent).
func probe(ctx context.Context, s *runner.Sender, req spec.Request, body []byte) probeResult {
	res := probeResult{req: req}
	ex := spec.Exchange{Request: req}
	for {
		v, tr := spec.Explain(ex)
		if len(tr.Sent) <= len(res.steps) {
			res.verdict, res.trace = v, tr
			return res
		}
		if len(res.steps) >= maxProbeRequests {
			res.err = fmt.Sprintf("stopped after %d requests", len(res.steps))
			res.verdict, res.trace = v, tr
			return res
		}
		next := tr.Sent[len(res.steps)]
		method, headers, payload := wireRequest(next, body)
		hx := s.Send(ctx, method, next.URL, headers, payload)
		res.steps = append(res.steps, probeStep{sent: next, ex: hx})
		if hx.Response == nil {
			what := "request"
			if next.Preflight {
				what = "preflight"
			}
			res.err = fmt.Sprintf("%s %s %s: %s (a browser reports a network error; the CORS rules were not reached)", what, method, next.URL, hx.Err)
			res.verdict, res.trace = v, tr
			return res
		}
		answer := spec.Response{Status: hx.Response.Status, Headers: hx.Response.Headers}
		rd, hasLoc := spec.ReceivedRedirect(answer.Status, answer.Headers)
		switch {
		case next.Preflight:
			hop := len(ex.Redirects)
			for len(ex.HopPreflights) <= hop {
				ex.HopPreflights = append(ex.HopPreflights, nil)
			}
			ex.HopPreflights[hop] = &answer
		case isRedirect(answer.Status) && hasLoc:
			ex.Redirects = append(ex.Redirects, rd)
		default:
			ex.Response = answer
		}
	}
}

// wireRequest is the request a browser puts on the wire for one request of
// the model's trace: a preflight carries Origin and the
// Access-Control-Request-* headers; an actual request carries Origin (when
// the browser sends one), the script's headers as the model has them at
// that hop, the Accept and Content-Type fetch() adds when script set none,
// and the body unless the method is GET or HEAD (a 303 or a POST redirected
// by 301/302 has become a GET).
func wireRequest(r spec.SentRequest, body []byte) (method string, headers []spec.Header, payload []byte) {
	if r.Preflight {
		headers = []spec.Header{{Name: "Origin", Value: r.Origin}, {Name: "Access-Control-Request-Method", Value: r.ACRM}}
		if r.ACRH != "" {
			headers = append(headers, spec.Header{Name: "Access-Control-Request-Headers", Value: r.ACRH})
		}
		headers = append(headers, spec.Header{Name: "Accept", Value: "*/*"}, spec.Header{Name: "Sec-Fetch-Mode", Value: "cors"})
		return "OPTIONS", headers, nil
	}
	if r.Origin != "" {
		headers = append(headers, spec.Header{Name: "Origin", Value: r.Origin})
	}
	headers = append(headers, r.Headers...)
	if _, ok := headerValue(r.Headers, "Accept"); !ok {
		headers = append(headers, spec.Header{Name: "Accept", Value: "*/*"})
	}
	if body != nil && r.Method != "GET" && r.Method != "HEAD" {
		payload = body
		if _, ok := headerValue(r.Headers, "Content-Type"); !ok {
			headers = append(headers, spec.Header{Name: "Content-Type", Value: "text/plain;charset=UTF-8"})
		}
	}
	headers = append(headers, spec.Header{Name: "Sec-Fetch-Mode", Value: "cors"})
	return r.Method, headers, payload
}

// isRedirect reports whether status is one fetch follows (with a Location).
func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// headerValue returns the value of the first line named name (any case).
func headerValue(h []spec.Header, name string) (string, bool) {
	for _, x := range h {
		if strings.EqualFold(x.Name, name) {
			return x.Value, true
		}
	}
	return "", false
}

func writeProbeText(w io.Writer, res probeResult) {
	r := res.req
	m := r.Method
	if m == "" {
		m = "GET"
	}
	fmt.Fprintf(w, "probe: fetch(%q, {method: %q, credentials: %q", r.URL, m, string(r.Credentials))
	if len(r.Headers) > 0 {
		fmt.Fprintf(w, ", %d header(s)", len(r.Headers))
	}
	if r.HasBody {
		fmt.Fprint(w, ", body")
	}
	fmt.Fprintf(w, "}) from a page on %s\n", r.Origin)
	if len(res.steps) == 0 {
		fmt.Fprintln(w, "exchange: nothing sent")
	} else {
		fmt.Fprintln(w, "exchange:")
	}
	for i, st := range res.steps {
		kind := "request"
		if st.sent.Preflight {
			kind = "preflight"
		}
		fmt.Fprintf(w, "  #%d %s\n", i+1, kind)
		fmt.Fprintf(w, "  > %s %s\n", st.ex.Request.Method, st.ex.Request.URL)
		for _, h := range st.ex.Request.Headers {
			fmt.Fprintf(w, "  > %s: %s\n", h.Name, h.Value)
		}
		if st.ex.Response == nil {
			fmt.Fprintf(w, "  ! %s\n", st.ex.Err)
			continue
		}
		resp := st.ex.Response
		body := fmt.Sprintf("%d body bytes", resp.BodyBytes)
		if resp.BodyTruncated {
			body = fmt.Sprintf("body cut at %d bytes", resp.BodyBytes)
		}
		fmt.Fprintf(w, "  < %d (%s)\n", resp.Status, body)
		for _, h := range resp.Headers {
			fmt.Fprintf(w, "  < %s: %s\n", h.Name, h.Value)
		}
	}
	if res.err != "" {
		fmt.Fprintf(w, "could not finish: %s\n", res.err)
		return
	}
	writeExplanation(w, res.verdict, res.trace)
	if fix := fixFor(res.verdict, res.trace.Sent, r.Credentials); fix != "" {
		fmt.Fprintln(w, "fix:")
		fmt.Fprintf(w, "  %s\n", fix)
	}
}

// probeJSON is the --format json output of probe.
type probeJSON struct {
	Request     probeRequestJSON   `json:"request"`
	Exchange    []probeStepJSON    `json:"exchange"`
	Error       string             `json:"error,omitempty"`
	Outcome     spec.Outcome       `json:"outcome,omitempty"`
	Stage       spec.Stage         `json:"blockedAt,omitempty"`
	Reason      spec.Reason        `json:"reason,omitempty"`
	Detail      string             `json:"detail,omitempty"`
	Spec        string             `json:"spec,omitempty"`
	ChromeError string             `json:"chromeError,omitempty"`
	Fix         string             `json:"fix,omitempty"`
	Preflights  int                `json:"preflights"`
	Exposed     []string           `json:"exposedHeaders,omitempty"`
	Sent        []spec.SentRequest `json:"sent"`
	Steps       []spec.Step        `json:"steps"`
}

type probeRequestJSON struct {
	Origin      string      `json:"origin"`
	URL         string      `json:"url"`
	Method      string      `json:"method"`
	Headers     [][2]string `json:"headers,omitempty"`
	Credentials string      `json:"credentials"`
	Body        bool        `json:"body"`
}

type probeStepJSON struct {
	Preflight bool               `json:"preflight"`
	Request   probeWireJSON      `json:"request"`
	Response  *probeResponseJSON `json:"response,omitempty"`
	Error     string             `json:"error,omitempty"`
}

type probeWireJSON struct {
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
}

type probeResponseJSON struct {
	Status        int         `json:"status"`
	Headers       [][2]string `json:"headers"`
	BodyBytes     int64       `json:"bodyBytes"`
	BodyTruncated bool        `json:"bodyTruncated,omitempty"`
}

func pairs(h []spec.Header) [][2]string {
	out := make([][2]string, len(h))
	for i, x := range h {
		out[i] = [2]string{x.Name, x.Value}
	}
	return out
}

func writeProbeJSON(w io.Writer, res probeResult) {
	r := res.req
	out := probeJSON{
		Request: probeRequestJSON{Origin: r.Origin, URL: r.URL, Method: r.Method, Credentials: string(r.Credentials), Body: r.HasBody},
		Error:   res.err, Sent: res.trace.Sent, Steps: res.trace.Steps, Exchange: []probeStepJSON{},
	}
	if len(r.Headers) > 0 {
		out.Request.Headers = pairs(r.Headers)
	}
	for _, st := range res.steps {
		step := probeStepJSON{Preflight: st.sent.Preflight, Error: st.ex.Err,
			Request: probeWireJSON{Method: st.ex.Request.Method, URL: st.ex.Request.URL, Headers: pairs(st.ex.Request.Headers)}}
		if resp := st.ex.Response; resp != nil {
			step.Response = &probeResponseJSON{Status: resp.Status, Headers: pairs(resp.Headers), BodyBytes: resp.BodyBytes, BodyTruncated: resp.BodyTruncated}
		}
		out.Exchange = append(out.Exchange, step)
	}
	if res.err == "" {
		v := res.verdict
		out.Outcome, out.Stage, out.Reason, out.Detail = v.Outcome, v.Stage, v.Reason, v.Detail
		out.Spec, out.ChromeError, out.Preflights, out.Exposed = v.SpecURL(), v.ChromeError(), v.Preflights, v.Exposed
		out.Fix = fixFor(v, res.trace.Sent, r.Credentials)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out) //nolint:errcheck // a failed write to stdout has nowhere to be reported
}
