package browser

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crosscheck-dev/crosscheck/cases"
)

func TestPrepare(t *testing.T) {
	body := "x"
	c := &cases.Case{Request: cases.Request{
		Origin: "https://app.example", URL: "https://api.example/data?q=1", Method: "PUT",
		Headers: []cases.Header{{"X-A", "1"}}, Credentials: "include", Body: &body,
	}, Response: cases.Response{Status: 200}}
	it, err := prepare(c, 7, "n")
	if err != nil {
		t.Fatal(err)
	}
	if len(it.steps) != 1 {
		t.Fatalf("%d steps, want 1", len(it.steps))
	}
	if want := "https://api.example/__cc/n-7/data?q=1"; it.steps[0].URL != want {
		t.Errorf("url = %q, want %q", it.steps[0].URL, want)
	}
	if want := (pageKey{url: "https://app.example/__crosscheck/page", origin: "https://app.example"}); it.page != want {
		t.Errorf("page = %+v, want %+v", it.page, want)
	}
	wantInit := map[string]any{"mode": "cors", "cache": "no-store", "method": "PUT", "credentials": "include",
		"headers": [][2]string{{"X-A", "1"}}}
	if diff := cmp.Diff(wantInit, it.steps[0].Init); diff != "" {
		t.Errorf("init mismatch (-want +got):\n%s", diff)
	}
	if want := (&scriptBody{Type: "string", Value: "x"}); !cmp.Equal(want, it.steps[0].Body) {
		t.Errorf("body = %+v, want %+v", it.steps[0].Body, want)
	}
}

func TestPrepareRefuses(t *testing.T) {
	tests := []struct {
		name string
		c    cases.Case
		want string
	}{
		{"steps from two origins", cases.Case{Steps: []cases.Step{
			{Request: cases.Request{Origin: "https://app.example", URL: "https://api.example/a"}, Response: cases.Response{Status: 200}},
			{Request: cases.Request{Origin: "https://other.example", URL: "https://api.example/a"}, Response: cases.Response{Status: 200}}}}, "every step runs in one page"},
		{"interim status", cases.Case{Request: cases.Request{Origin: "https://app.example", URL: "https://api.example/a"}, Response: cases.Response{Status: 103}}, "status 103"},
		{"CR in a value", cases.Case{Request: cases.Request{Origin: "https://app.example", URL: "https://api.example/a"},
			Response: cases.Response{Status: 200, Headers: []cases.Header{{"X", "a\r\nb"}}}}, "one header line"},
		{"file origin", cases.Case{Request: cases.Request{Origin: "file://", URL: "https://api.example/a"}, Response: cases.Response{Status: 200}}, "not an http(s) origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := prepare(&tt.c, 0, "n")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("prepare error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestPrepareOpaqueAndOtherSchemes(t *testing.T) {
	c := &cases.Case{Request: cases.Request{Origin: "null", URL: "http://api.example/x"}, Response: cases.Response{Status: 200}}
	it, err := prepare(c, 1, "n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (pageKey{url: "http://app.example/__crosscheck/opaque", origin: "null"}); it.page != want {
		t.Errorf("opaque page = %+v, want %+v (same scheme as the URL: no mixed content)", it.page, want)
	}
	c = &cases.Case{Request: cases.Request{Origin: "https://app.example", URL: "ftp://api.example/x"}, Response: cases.Response{Status: 200}}
	if it, err = prepare(c, 2, "n"); err != nil {
		t.Fatal(err)
	}
	if it.token != "" || it.steps[0].URL != "ftp://api.example/x" || it.key != "url:ftp://api.example/x" {
		t.Errorf("ftp item = token %q url %q key %q; want no token, the URL unchanged, key url:…", it.token, it.steps[0].URL, it.key)
	}
}

func TestBatches(t *testing.T) {
	a := pageKey{url: "a"}
	b := pageKey{url: "b"}
	mk := func(id string, p pageKey, token string) *item {
		return &item{c: &cases.Case{ID: id}, page: p, token: token, key: "k" + id}
	}
	items := []*item{mk("1", a, "t1"), mk("2", b, "t2"), mk("3", a, "t3"), mk("4", a, "t4")}
	var got [][]string
	for _, bt := range batches(items, 2) {
		var ids []string
		for _, it := range bt {
			ids = append(ids, it.c.ID)
		}
		got = append(got, ids)
	}
	want := [][]string{{"1", "3"}, {"4"}, {"2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches mismatch (-want +got):\n%s", diff)
	}
}

func TestCertHosts(t *testing.T) {
	cs := []cases.Case{{Request: cases.Request{Origin: "https://app.example:8443", URL: "https://API.example/a"},
		Redirects: []cases.Redirect{{Location: "//other.example/x"}, {Location: "/rel"}}}}
	want := []string{"api.example", "app.example", "other.example"}
	if diff := cmp.Diff(want, certHosts(cs)); diff != "" {
		t.Errorf("certHosts mismatch (-want +got):\n%s", diff)
	}
}

// TestSchedule sorts items into lanes: untokened items apart from the
// tokened ones even on one page, items whose steps wait on their own lane,
// which takes one more page.
func TestSchedule(t *testing.T) {
	p := pageKey{url: "a"}
	mk := func(id, token string, waitMs int) *item {
		return &item{c: &cases.Case{ID: id}, page: p, token: token, key: "k" + id, steps: []scriptStep{{WaitMs: waitMs}}}
	}
	ids := func(bs [][]*item) [][]string {
		var out [][]string
		for _, b := range bs {
			var s []string
			for _, it := range b {
				s = append(s, it.c.ID)
			}
			out = append(out, s)
		}
		return out
	}
	l := schedule([]*item{mk("1", "t1", 0), mk("2", "", 0), mk("3", "t3", 500), mk("4", "t4", 0), mk("5", "", 0)}, 8)
	got := map[string][][]string{"waiting": ids(l.waiting), "tokened": ids(l.tokened), "loose": ids(l.loose)}
	want := map[string][][]string{"waiting": {{"3"}}, "tokened": {{"1", "4"}}, "loose": {{"2", "5"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("schedule mismatch (-want +got):\n%s", diff)
	}
	if n := l.pages(2); n != 3 {
		t.Errorf("pages(2) with waiting batches = %d, want 3", n)
	}
	if n := schedule([]*item{mk("1", "t1", 0)}, 8).pages(2); n != 2 {
		t.Errorf("pages(2) without waiting batches = %d, want 2", n)
	}
}
