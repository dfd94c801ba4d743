package main

import (
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
)

const (
	ordersDoc    = "testdata/openapi/orders.yaml"
	brokenDoc    = "testdata/openapi/broken.yaml"
	routesPolicy = "testdata/openapi/routes.json"
)

// ordersServer serves the demo middleware (the demo policy, which
// orders.yaml declares) with the given flaws on 127.0.0.1.
func ordersServer(t *testing.T, f demo.Flaw) string {
	t.Helper()
	cfg := demo.Targets()[0].Config
	cfg.Flaws = f
	srv := httptest.NewServer(demo.Handler(cfg))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRunOpenAPI(t *testing.T) {
	correct := ordersServer(t, 0)
	reflecting := ordersServer(t, demo.ReflectOrigin)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string // lines the report must contain
		stderr     []string // lines stderr must contain, in order
		stderrPfx  []string // prefixes of stderr lines, in order (for messages of other packages)
		stdoutNone bool
	}{
		{"a conforming server", []string{"--openapi", ordersDoc, "--server", correct}, exitOK,
			[]string{"  GET /api/orders/{id}  PASS     none (", "PASS  4 routes conform"}, nil, nil, false},
		{"a reflecting server", []string{"--openapi", ordersDoc, "--server", correct + "/", "--server", reflecting}, exitFindings,
			[]string{"=== GET /api/orders/{id}  (getOrder)", "  PUT /api/orders/{id}  FAIL     origin-reflected", "FAIL  4 of 4 probed routes have findings (origin-reflected)"},
			[]string{"crosscheck run: testdata/openapi/orders.yaml: 4 of 4 routes have findings: origin-reflected"}, nil, false},
		{"a policy file with a skip", []string{"--openapi", ordersDoc, "--server", correct, "--policy", routesPolicy}, exitOK,
			[]string{"  PUT /api/orders/{id}  SKIPPED  policy file routes[0] (/api/orders/*): writes are tested elsewhere", "PASS  3 routes conform; 1 not probed"}, nil, nil, false},
		{"a shard", []string{"--openapi", ordersDoc, "--server", correct, "--shard", "2/2"}, exitOK,
			[]string{"  POST /api/orders      PASS", "  PUT /api/orders/{id}  PASS", "PASS  2 routes conform"}, nil, nil, false},
		{"an unreachable server", []string{"--openapi", ordersDoc, "--server", closed, "--timeout", "2s"}, exitError,
			[]string{"  GET /api/orders       ERROR    target " + closed + "/api/orders failed the first request: "},
			[]string{"crosscheck run: testdata/openapi/orders.yaml: 4 of 4 routes could not be certified"}, nil, false},
		{"a broken document", []string{"--openapi", brokenDoc}, exitError, nil, nil, []string{
			`crosscheck run: testdata/openapi/broken.yaml:3: x-cors.allowOrigins[0]: "https://app.example.com/" is not a serialized origin: `,
			`crosscheck run: testdata/openapi/broken.yaml: servers: none: the document's server is then "/", relative to where it is served; give --server URL`,
			`crosscheck run: testdata/openapi/broken.yaml:7: paths["/api/orders/{id}"].get: path parameter {id} is not declared (a parameter with in: path and name: id)`,
		}, true},
		{"a missing document", []string{"--openapi", "testdata/openapi/nope.yaml"}, exitError, nil, nil,
			[]string{"crosscheck run: reading OpenAPI document: "}, true},
		{"--openapi with --target", []string{"--openapi", ordersDoc, "--target", correct}, exitError, nil,
			[]string{"crosscheck run: --openapi and --target exclude each other: the document gives the URLs"}, nil, true},
		{"--server without --openapi", []string{"--server", correct}, exitError, nil,
			[]string{"crosscheck run: --server and --shard need --openapi"}, nil, true},
		{"a bad shard", []string{"--openapi", ordersDoc, "--shard", "3/2"}, exitError, nil,
			[]string{`crosscheck run: --shard "3/2": want K/N with 1 <= K <= N, such as 2/4`}, nil, true},
		{"a bad policy file", []string{"--openapi", ordersDoc, "--policy", ordersDoc}, exitError, nil, nil,
			[]string{"crosscheck run: testdata/openapi/orders.yaml: not a JSON object: "}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if tt.stdoutNone && stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if tt.stderr != nil {
				if diff := cmp.Diff(tt.stderr, lines); diff != "" {
					t.Errorf("stderr mismatch (-want +got):\n%s", diff)
				}
			}
			if tt.stderrPfx != nil {
				if len(lines) != len(tt.stderrPfx) {
					t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(tt.stderrPfx), stderr)
				}
				for i, p := range tt.stderrPfx {
					if !strings.HasPrefix(lines[i], p) {
						t.Errorf("stderr line %d = %q, want prefix %q", i, lines[i], p)
					}
				}
			}
		})
	}
}

// TestRunOpenAPIJSON reads the JSON report back: one entry per route with
// the runner's report of the route inside.
func TestRunOpenAPIJSON(t *testing.T) {
	srv := ordersServer(t, demo.NoVary)
	code, stdout, _ := runCLI(t, "--openapi", ordersDoc, "--server", srv, "--format", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d", code, exitFindings)
	}
	var rep struct {
		Summary map[string]int
		Routes  []struct {
			Method, Path, Result string
			Codes                []string
			Report               struct {
				Target string
				Probes []json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// The runner looks for a missing Vary: Origin on the simple GETs of an
	// allowed and of hostile origins: a route probed with GET has both, a
	// POST or PUT route has the hostile ones only.
	if diff := cmp.Diff(map[string]int{"routes": 4, "pass": 2, "fail": 2, "error": 0, "skipped": 0}, rep.Summary); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
	for _, r := range rep.Routes {
		want := []string{}
		if r.Method == "GET" {
			want = []string{"missing-vary-origin"}
		}
		if !slicesEqual(r.Codes, want) || len(r.Report.Probes) == 0 {
			t.Errorf("%s %s: codes %v, %d probes; want %v and the probes", r.Method, r.Path, r.Codes, len(r.Report.Probes), want)
		}
	}
	if got := rep.Routes[2].Report.Target; got != srv+"/api/orders/7" {
		t.Errorf("route 2 target %q, want %s/api/orders/7", got, srv)
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

// TestRunOpenAPIHelp shows the flags in run --help.
func TestRunOpenAPIHelp(t *testing.T) {
	code, stdout, _ := runCLI(t, "--help")
	for _, want := range []string{"crosscheck run --openapi FILE", "-openapi FILE", "-server URL", "-shard K/N"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("run --help (exit %d) lacks %q", code, want)
		}
	}
}
