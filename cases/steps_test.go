package cases

import (
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// TestParseStepsErrors checks every rule of the extended format: steps,
// modes, redirect modes, forced preflights, body types, opaque outcomes,
// reasons at their stages, when response may be left out, and the browser
// records of steps cases.
func TestParseStepsErrors(t *testing.T) {
	want := []string{
		`steps-bad.json:5: case "sb/both": request: a case has request, preflight, redirects, response and expect, or steps, never both: move it into a step`,
		`steps-bad.json:5: case "sb/both": expect: a case has request, preflight, redirects, response and expect, or steps, never both: move it into a step`,
		`steps-bad.json:6: case "sb/empty-steps": steps: empty: give at least one step, or write a plain case`,
		`steps-bad.json:7: case "sb/step-origins": steps[1].waitMs: 7000 ms outside 0-6000: a step waits at most 6000 ms (enough to outlive the 5 s default max-age)`,
		`steps-bad.json:7: case "sb/step-origins": steps[1].request.origin: "https://other.example": every step is made from the same page, whose origin steps[0] gives ("https://app.example")`,
		`steps-bad.json:8: case "sb/step-missing": steps[0].expect: missing: required`,
		`steps-bad.json:8: case "sb/step-missing": steps[0].response: missing: required, unless no request can reach it (blocked at the request stage, or a redirect in manual mode)`,
		`steps-bad.json:8: case "sb/step-missing": steps[0].waitMs: want an integer, got 1.5`,
		`steps-bad.json:9: case "sb/enums": request.mode: "navigate" is not a request mode: want "cors", "no-cors" or "same-origin"`,
		`steps-bad.json:9: case "sb/enums": request.redirect: "follow-all" is not a redirect mode: want "follow", "error" or "manual"`,
		`steps-bad.json:9: case "sb/enums": request.bodyType: "json" is not a body type: want "string", "blob:<type>", "formdata", "urlsearchparams" or "stream"`,
		`steps-bad.json:9: case "sb/enums": expect.responseType: "default" is not a response type: want "basic", "cors", "opaque" or "opaqueredirect"`,
		`steps-bad.json:10: case "sb/body-type-without-body": request.bodyType: a body type without a body: give request.body (the text the body holds)`,
		`steps-bad.json:11: case "sb/xhr-no-cors": request.forcePreflight: XMLHttpRequest (an upload listener) always uses mode cors, not "no-cors"`,
		`steps-bad.json:12: case "sb/xhr-omit": request.forcePreflight: XMLHttpRequest has no credentials mode omit: withCredentials gives same-origin (false) or include (true)`,
		`steps-bad.json:13: case "sb/xhr-stream": request.forcePreflight: XMLHttpRequest cannot send a ReadableStream body`,
		`steps-bad.json:14: case "sb/xhr-manual": request.forcePreflight: XMLHttpRequest (an upload listener) always follows redirects, not "manual"`,
		`steps-bad.json:15: case "sb/opaque-exposes": expect.exposedHeaders: script reads nothing of an opaque response: leave exposedHeaders out`,
		`steps-bad.json:15: case "sb/opaque-exposes": expect.responseType: "cors": an opaque case's response is opaque or opaqueredirect`,
		`steps-bad.json:17: case "sb/no-response": response: missing: required, unless no request can reach it (blocked at the request stage, or a redirect in manual mode)`,
		`steps-bad.json:18: case "sb/record-steps-on-plain": browsers.chrome.steps: only a steps case's record gives steps: write this record's verdict fields here`,
		`steps-bad.json:18: case "sb/record-steps-on-plain": browsers.chrome.outcome: missing: required`,
		`steps-bad.json:19: case "sb/record-on-steps": browsers.chrome.outcome: a steps case's record gives what differs per step: move outcome into steps[i]`,
		`steps-bad.json:19: case "sb/record-on-steps": browsers.chrome.steps: missing: a steps case's record gives one element per step ({} where the engine agrees)`,
		`steps-bad.json:19: case "sb/record-on-steps": browsers.firefox.steps[0].reason: an allowed step has no reason: leave it out`,
		`steps-bad.json:19: case "sb/record-on-steps": browsers.webkit.steps: 2 elements for 1 step: give one per step of the case, {} where the engine agrees`,
		`steps-bad.json:20: case "sb/blocked-type": expect.responseType: a blocked case gets no response: leave responseType out`,
	}
	_, err := Parse("steps-bad.json", readFixture(t, "steps-bad.json"), false)
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("Parse(steps-bad.json) errors mismatch (-want +got):\n%s", diff)
	}
}

// TestReasonStageStrict: in the project's table a reason comes with a stage
// the model can give it; a file users bring may plant any (to test a
// verifier), so only strict mode checks.
func TestReasonStageStrict(t *testing.T) {
	data := []byte(`{"description": "d", "cases": [
{"id": "t/a", "title": "t", "spec": "https://fetch.spec.whatwg.org/#main-fetch", "tags": ["request-mode-guards"],
 "request": {"origin": "https://app.example", "url": "https://api.example/", "method": "PUT", "credentials": "omit", "mode": "no-cors"},
 "response": {"status": 200},
 "expect": {"outcome": "blocked", "preflight": false, "blockedAt": "response", "reason": "no-cors-method"}}]}`)
	_, err := Parse("t.json", data, true)
	want := []string{`t.json:5: case "t/a": expect.blockedAt: "no-cors-method" blocks at the "request" stage, not at "response"`}
	if diff := cmp.Diff(want, errorLines(err)); diff != "" {
		t.Errorf("strict Parse errors mismatch (-want +got):\n%s", diff)
	}
	if _, err := Parse("t.json", data, false); err != nil {
		t.Errorf("lenient Parse: %v", err)
	}
}

// TestStepsFixture loads a strict file of the extended format: it is
// valid, the model agrees with every case (expectations written from
// fetch.bs), and the Go API gives the exchanges, waits and per-step wants.
func TestStepsFixture(t *testing.T) {
	f, err := Parse("steps-ok.json", readFixture(t, "steps-ok.json"), true)
	if err != nil {
		t.Fatalf("Parse(steps-ok.json, strict):\n%v", err)
	}
	if len(f.Cases) != 12 {
		t.Fatalf("%d cases, want 12", len(f.Cases))
	}
	for _, c := range f.Cases {
		if diff := c.ModelDiff(); diff != "" {
			t.Errorf("%s: model disagrees (-expect +model):\n%s", c.ID, diff)
		}
	}
	byID := map[string]Case{}
	for _, c := range f.Cases {
		byID[c.ID] = c
	}

	seq := byID["steps-ok/max-age-serves-second"]
	steps := seq.Exchanges()
	if !seq.IsSequence() || len(steps) != 2 || steps[1].WaitMs != 1000 || steps[1].Line != 12 || steps[0].Line != 8 {
		t.Errorf("Exchanges() = %d steps, wait %d, lines %d and %d; want 2 steps, the second after 1000 ms, on lines 8 and 12",
			len(steps), steps[len(steps)-1].WaitMs, steps[0].Line, steps[len(steps)-1].Line)
	}
	if got := seq.Sequence(); len(got) != 2 || got[1].WaitMs != 1000 || got[1].Exchange.Request.Method != "PUT" {
		t.Errorf("Sequence() = %+v", got)
	}
	putSent := Sent{Method: "PUT", URL: "https://api.example/cache/1", Origin: "https://app.example"}
	preSent := Sent{Preflight: true, Method: "OPTIONS", URL: "https://api.example/cache/1", Origin: "https://app.example", ACRM: "PUT"}
	yes, no := true, false
	tests := []struct {
		name    string
		engine  string
		version string
		want    []Result
		record  bool
	}{
		{"the spec", "", "", []Result{
			{Outcome: spec.Allowed, Preflight: &yes, ExposedHeaders: []string{}, ResponseType: spec.ResponseCORS},
			{Outcome: spec.Allowed, Preflight: &no, ExposedHeaders: []string{}},
		}, false},
		{"chrome after the record: the model's trace, the cache serves step 2", "chrome", "151", []Result{
			{Outcome: spec.Allowed, Preflight: &yes, ExposedHeaders: []string{}, ResponseType: spec.ResponseCORS, Sent: []Sent{preSent, putSent}},
			{Outcome: spec.Allowed, Preflight: &no, ExposedHeaders: []string{}, Sent: []Sent{putSent}},
		}, false},
		{"chrome in the record: step 2 preflights", "chrome", "150.0.7871.100", []Result{
			{Outcome: spec.Allowed, Preflight: &yes, ExposedHeaders: []string{}, ResponseType: spec.ResponseCORS, Sent: []Sent{preSent, putSent}},
			{Outcome: spec.Allowed, Preflight: &yes, ExposedHeaders: []string{}, Sent: []Sent{preSent, putSent}},
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v Version
			if tt.version != "" {
				v, _ = ParseVersion(tt.version)
			}
			got, rec := seq.WantSteps(tt.engine, v)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("WantSteps(%q, %s) mismatch (-want +got):\n%s", tt.engine, tt.version, diff)
			}
			if (rec != nil) != tt.record {
				t.Errorf("record applied = %v, want %v", rec != nil, tt.record)
			}
			first, _ := seq.Want(tt.engine, v)
			if diff := cmp.Diff(tt.want[0], first); diff != "" {
				t.Errorf("Want gives the first step (-want +got):\n%s", diff)
			}
		})
	}

	plain := byID["steps-ok/no-cors-opaque"]
	if plain.IsSequence() || len(plain.Exchanges()) != 1 || plain.Exchanges()[0].Line != plain.Line {
		t.Errorf("a plain case is one exchange on its own line: %+v", plain.Exchanges())
	}
	ex := plain.Exchange()
	if ex.Request.Mode != spec.ModeNoCORS || ex.Request.Credentials != spec.CredentialsInclude {
		t.Errorf("Exchange() request = %+v", ex.Request)
	}
	// The request-no-cors guard drops X-Custom: the model's trace sends
	// only the Accept fetch adds.
	w, _ := plain.Want("chrome", nil)
	if diff := cmp.Diff([]Sent{{Method: "GET", URL: "https://api.example/img"}}, w.Sent); diff != "" {
		t.Errorf("no-cors Sent mismatch (-want +got):\n%s", diff)
	}
	if _, traces := plain.Model(); len(traces[0].Sent) != 1 || len(traces[0].Sent[0].Headers) != 1 || traces[0].Sent[0].Headers[0].Name != "Accept" {
		t.Errorf("model trace of a no-cors request with X-Custom sends %+v; want only Accept", traces[0].Sent)
	}
	if b := byID["steps-ok/stream-body-307"].Exchange().Request; b.BodyType != spec.BodyStream || !b.HasBody {
		t.Errorf("stream body: %+v", b)
	}
	if r := byID["steps-ok/xhr-upload-listener"].Exchange().Request; !r.ForcePreflight {
		t.Errorf("forcePreflight lost: %+v", r)
	}
}

// TestModelDiffNamesTheStep plants a wrong expectation in a step.
func TestModelDiffNamesTheStep(t *testing.T) {
	f, err := Parse("steps-ok.json", readFixture(t, "steps-ok.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Cases[0]
	c.Steps = append([]Step(nil), c.Steps...)
	yes := true
	c.Steps[1].Expect.Preflight = &yes
	if d := c.ModelDiff(); d == "" || d[:8] != "step 2:\n" {
		t.Errorf("ModelDiff = %q, want a diff for step 2", d)
	}
}
