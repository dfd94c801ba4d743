package fuzz

import (
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// BenchmarkLists measures the header-list parsers on hostile values of
// growing size (1 KiB, 32 KiB, 1 MiB): commas only (rs/cors#170,
// go-chi/cors#36), ", " pairs, and a quoted string holding every comma. Each
// reports ns/byte: linear time means the figure stays flat as the size
// grows 1024-fold (a quadratic parser's would grow 1024-fold with it).
//
//	go test -run XXX -bench Lists ./fuzz/
func BenchmarkLists(b *testing.B) {
	shapes := []struct {
		name string
		make func(n int) string
	}{
		{"commas", func(n int) string { return strings.Repeat(",", n) }},
		{"comma-space", func(n int) string { return strings.Repeat(", ", n/2) }},
		{"quoted", func(n int) string { return `"` + strings.Repeat(",", n-2) + `"` }},
		{"tokens", func(n int) string { return strings.Repeat("x-a,", n/4) }},
	}
	for _, shape := range shapes {
		for _, size := range []struct {
			name string
			n    int
		}{{"1KiB", 1 << 10}, {"32KiB", 32 << 10}, {"1MiB", 1 << 20}} {
			value := shape.make(size.n)
			h := []spec.Header{{Name: "Access-Control-Allow-Headers", Value: value}}
			b.Run("type=exec/fn=GetDecodeSplit/in="+shape.name+"-"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(value)))
				for b.Loop() {
					spec.GetDecodeSplit(value)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(value)), "ns/byte")
			})
			b.Run("type=exec/fn=ExtractHeaderListValues/in="+shape.name+"-"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(value)))
				for b.Loop() {
					spec.ExtractHeaderListValues(h, "Access-Control-Allow-Headers")
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(value)), "ns/byte")
			})
			// The preflight check looks every CORS-unsafe request header up
			// in Access-Control-Allow-Headers: with a fixed number of
			// request headers it must stay linear in the list.
			req := spec.PreflightRequest{Origin: "https://app.example", Method: "PUT", Credentials: spec.CredentialsOmit,
				Headers: []spec.Header{{Name: "X-A", Value: "1"}, {Name: "X-B", Value: "2"}, {Name: "Authorization", Value: "t"}}}
			resp := spec.Response{Status: 204, Headers: []spec.Header{
				{Name: "Access-Control-Allow-Origin", Value: "https://app.example"},
				{Name: "Access-Control-Allow-Methods", Value: "PUT"},
				{Name: "Access-Control-Allow-Headers", Value: value},
			}}
			b.Run("type=exec/fn=CheckPreflight/in="+shape.name+"-"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(value)))
				for b.Loop() {
					spec.CheckPreflight(req, resp)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(value)), "ns/byte")
			})
		}
	}
}
