package har

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/spec"
	"github.com/google/go-cmp/cmp"
)

// got is what the tests compare of one analyzed fetch.
type got struct {
	Method, Path string
	Status       Status
	Stage        spec.Stage
	Reason       spec.Reason
	Hops         int
	Preflights   int // hops with a paired preflight entry
	Predicted    int // preflights the model predicts the archive lacks
}

func summarize(rep *Report) []got {
	fs := slices.Clone(rep.Fetches)
	slices.SortFunc(fs, func(a, b Fetch) int { return a.Entries[0] - b.Entries[0] })
	out := make([]got, 0, len(fs))
	for _, f := range fs {
		g := got{Method: f.Method(), Path: strings.TrimPrefix(f.URL(), "https://api.example"), Status: f.Status,
			Hops: len(f.Entries), Predicted: len(f.Predicted)}
		if f.Status == StatusBlocked {
			g.Stage, g.Reason = f.Verdict.Stage, f.Verdict.Reason
		}
		for _, p := range f.Preflights {
			if p >= 0 {
				g.Preflights++
			}
		}
		out = append(out, g)
	}
	return out
}

func load(t *testing.T, name string) *File {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return f
}

// misconfigs is what the misconfigs scenario is built to show, in the
// order the page makes the calls (see internal/record/server.go: each path
// has one misconfiguration). Browser differences are applied per file.
func misconfigs() []got {
	const (
		B = StatusBlocked
		A = StatusAllowed
		U = StatusUndecided
	)
	return []got{
		{"GET", "/ok", A, "", "", 1, 0, 0},
		{"GET", "/no-acao", B, spec.StageResponse, spec.ACAOMissing, 1, 0, 0},
		{"GET", "/wrong-acao", B, spec.StageResponse, spec.ACAOMismatch, 1, 0, 0},
		{"GET", "/star", B, spec.StageResponse, spec.ACAOWildcardWithCredentials, 1, 0, 0}, // credentials: "include"
		{"GET", "/star", A, "", "", 1, 0, 0},                                               // credentials: "omit"
		{"GET", "/no-acac", B, spec.StageResponse, spec.ACACNotTrue, 1, 0, 0},
		{"GET", "/two-acao", B, spec.StageResponse, spec.ACAOMultiple, 1, 0, 0},
		{"GET", "/lowercase", A, "", "", 1, 0, 0},
		{"PUT", "/no-method", B, spec.StagePreflight, spec.MethodNotAllowed, 1, 1, 0},
		{"PUT", "/no-header", B, spec.StagePreflight, spec.HeaderNotAllowed, 1, 1, 0},
		{"DELETE", "/preflight-404", B, spec.StagePreflight, spec.PreflightStatus, 1, 1, 0},
		{"PUT", "/preflight-301", B, spec.StagePreflight, spec.PreflightRedirect, 1, 1, 0},
		{"GET", "/redirect-no-acao", B, spec.StageRedirect, spec.ACAOMissing, 1, 0, 0},
		{"GET", "/redirect-taint", B, spec.StageResponse, spec.ACAOMismatch, 2, 0, 0},
		{"GET", "/redirect-ok", A, "", "", 2, 0, 0},
		{"PUT", "/ok", A, "", "", 1, 1, 0},
		{"PUT", "/put-redirect", A, "", "", 2, 2, 0},
		{"GET", "/close", U, "", "", 1, 0, 0},
		{"GET", "/no-acao?via=xhr", B, spec.StageResponse, spec.ACAOMissing, 1, 0, 0},
	}
}

func TestAnalyzeRecordings(t *testing.T) {
	firefox := func(w []got) []got {
		// Firefox's archive records neither _error nor the credentials
		// mode: the credentialed GETs are judged as fetch()'s default.
		w[3] = got{"GET", "/star", StatusAllowed, "", "", 1, 0, 0}
		w[5] = got{"GET", "/no-acac", StatusAllowed, "", "", 1, 0, 0}
		// Firefox sent the second preflight with the page's origin, got
		// "null" back and never sent the PUT: no response to judge.
		w[16] = got{"PUT", "/put-redirect", StatusUndecided, "", "", 2, 2, 0}
		return w
	}
	cachedChromium := []got{
		// The preflights came from Chromium's preflight cache: not in the
		// archive, predicted by the model.
		{"PUT", "/cached-ok", StatusAllowed, "", "", 1, 0, 1},
		{"PUT", "/cached-bad", StatusBlocked, spec.StageResponse, spec.ACAOMissing, 1, 0, 1},
	}
	cachedFirefox := []got{
		{"PUT", "/cached-ok", StatusAllowed, "", "", 1, 1, 0},
		{"PUT", "/cached-bad", StatusBlocked, spec.StageResponse, spec.ACAOMissing, 1, 1, 0},
	}
	tests := []struct {
		file string
		want []got
	}{
		{"chromium-156-misconfigs.har", misconfigs()},
		{"chromium-148-misconfigs.har", misconfigs()},
		{"firefox-153-misconfigs.har", firefox(misconfigs())},
		{"chromium-156-cached.har", cachedChromium},
		{"chromium-148-cached.har", cachedChromium},
		{"firefox-153-cached.har", cachedFirefox},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep := Analyze(load(t, tt.file))
			// The redirect blocked at its first hop: Firefox sometimes logs
			// the request it would have led to (status 0) as a second hop.
			g := summarize(rep)
			for i := range g {
				if g[i].Path == "/redirect-no-acao" && g[i].Hops == 2 {
					g[i].Hops = 1
				}
			}
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("fetches mismatch (-want +got):\n%s", diff)
			}
			// Blocked first, then undecided, then allowed.
			rank := map[Status]int{StatusBlocked: 0, StatusUndecided: 1, StatusAllowed: 2}
			for i := 1; i < len(rep.Fetches); i++ {
				if rank[rep.Fetches[i-1].Status] > rank[rep.Fetches[i].Status] {
					t.Errorf("fetch %d (%s) listed before fetch %d (%s)", i-1, rep.Fetches[i-1].Status, i, rep.Fetches[i].Status)
				}
			}
			for _, f := range rep.Fetches {
				if f.Origin != "https://app.example" {
					t.Errorf("%s %s: page origin %q from %s", f.Method(), f.URL(), f.Origin, f.OriginFrom)
				}
			}
		})
	}
}

func TestAnalyzeSkips(t *testing.T) {
	rep := Analyze(load(t, "chromium-156-misconfigs.har"))
	got := map[string]string{}
	for _, s := range rep.Skipped {
		u := s.URL
		if strings.HasPrefix(u, "blob:") {
			u = "blob:"
		}
		got[u] = s.Why
	}
	want := map[string]string{
		"https://app.example/cors.html":   "not a CORS request (Sec-Fetch-Mode: navigate)",
		"https://api.example/pixel.gif":   "not a CORS request (Sec-Fetch-Mode: no-cors)",
		"https://app.example/favicon.ico": "not a CORS request (Sec-Fetch-Mode: no-cors)",
		"https://app.example/same":        "same-origin with the page (https://app.example): CORS does not apply",
		"data:text/plain,hello":           "a data: URL: not fetched over HTTP, so CORS does not apply",
		"blob:":                           "a blob: URL: not fetched over HTTP, so CORS does not apply",
	}
	// Chromium may also log a favicon fetch of its own, also skipped.
	for u, why := range want {
		if got[u] != why {
			t.Errorf("entry %s: skipped for %q, want %q", u, got[u], why)
		}
	}
	for u, why := range got {
		if _, ok := want[u]; !ok && !strings.HasSuffix(u, "/favicon.ico") {
			t.Errorf("entry %s unexpectedly skipped: %s", u, why)
		}
	}
}

func TestAnalyzeInfersCredentials(t *testing.T) {
	rep := Analyze(load(t, "chromium-156-misconfigs.har"))
	for _, f := range rep.Fetches {
		if f.URL() != "https://api.example/star" {
			continue
		}
		switch f.Browser.Failed() {
		case true: // the credentialed one, which Chromium blocked
			if f.Credentials != spec.CredentialsInclude || !strings.HasPrefix(f.CredentialsFrom, "inferred") {
				t.Errorf("blocked /star judged with %s (%s), want include, inferred", f.Credentials, f.CredentialsFrom)
			}
		case false:
			if f.Credentials != spec.CredentialsSameOrigin {
				t.Errorf("allowed /star judged with %s, want same-origin", f.Credentials)
			}
		}
	}
}

// edit parses a fixture as generic JSON, lets change alter it, and returns
// the re-encoded archive.
func edit(t *testing.T, name string, change func(log map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	change(top["log"].(map[string]any))
	out, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func entries(log map[string]any) []any { return log["entries"].([]any) }

func entry(log map[string]any, i int) map[string]any { return entries(log)[i].(map[string]any) }

// TestAnalyzeWithoutPreflights removes every preflight from a recording, as
// a Chrome export often has them: requests that were sent are judged on
// their response with the predicted preflight shown; requests blocked at
// the preflight cannot be named.
func TestAnalyzeWithoutPreflights(t *testing.T) {
	data := edit(t, "chromium-156-misconfigs.har", func(log map[string]any) {
		var kept []any
		for _, e := range entries(log) {
			if e.(map[string]any)["request"].(map[string]any)["method"] != "OPTIONS" {
				kept = append(kept, e)
			}
		}
		log["entries"] = kept
	})
	f, err := Parse("no-preflights.har", data)
	if err != nil {
		t.Fatal(err)
	}
	rep := Analyze(f)
	want := misconfigs()
	for i := range want {
		w := &want[i]
		w.Preflights = 0
		switch w.Path {
		case "/no-method", "/no-header", "/preflight-404", "/preflight-301":
			*w = got{w.Method, w.Path, StatusUndecided, "", "", 1, 0, 1}
		case "/ok":
			if w.Method == "PUT" {
				w.Predicted = 1
			}
		case "/put-redirect":
			w.Predicted = 2
		}
	}
	if diff := cmp.Diff(want, summarize(rep)); diff != "" {
		t.Errorf("fetches mismatch (-want +got):\n%s", diff)
	}
	for _, fe := range rep.Fetches {
		if fe.URL() == "https://api.example/no-method" {
			p := fe.Predicted[0]
			if p.Method != "OPTIONS" || p.ACRM != "PUT" || p.Origin != "https://app.example" || p.URL != "https://api.example/no-method" {
				t.Errorf("predicted preflight %+v", p)
			}
			if len(fe.Notes) == 0 || !strings.Contains(strings.Join(fe.Notes, "\n"), "cannot be named") {
				t.Errorf("notes %q do not say the rule cannot be named", fe.Notes)
			}
		}
	}
}

// TestAnalyzeHeaderCase re-cases every header name of a recording: the
// verdicts stay the same (header names are case-insensitive).
func TestAnalyzeHeaderCase(t *testing.T) {
	for _, recase := range []struct {
		name string
		fn   func(string) string
	}{{"lower", strings.ToLower}, {"upper", strings.ToUpper}} {
		t.Run(recase.name, func(t *testing.T) {
			data := edit(t, "chromium-156-misconfigs.har", func(log map[string]any) {
				for _, e := range entries(log) {
					for _, part := range []string{"request", "response"} {
						for _, h := range e.(map[string]any)[part].(map[string]any)["headers"].([]any) {
							h := h.(map[string]any)
							h["name"] = recase.fn(h["name"].(string))
						}
					}
				}
			})
			f, err := Parse("recased.har", data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(misconfigs(), summarize(Analyze(f))); diff != "" {
				t.Errorf("fetches mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnalyzeRelativeRedirect gives a redirect a scheme-relative
// redirectURL: the hop is still chained.
func TestAnalyzeRelativeRedirect(t *testing.T) {
	data := edit(t, "chromium-156-misconfigs.har", func(log map[string]any) {
		for _, e := range entries(log) {
			resp := e.(map[string]any)["response"].(map[string]any)
			if resp["redirectURL"] == "https://other.example/allow-star" {
				resp["redirectURL"] = "//other.example/allow-star"
			}
		}
	})
	f, err := Parse("relative.har", data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(misconfigs(), summarize(Analyze(f))); diff != "" {
		t.Errorf("fetches mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	const fixture = "chromium-156-cached.har"
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		want   []string // each must appear in the error
		wantNo string   // must not appear
	}{
		{"request.url missing", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { delete(entry(l, 1)["request"].(map[string]any), "url") })
		}, []string{"log.entries[1].request.url: missing"}, ""},
		{"status is a string", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { entry(l, 0)["response"].(map[string]any)["status"] = "200" })
		}, []string{"log.entries[0].response.status: want a number, got a string"}, ""},
		{"status not an integer", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { entry(l, 0)["response"].(map[string]any)["status"] = 200.5 })
		}, []string{"log.entries[0].response.status: want an HTTP status code, got 200.5"}, ""},
		{"headers an object", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { entry(l, 1)["request"].(map[string]any)["headers"] = map[string]any{} })
		}, []string{"log.entries[1].request.headers: want an array, got an object"}, ""},
		{"a header a string", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { entry(l, 0)["response"].(map[string]any)["headers"].([]any)[2] = "x" })
		}, []string{"log.entries[0].response.headers[2]: want an object, got a string"}, ""},
		{"a header without a value", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) {
				delete(entry(l, 0)["request"].(map[string]any)["headers"].([]any)[0].(map[string]any), "value")
			})
		}, []string{"log.entries[0].request.headers[0].value: missing"}, ""},
		{"entry a number", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { entries(l)[1] = 7 })
		}, []string{"log.entries[1]: want an object, got a number"}, "entries[0]"},
		{"two problems in two entries", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) {
				delete(entry(l, 0), "response")
				entry(l, 1)["request"].(map[string]any)["method"] = nil
			})
		}, []string{"log.entries[0].response: missing", "log.entries[1].request.method: want a string, got null"}, ""},
		{"no entries", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) { delete(l, "entries") })
		}, []string{"log.entries: missing"}, ""},
		{"no log", func(t *testing.T) []byte { return []byte(`{"lag": {}}`) }, []string{"log: missing"}, ""},
		{"an array", func(t *testing.T) []byte { return []byte(`[]`) }, []string{"want a JSON object with a \"log\" member"}, ""},
		{"empty", func(t *testing.T) []byte { return nil }, []string{"invalid JSON"}, ""},
		{"truncated", func(t *testing.T) []byte {
			data, _ := os.ReadFile(filepath.Join("testdata", fixture))
			return data[:1000]
		}, []string{"invalid JSON at line", "unexpected end of JSON input"}, ""},
		{"many problems are capped", func(t *testing.T) []byte {
			return edit(t, fixture, func(l map[string]any) {
				var es []any
				for range 25 {
					es = append(es, "x")
				}
				l["entries"] = es
			})
		}, []string{"log.entries[19]: want an object", "… and 5 more"}, "log.entries[20]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("bad.har", tt.data(t))
			if err == nil {
				t.Fatalf("Parse accepted it: %d entries", len(f.Entries))
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "bad.har is not a HAR file crosscheck can read:") {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if tt.wantNo != "" && strings.Contains(msg, tt.wantNo) {
				t.Errorf("error %q has %q", msg, tt.wantNo)
			}
		})
	}
}

// FuzzParseAnalyze checks that no input makes Parse or Analyze panic, and
// that what Parse accepts Analyze can judge.
func FuzzParseAnalyze(f *testing.F) {
	// Seeds cut down from the recordings (the fuzzing engine crawls on
	// inputs of tens of kilobytes): a few entries — a preflight and its
	// blocked request, a redirect chain, a blocked response — with only the
	// members the analysis reads.
	for _, name := range []string{"chromium-156-misconfigs.har", "firefox-153-misconfigs.har"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		seed := compact(f, data, "/no-method", "/redirect-taint", "/allow-app", "/two-acao")
		if file, err := Parse(name, seed); err != nil || len(Analyze(file).Fetches) != 3 {
			f.Fatalf("the seed cut from %s does not hold 3 fetches (%v)", name, err)
		}
		f.Add(seed)
	}
	f.Add([]byte(`{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[{"name":"Origin","value":"https://b.example"}]},` +
		`"response":{"status":302,"headers":[],"redirectURL":"https://a.example/"}},{"request":{"method":"GET","url":"https://a.example/","headers":[]},"response":{"status":0,"headers":[]}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.har", data)
		if err != nil {
			return
		}
		rep := Analyze(file)
		for _, x := range rep.Fetches {
			if len(x.Preflights) != len(x.Entries) {
				t.Fatalf("%d preflight slots for %d hops", len(x.Preflights), len(x.Entries))
			}
		}
	})
}

// compact keeps the entries whose URL ends with one of paths, each reduced
// to the members Parse reads.
func compact(f *testing.F, data []byte, paths ...string) []byte {
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		f.Fatal(err)
	}
	pick := func(m map[string]any, keys ...string) map[string]any {
		out := map[string]any{}
		for _, k := range keys {
			if v, ok := m[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	var es []any
	for _, e := range top["log"].(map[string]any)["entries"].([]any) {
		e := e.(map[string]any)
		req := e["request"].(map[string]any)
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.HasSuffix(req["url"].(string), p) }) {
			continue
		}
		c := pick(e, "_resourceType", "pageref")
		if in, ok := e["_initiator"].(map[string]any); ok {
			c["_initiator"] = pick(in, "type", "url")
		}
		c["request"] = pick(req, "method", "url", "headers")
		c["response"] = pick(e["response"].(map[string]any), "status", "headers", "redirectURL", "_error")
		es = append(es, c)
	}
	out, err := json.Marshal(map[string]any{"log": map[string]any{"pages": top["log"].(map[string]any)["pages"], "entries": es}})
	if err != nil {
		f.Fatal(err)
	}
	return out
}
