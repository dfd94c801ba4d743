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

// Exchange converts the case into the model's input. The credentials mode
// defaults to "same-origin" and the method to "GET", as in fetch(); a body,
// even an empty one, sets HasBody.
func (c Case) Exchange() spec.Exchange {
	r := c.Request
	ex := spec.Exchange{
		Request: spec.Request{
			Origin:      r.Origin,
			URL:         r.URL,
			Method:      r.Method,
			Headers:     specHeaders(r.Headers),
			Credentials: spec.Credentials(r.Credentials),
			HasBody:     r.Body != nil,
		},
		Response: spec.Response{Status: c.Response.Status, Headers: specHeaders(c.Response.Headers)},
	}
	if ex.Request.Method == "" {
		ex.Request.Method = "GET"
	}
	if ex.Request.Credentials == "" {
		ex.Request.Credentials = spec.CredentialsSameOrigin
	}
	if c.Preflight != nil {
		ex.Preflight = &spec.Response{Status: c.Preflight.Status, Headers: specHeaders(c.Preflight.Headers)}
	}
	for _, rd := range c.Redirects {
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
