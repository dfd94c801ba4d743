package openapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crosscheck-dev/crosscheck/internal/demo"
	"github.com/crosscheck-dev/crosscheck/runner"
)

// routesDocument is an OpenAPI 3.0 document of n routes: n/2 paths
// /resources{i}/{id}, each with a GET and a PUT, under the demo policy.
func routesDocument(n int) []byte {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: bench, version: '1'}\nservers: [{url: 'https://api.example.com'}]\n")
	b.WriteString("x-cors: {allowOrigins: ['https://app.example.com'], allowMethods: [GET, POST, PUT], allowHeaders: [Content-Type, X-Request-Id], exposeHeaders: [X-Total-Count], allowCredentials: true}\n")
	b.WriteString("paths:\n")
	for i := range n / 2 {
		fmt.Fprintf(&b, "  /resources%d/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: integer, example: %d}}]\n", i, i)
		b.WriteString("    get: {responses: {'200': {description: ok}}}\n    put: {responses: {'200': {description: ok}}}\n")
	}
	return []byte(b.String())
}

// BenchmarkCertifyDocument certifies a 500-route document against one
// correct demo server on 127.0.0.1 (the demo policy's CORS middleware, which
// answers every path), with the CLI's default limits and with more
// concurrency. One op is the whole document: parsing it, and certifying
// every route. Metrics: routes/s and probes/s (HTTP exchanges each count
// as one probe's request: preflights and actual requests).
func BenchmarkCertifyDocument(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: demo.Targets()[0].Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	server := "http://" + ln.Addr().String()
	data := routesDocument(500)
	for _, conc := range []int{runner.DefaultConcurrency, 8, 16} {
		b.Run(fmt.Sprintf("routes=500/conc=%d", conc), func(b *testing.B) {
			var routes, requests int
			for b.Loop() {
				doc, err := Parse("bench.yaml", data, Options{Server: server})
				if err != nil {
					b.Fatal(err)
				}
				rep, err := Certify(context.Background(), doc, doc.Routes, runner.Options{Concurrency: conc})
				if err != nil {
					b.Fatal(err)
				}
				if !rep.Conforms() {
					b.Fatalf("the correct server has findings: %s", verdict(rep))
				}
				routes += len(rep.Routes)
				for _, rr := range rep.Routes {
					for _, p := range rr.Report.Probes {
						if p.Preflight != nil {
							requests++
						}
						if p.Actual != nil {
							requests++
						}
					}
				}
			}
			b.ReportMetric(float64(routes)/b.Elapsed().Seconds(), "routes/s")
			b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "requests/s")
		})
	}
	b.Run("parse/routes=500", func(b *testing.B) {
		for b.Loop() {
			if _, err := Parse("bench.yaml", data, Options{Server: server}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
