package cases

import (
	"strconv"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// Name returns the case's id, or "file#index" for a case without one (ids
// are optional in files users bring).
func (c Case) Name() string {
	if c.ID != "" {
		return c.ID
	}
	return c.File + "#" + strconv.Itoa(c.Index)
}

// HasTag reports whether the case carries tag t.
func (c Case) HasTag(t string) bool {
	for _, s := range c.Tags {
		if s == t {
			return true
		}
	}
	return false
}

// Group returns the case's catalog group: its first tag, or "".
func (c Case) Group() string {
	if len(c.Tags) == 0 {
		return ""
	}
	return c.Tags[0]
}

// Exchanges returns the case's exchanges in order: its Steps, or for a
// plain case one Step made of its top-level fields (on the case's line).
// The slice is the case's own for a steps case; do not modify it.
func (c Case) Exchanges() []Step {
	if len(c.Steps) > 0 {
		return c.Steps
	}
	return []Step{{Request: c.Request, Preflight: c.Preflight, Redirects: c.Redirects, Response: c.Response, Expect: c.Expect, Line: c.Line}}
}

// IsSequence reports whether the case is a steps case.
func (c Case) IsSequence() bool { return len(c.Steps) > 0 }

// Exchange converts the case into the model's input: for a steps case, its
// first step (use Sequence for all of them).
func (c Case) Exchange() spec.Exchange {
	if len(c.Steps) > 0 {
		return c.Steps[0].Exchange()
	}
	return Step{Request: c.Request, Preflight: c.Preflight, Redirects: c.Redirects, Response: c.Response}.Exchange()
}

// Sequence converts the case's exchanges, with their waits, into the
// model's input for spec.JudgeSequence.
func (c Case) Sequence() []spec.SequenceStep {
	steps := c.Exchanges()
	out := make([]spec.SequenceStep, len(steps))
	for i, s := range steps {
		out[i] = spec.SequenceStep{WaitMs: int64(s.WaitMs), Exchange: s.Exchange()}
	}
	return out
}

// Exchange converts the step into the model's input. The credentials mode
// defaults to "same-origin" and the method to "GET", as in fetch(); a body,
// even an empty one, sets HasBody. Mode, redirect mode and body type keep
// their defaults when empty.
func (s Step) Exchange() spec.Exchange {
	r := s.Request
	ex := spec.Exchange{
		Request: spec.Request{
			Origin:         r.Origin,
			URL:            r.URL,
			Method:         r.Method,
			Headers:        specHeaders(r.Headers),
			Credentials:    spec.Credentials(r.Credentials),
			HasBody:        r.Body != nil,
			BodyType:       spec.BodyType(r.BodyType),
			ForcePreflight: r.ForcePreflight,
			Mode:           spec.Mode(r.Mode),
			Redirect:       spec.RedirectMode(r.Redirect),
		},
		Response: spec.Response{Status: s.Response.Status, Headers: specHeaders(s.Response.Headers)},
	}
	if ex.Request.Method == "" {
		ex.Request.Method = "GET"
	}
	if ex.Request.Credentials == "" {
		ex.Request.Credentials = spec.CredentialsSameOrigin
	}
	if s.Preflight != nil {
		ex.Preflight = &spec.Response{Status: s.Preflight.Status, Headers: specHeaders(s.Preflight.Headers)}
	}
	for _, rd := range s.Redirects {
		ex.Redirects = append(ex.Redirects, spec.Redirect{Status: rd.Status, Location: rd.Location, Headers: specHeaders(rd.Headers)})
	}
	return ex
}

func specHeaders(hs []Header) []spec.Header {
	if hs == nil {
		return nil
	}
	out := make([]spec.Header, len(hs))
	for i, h := range hs {
		out[i] = spec.Header{Name: h[0], Value: h[1]}
	}
	return out
}
