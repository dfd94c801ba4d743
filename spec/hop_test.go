package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHopPreflights checks that a preflight sent after a redirect is judged
// with the answer given for its hop, and that hops without one fall back to
// Exchange.Preflight.
func TestHopPreflights(t *testing.T) {
	// A PUT redirected (307) from api.example to other.example: the first
	// preflight goes out with Origin https://app.example, the second, after
	// the cross-origin redirect, with Origin null.
	allowPage := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", page, "Access-Control-Allow-Methods", "PUT")}
	allowNull := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "null", "Access-Control-Allow-Methods", "PUT")}
	nullNoMethod := &Response{Status: 204, Headers: hdr("Access-Control-Allow-Origin", "null")}
	ex := func(pre *Response, hops ...*Response) Exchange {
		return Exchange{
			Request:       Request{Origin: page, URL: api, Method: "PUT"},
			Preflight:     pre,
			Redirects:     []Redirect{{Status: 307, Location: other, Headers: hdr("Access-Control-Allow-Origin", page)}},
			Response:      Response{Status: 200, Headers: hdr("Access-Control-Allow-Origin", "null")},
			HopPreflights: hops,
		}
	}
	tests := []struct {
		name string
		ex   Exchange
		want Verdict
	}{
		{"one answer for both hops fails the second (origin null)", ex(allowPage),
			Verdict{Outcome: Blocked, Stage: StagePreflight, Reason: ACAOMismatch, Hop: 1, Detail: page, Preflight: true, Preflights: 2}},
		{"an answer per hop passes", ex(nil, allowPage, allowNull),
			Verdict{Outcome: Allowed, ResponseType: ResponseCORS, Preflight: true, Preflights: 2, Exposed: []string{}}},
		{"a nil hop answer falls back to Preflight", ex(allowNull, allowPage, nil),
			Verdict{Outcome: Allowed, ResponseType: ResponseCORS, Preflight: true, Preflights: 2, Exposed: []string{}}},
		{"the second hop's own answer decides", ex(allowNull, allowPage, nullNoMethod),
			Verdict{Outcome: Blocked, Stage: StagePreflight, Reason: MethodNotAllowed, Hop: 1, Detail: "PUT", Preflight: true, Preflights: 2}},
		{"hop answers past the redirects are ignored", ex(nil, allowPage, allowNull, nullNoMethod),
			Verdict{Outcome: Allowed, ResponseType: ResponseCORS, Preflight: true, Preflights: 2, Exposed: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Judge(tt.ex)); diff != "" {
				t.Errorf("Judge mismatch (-want +got):\n%s", diff)
			}
			if v, _ := Explain(tt.ex); v.Outcome != tt.want.Outcome || v.Reason != tt.want.Reason {
				t.Errorf("Explain = %s %s, want %s %s", v.Outcome, v.Reason, tt.want.Outcome, tt.want.Reason)
			}
		})
	}
}
