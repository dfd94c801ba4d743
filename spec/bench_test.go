package spec

import (
	"strings"
	"testing"
	"time"
)

// Benchmarks are named type=exec/req=… so benchstat -filter can slice them.

func BenchmarkJudge(b *testing.B) {
	simple := Exchange{
		Request: Request{Origin: "https://app.example", URL: "https://api.example/items?page=2", Method: "GET", Credentials: CredentialsInclude},
		Response: Response{Status: 200, Headers: []Header{
			{"Content-Type", "application/json"}, {"Access-Control-Allow-Origin", "https://app.example"},
			{"Access-Control-Allow-Credentials", "true"}, {"Access-Control-Expose-Headers", "X-Total-Count"},
			{"X-Total-Count", "42"}, {"Vary", "Origin"}, {"Date", "Thu, 26 Nov 2026 04:00:00 GMT"},
		}},
	}
	preflighted := Exchange{
		Request: Request{Origin: "https://app.example", URL: "https://api.example/items/7", Method: "PUT", Credentials: CredentialsInclude, HasBody: true,
			Headers: []Header{{"Content-Type", "application/json"}, {"X-Requested-With", "XMLHttpRequest"}, {"Authorization", "Bearer abc"}}},
		Preflight: &Response{Status: 204, Headers: []Header{
			{"Access-Control-Allow-Origin", "https://app.example"}, {"Access-Control-Allow-Credentials", "true"},
			{"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE"}, {"Access-Control-Allow-Headers", "Content-Type, X-Requested-With, Authorization"},
			{"Access-Control-Max-Age", "600"}, {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"},
		}},
		Response: simple.Response,
	}
	for _, bc := range []struct {
		name string
		ex   Exchange
	}{
		{"type=exec/req=simple", simple},
		{"type=exec/req=preflighted", preflighted},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if v := Judge(bc.ex); v.Outcome != Allowed {
				b.Fatalf("benchmark exchange is %s: %s", v.Outcome, v.Reason)
			}
			b.ReportAllocs()
			c0 := cpuNanos()
			for b.Loop() {
				Judge(bc.ex)
			}
			reportCPU(b, c0)
		})
	}
}

// BenchmarkJudgeSequence measures a 5-step sequence on one page against
// one exchange judged alone: a preflighted PUT, three more served by the
// CORS-preflight cache, a wait past max-age, and a fifth preflighted again.
// The budget is 5 times one exchange; "x-single" reports the ratio to the
// preflighted exchange judged alone.
func BenchmarkJudgeSequence(b *testing.B) {
	put := Exchange{
		Request: Request{Origin: "https://app.example", URL: "https://api.example/items/7", Method: "PUT", Credentials: CredentialsInclude, HasBody: true,
			Headers: []Header{{"Content-Type", "application/json"}, {"X-Requested-With", "XMLHttpRequest"}}},
		Preflight: &Response{Status: 204, Headers: []Header{
			{"Access-Control-Allow-Origin", "https://app.example"}, {"Access-Control-Allow-Credentials", "true"},
			{"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE"}, {"Access-Control-Allow-Headers", "Content-Type, X-Requested-With"},
			{"Access-Control-Max-Age", "5"},
		}},
		Response: Response{Status: 200, Headers: []Header{
			{"Content-Type", "application/json"}, {"Access-Control-Allow-Origin", "https://app.example"},
			{"Access-Control-Allow-Credentials", "true"}, {"Vary", "Origin"},
		}},
	}
	steps := []SequenceStep{{Exchange: put}, {WaitMs: 1000, Exchange: put}, {WaitMs: 1000, Exchange: put}, {WaitMs: 1000, Exchange: put}, {WaitMs: 3000, Exchange: put}}
	vs := JudgeSequence(steps)
	for i, want := range []bool{true, false, false, false, true} {
		if vs[i].Outcome != Allowed || vs[i].Preflight != want {
			b.Fatalf("step %d: %s, preflight %v; want allowed, preflight %v", i, vs[i].Outcome, vs[i].Preflight, want)
		}
	}
	b.Run("type=exec/req=sequence-5", func(b *testing.B) {
		b.ReportAllocs()
		c0 := cpuNanos()
		for b.Loop() {
			JudgeSequence(steps)
		}
		reportCPU(b, c0)
		// The ratio to the single exchange: both timed in interleaved
		// rounds of about a millisecond, keeping each one's fastest
		// round, which a loaded machine interrupts least (a
		// sub-benchmark cannot run another benchmark).
		seq, one := time.Duration(1<<62), time.Duration(1<<62)
		for range 40 {
			t0 := time.Now()
			for range 100 {
				JudgeSequence(steps)
			}
			t1 := time.Now()
			for range 500 {
				Judge(put)
			}
			seq, one = min(seq, t1.Sub(t0)/100), min(one, time.Since(t1)/500)
		}
		b.ReportMetric(float64(seq)/float64(one), "x-single")
	})
}

// reportCPU reports the CPU time per operation since c0 (from cpuNanos),
// which a loaded machine does not inflate the way it inflates ns/op.
func reportCPU(b *testing.B, c0 int64) {
	if c1 := cpuNanos(); c0 > 0 && c1 > c0 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkHostileLists measures list parsing and the preflight check on
// adversarial Access-Control-Request-Headers-sized input: 1 MiB of commas.
func BenchmarkHostileLists(b *testing.B) {
	commas := strings.Repeat(",", 1<<20)
	h := []Header{{"Access-Control-Allow-Headers", commas}}
	b.Run("type=exec/req=acah-1MiB-commas", func(b *testing.B) {
		b.SetBytes(int64(len(commas)))
		b.ReportAllocs()
		for b.Loop() {
			ExtractHeaderListValues(h, "Access-Control-Allow-Headers")
		}
	})
	b.Run("type=exec/req=get-decode-split-1MiB-commas", func(b *testing.B) {
		b.SetBytes(int64(len(commas)))
		for b.Loop() {
			GetDecodeSplit(commas)
		}
	})
}
