package cases

// Group is a behaviour group of crosscheck's Fetch CORS catalog. A case's
// first tag is the id of the group it belongs to.
type Group struct {
	// ID is the group's stable id, e.g. "acao-exact-match".
	ID string
	// Observable reports whether a browser can observe the behaviour in a
	// case (one exchange, or the steps of one page); the table must cover
	// every observable group.
	Observable bool
}

// groups lists the catalog's groups in catalog order.
var groups = []Group{
	{"origin-header", true},
	{"null-origin", true},
	{"acao-missing", true},
	{"acao-exact-match", true},
	{"acao-multiple-values", true},
	{"credentials-wildcard-acao", true},
	{"acac-exact-true", true},
	{"actual-any-status", true},
	{"cors-disabled-scheme", true},
	{"request-mode-guards", true},
	{"forbidden-method-and-headers", true},
	{"preflight-trigger-method", true},
	{"preflight-trigger-header", true},
	{"preflight-trigger-forced", true},
	{"safelisted-accept-bytes", true},
	{"safelisted-language", true},
	{"safelisted-content-type", true},
	{"range-header", true},
	{"safelisted-value-length", true},
	{"safelisted-total-1024", true},
	{"preflight-request-shape", true},
	{"preflight-cors-check", true},
	{"preflight-ok-status", true},
	{"preflight-redirect", true},
	{"acam-parse", true},
	{"acam-case-sensitive", true},
	{"acam-wildcard", true},
	{"acah-parse", true},
	{"acah-case-insensitive", true},
	{"acah-wildcard-credentials", true},
	{"acah-authorization-wildcard", true},
	{"preflight-cache", true},
	{"max-age", true},
	{"safelisted-response-headers", true},
	{"expose-headers", true},
	{"expose-wildcard", true},
	{"redirect-cors-check", true},
	{"redirect-tainted-origin", true},
	{"redirect-credentials-in-url", true},
	{"redirect-preflight", true},
	{"redirect-authorization-strip", true},
	{"redirect-mode", true},        // redirect modes error and manual
	{"redirect-stream-body", true}, // a redirect with a ReadableStream body
	{"vary-origin", false},         // a server property, not a browser check
}

// Groups returns the catalog's behaviour groups in catalog order. The
// slice is a copy.
func Groups() []Group { return append([]Group(nil), groups...) }

// isGroup reports whether id is a catalog group id.
func isGroup(id string) bool {
	for _, g := range groups {
		if g.ID == id {
			return true
		}
	}
	return false
}
