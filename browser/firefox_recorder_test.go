package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// logEvent is a log.entryAdded event's params as Firefox sends them.
func logEvent(t *testing.T, typ, level, text string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "level": level, "text": text,
		"source": map[string]any{"realm": "r", "context": "c"}, "timestamp": 1})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFirefoxRecorderFilesWordsByStep feeds the recorder a stream of
// events as Firefox interleaves them for two cases and checks that each
// error lands under its case and the step of the last marker before it.
func TestFirefoxRecorderFilesWordsByStep(t *testing.T) {
	const a, b = "n0-1", "n0-2"
	cors := func(token, why string) string {
		return "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/__cc/" + token + "/same. (Reason: " + why + ")."
	}
	marker := func(token string, n int) string {
		return firefoxStepMarker + fmt.Sprintf("%s%s/%d", stepPrefix, token, n)
	}
	ftp := "Cross-Origin Request Blocked: ftp://api.example/x (Reason: CORS request not http)."
	r := newFirefoxRecorder()
	r.track(a)
	r.track(b)
	r.track("url:ftp://api.example/x")
	events := []struct{ typ, level, text string }{
		{"javascript", "error", cors(a, "a0")},
		{"console", "debug", marker(a, 1)},
		{"javascript", "error", cors(b, "b0")},
		{"javascript", "error", cors(a, "a1")},
		{"javascript", "error", cors(a, "a1 again")},
		{"console", "debug", marker(b, 1)},
		{"console", "debug", marker(b, 2)},
		{"javascript", "error", cors(b, "b2")},
		{"console", "debug", marker(a, 3)}, // step 2 said nothing
		{"javascript", "error", cors(a, "a3")},
		{"javascript", "warning", cors(a, "a warning")},    // not an error: dropped
		{"javascript", "error", cors("n0-9", "untracked")}, // another run's: dropped
		{"console", "debug", marker("n0-9", 1)},            // a marker of an untracked run
		{"console", "log", "crosscheck step nothing"},      // not a signal
		{"javascript", "error", ftp},
	}
	for _, e := range events {
		r.event("log.entryAdded", logEvent(t, e.typ, e.level, e.text))
	}
	r.event("network.responseCompleted", json.RawMessage(`{}`)) // another event: ignored

	tests := []struct {
		key   string
		steps int
		want  [][]string // by step
		all   []string   // every step's, however many were asked for
	}{
		{a, 4, [][]string{{cors(a, "a0")}, {cors(a, "a1"), cors(a, "a1 again")}, nil, {cors(a, "a3")}},
			[]string{cors(a, "a0"), cors(a, "a1"), cors(a, "a1 again"), cors(a, "a3")}},
		{b, 3, [][]string{{cors(b, "b0")}, nil, {cors(b, "b2")}}, []string{cors(b, "b0"), cors(b, "b2")}},
		{b, 2, [][]string{{cors(b, "b0")}, nil}, []string{cors(b, "b0"), cors(b, "b2")}}, // asked for fewer steps: the first ones
		{"url:ftp://api.example/x", 0, [][]string{}, []string{ftp}},
	}
	for _, tt := range tests {
		all, steps := r.get(tt.key, tt.steps)
		if diff := cmp.Diff(tt.want, steps); diff != "" {
			t.Errorf("get(%s, %d) steps mismatch (-want +got):\n%s", tt.key, tt.steps, diff)
		}
		if diff := cmp.Diff(tt.all, all); diff != "" {
			t.Errorf("get(%s, %d) all mismatch (-want +got):\n%s", tt.key, tt.steps, diff)
		}
	}
}

// TestFirefoxRecorderWait: wait returns as soon as every wanted step has a
// word, and otherwise once Firefox has been quiet for the quiet time.
func TestFirefoxRecorderWait(t *testing.T) {
	const token = "n1-1"
	word := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example/__cc/" + token + "/x. (Reason: x)."
	const quiet = 300 * time.Millisecond
	t.Run("every step has a word", func(t *testing.T) {
		r := newFirefoxRecorder()
		r.track(token)
		r.event("log.entryAdded", logEvent(t, "javascript", "error", word))
		marker := logEvent(t, "console", "debug", firefoxStepMarker+stepPrefix+token+"/1")
		second := logEvent(t, "javascript", "error", word)
		go func() {
			time.Sleep(20 * time.Millisecond)
			r.event("log.entryAdded", marker)
			r.event("log.entryAdded", second)
		}()
		start := time.Now()
		r.wait(context.Background(), []stepKey{{token, 0}, {token, 1}}, start, quiet, start.Add(10*time.Second))
		if d := time.Since(start); d >= quiet {
			t.Errorf("wait took %s, want it to end when step 2's word came (before the %s quiet time)", d, quiet)
		}
	})
	t.Run("a step without a word ends at the quiet time", func(t *testing.T) {
		r := newFirefoxRecorder()
		r.track(token)
		start := time.Now()
		r.wait(context.Background(), []stepKey{{token, 1}}, start, quiet, start.Add(10*time.Second))
		if d := time.Since(start); d < quiet || d > 5*quiet {
			t.Errorf("wait took %s, want about the quiet time %s", d, quiet)
		}
	})
	t.Run("a canceled context ends it", func(t *testing.T) {
		r := newFirefoxRecorder()
		r.track(token)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		r.wait(ctx, []stepKey{{token, 0}}, start, 10*time.Second, start.Add(20*time.Second))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("wait took %s after its context was canceled", d)
		}
	})
}
