package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestJudgeSequence covers the CORS-preflight cache across the fetches of
// one page: what each step sends depends on what the steps before it
// stored, and on the time waited (fetch.bs: HTTP fetch step "If
// makeCORSPreflight is true and one of these conditions is true", the
// CORS-preflight fetch's cache steps, main fetch's "clear cache entries",
// and the CORS-preflight cache section).
func TestJudgeSequence(t *testing.T) {
	star := hdr("Access-Control-Allow-Origin", "*")
	put := func(url string, creds Credentials, pre []Header, h ...Header) Exchange {
		return Exchange{Request: Request{Origin: page, URL: url, Method: "PUT", Headers: h, Credentials: creds},
			Preflight: &Response{Status: 204, Headers: pre},
			Response:  Response{Status: 200, Headers: allowAll(page)}}
	}
	allowPut := func(extra ...string) []Header {
		return hdr(append([]string{"Access-Control-Allow-Origin", page, "Access-Control-Allow-Credentials", "true", "Access-Control-Allow-Methods", "PUT"}, extra...)...)
	}
	step := func(wait int64, ex Exchange) SequenceStep { return SequenceStep{WaitMs: wait, Exchange: ex} }
	okPre, okHit := allowedAs(ResponseCORS, true), allowedAs(ResponseCORS, false)
	tests := []struct {
		name  string
		steps []SequenceStep
		want  []outcome
	}{
		{"a second PUT within max-age sends no preflight",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))), step(59_000, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60")))},
			[]outcome{okPre, okHit}},
		{"expired at exactly max-age",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "2"))), step(2000, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okPre}},
		{"max-age 0 caches nothing",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "0"))), step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okPre}},
		{"absent max-age: 5 s",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut())), step(4999, put(api, CredentialsOmit, allowPut())), step(1, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okHit, okPre}},
		{"invalid max-age: 5 s",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60s"))), step(4000, put(api, CredentialsOmit, allowPut())), step(2000, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okHit, okPre}},
		{"two max-age lines: 5 s",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60", "Access-Control-Max-Age", "60"))), step(5000, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okPre}},
		{"keyed by URL",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))), step(0, put(api+"?page=2", CredentialsOmit, allowPut()))},
			[]outcome{okPre, okPre}},
		{"an entry without credentials does not serve a credentialed request",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))), step(0, put(api, CredentialsInclude, allowPut("Access-Control-Max-Age", "60"))), step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, okPre, okHit}},
		{"a credentialed entry serves a request without credentials",
			[]SequenceStep{step(0, put(api, CredentialsInclude, allowPut("Access-Control-Max-Age", "60"))), step(0, put(api, CredentialsSameOrigin, allowPut()))},
			[]outcome{okPre, okHit}},
		{"a header name needs its own entry",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60", "Access-Control-Allow-Headers", "x-a"), Header{"X-A", "1"})),
				step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60", "Access-Control-Allow-Headers", "x-b"), Header{"X-B", "1"})),
				step(0, put(api, CredentialsOmit, allowPut(), Header{"x-b", "2"}, Header{"X-A", "3"}))},
			[]outcome{okPre, okPre, okHit}},
		{"* covers any header but Authorization",
			[]SequenceStep{step(0, put(api, CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "*", "Access-Control-Allow-Headers", "*", "Access-Control-Max-Age", "60"), Header{"X-A", "1"})),
				step(0, put(api, CredentialsOmit, nil, Header{"X-Other", "1"})),
				step(0, put(api, CredentialsOmit, hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "authorization"), Header{"Authorization", "Bearer x"}))},
			[]outcome{okPre, okHit, okPre}},
		{"a failed CORS check clears the entries",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))),
				step(0, Exchange{Request: Request{Origin: page, URL: api, Method: "PUT"}, Response: Response{Status: 200}}),
				step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, blockedAt(StageResponse, ACAOMissing, 0, false), okPre}},
		{"a failed simple request clears nothing",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))),
				step(0, Exchange{Request: Request{Origin: page, URL: api}, Response: Response{Status: 200}}),
				step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, blockedAt(StageResponse, ACAOMissing, 0, false), okHit}},
		{"a failed preflight for a header clears the method entry too",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "60"))),
				step(0, put(api, CredentialsOmit, allowPut(), Header{"X-A", "1"})),
				step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{okPre, blockedAt(StagePreflight, HeaderNotAllowed, 0, true), okPre}},
		{"a forced preflight caches its method",
			[]SequenceStep{step(0, Exchange{Request: Request{Origin: page, URL: api, Method: "POST", HasBody: true, ForcePreflight: true}, Preflight: &Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Max-Age", "10")}, Response: Response{Status: 200, Headers: star}}),
				step(9000, Exchange{Request: Request{Origin: page, URL: api, Method: "POST", HasBody: true, BodyType: BodyStream}, Response: Response{Status: 200, Headers: star}})},
			[]outcome{okPre, okHit}},
		{"an update keeps the time an entry was stored",
			[]SequenceStep{step(0, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "3"))),
				step(2000, put(api, CredentialsOmit, allowPut("Access-Control-Max-Age", "3", "Access-Control-Allow-Headers", "x-a"), Header{"X-A", "1"})),
				step(1500, put(api, CredentialsOmit, allowPut())),
				step(0, put(api, CredentialsOmit, allowPut(), Header{"X-A", "1"}))},
			[]outcome{okPre, okPre, okPre, okHit}},
		{"the cache is keyed by the current URL after a redirect",
			[]SequenceStep{step(0, Exchange{Request: Request{Origin: page, URL: page + "/start", Method: "PUT"},
				Preflight: &Response{Status: 204, Headers: allowPut("Access-Control-Max-Age", "60")},
				Redirects: []Redirect{{Status: 307, Location: api}}, Response: Response{Status: 200, Headers: allowAll(page)}}),
				step(0, put(api, CredentialsOmit, nil))},
			[]outcome{okPre, okHit}},
		{"a tainted origin is its own key (null)",
			[]SequenceStep{step(0, Exchange{Request: Request{Origin: page, URL: other, Method: "PUT"},
				Preflight: &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "60")},
				Redirects: []Redirect{{Status: 307, Location: api, Headers: star}}, Response: Response{Status: 200, Headers: star}}),
				step(0, put(api, CredentialsOmit, allowPut()))},
			[]outcome{allowedAs(ResponseCORS, true), okPre}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, traces := ExplainSequence(tt.steps)
			var got []outcome
			for _, v := range vs {
				got = append(got, summary(v))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				var b strings.Builder
				for i, tr := range traces {
					for _, s := range tr.Steps {
						b.WriteString("  step " + string(rune('0'+i)) + ": " + s.Text + "\n")
					}
				}
				t.Errorf("ExplainSequence mismatch (-want +got):\n%s\n%s", diff, b.String())
			}
			var judged []outcome
			for _, v := range JudgeSequence(tt.steps) {
				judged = append(judged, summary(v))
			}
			if diff := cmp.Diff(got, judged); diff != "" {
				t.Errorf("JudgeSequence and ExplainSequence disagree (-explain +judge):\n%s", diff)
			}
			// Every step that sent no preflight where a plain Judge
			// would have was served by the cache, and its trace says so.
			for i, v := range vs {
				if alone := Judge(tt.steps[i].Exchange); alone.Preflight && !v.Preflight {
					if len(traces[i].Cache) == 0 || traces[i].Cache[0].Needed {
						t.Errorf("step %d: no preflight, but the trace shows no cache hit: %+v", i, traces[i].Cache)
					}
				}
			}
		})
	}
}

// TestExplainSequenceNamesTheEntry checks what a cache hit's trace says:
// which entries served and when they expire.
func TestExplainSequenceNamesTheEntry(t *testing.T) {
	pre := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Allow-Headers", "X-A", "Access-Control-Max-Age", "600")}
	ex := Exchange{Request: Request{Origin: page, URL: api, Method: "PUT", Headers: hdr("X-A", "1")}, Preflight: pre,
		Response: Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", page)}}
	_, traces := ExplainSequence([]SequenceStep{{Exchange: ex}, {WaitMs: 1500, Exchange: ex}})
	if len(traces[1].Cache) != 1 {
		t.Fatalf("second step: %d cache lookups, want 1", len(traces[1].Cache))
	}
	l := traces[1].Cache[0]
	if l.Needed || l.Now != 1500 || l.Method == nil || l.Method.Method != "PUT" || l.Method.Expires() != 600_000 ||
		len(l.Headers) != 1 || l.Headers[0] == nil || l.Headers[0].HeaderName != "X-A" {
		t.Errorf("lookup = %+v; want a hit at 1500 ms by method PUT and header X-A expiring at 600000 ms", l)
	}
	var text []string
	for _, s := range traces[1].Steps {
		text = append(text, s.Text)
	}
	joined := strings.Join(text, "\n")
	for _, want := range []string{"waits 1500 ms", "cache hit at 1500 ms", "method PUT (stored at 0 ms, max-age 600 s, expires at 600000 ms)", "header X-A for x-a"} {
		if !strings.Contains(joined, want) {
			t.Errorf("trace lacks %q:\n%s", want, joined)
		}
	}
	if len(traces[1].Sent) != 1 || traces[1].Sent[0].Preflight {
		t.Errorf("second step sent %+v, want only the PUT", traces[1].Sent)
	}
}

// TestTraceKeepsTheEntriesOfItsTime checks that a step's trace says what
// the cache held when the step ran, even after later steps replace the
// entries.
func TestTraceKeepsTheEntriesOfItsTime(t *testing.T) {
	pre := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT", "Access-Control-Max-Age", "2")}
	ex := Exchange{Request: Request{Origin: page, URL: api, Method: "PUT"}, Preflight: pre, Response: Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", page)}}
	_, traces := ExplainSequence([]SequenceStep{{Exchange: ex}, {WaitMs: 1000, Exchange: ex}, {WaitMs: 1000, Exchange: ex}})
	l := traces[1].Cache[0]
	if l.Needed || l.Method == nil || l.Method.Stored != 0 || l.Method.Expires() != 2000 {
		t.Errorf("step 2's lookup = %+v; want a hit by the entry stored at 0 ms, expiring at 2000 ms", l.Method)
	}
	if l3 := traces[2].Cache[0]; !l3.Needed {
		t.Errorf("step 3 at 2000 ms should miss: %+v", l3)
	}
}
