package corstest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/crosscheck-dev/crosscheck/runner"
	"github.com/crosscheck-dev/crosscheck/runner/corstest"
)

// withCORS is a hand-written CORS layer with a classic mistake: it trusts
// every origin that ends with "app.example.com". The hosts it lets in are
// in example.com, the owner's domain (a subdomain takeover away): medium.
func withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if o := r.Header.Get("Origin"); regexp.MustCompile(`^https://.*app\.example\.com$`).MatchString(o) {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

// In a test file, call corstest.Certify(t, handler, policy) from a Test
// function; each finding fails the test. Here a stand-in for *testing.T
// prints the failures instead.
func ExampleCertify() {
	api := withCORS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `{"orders": []}`)
	}))
	policy := runner.Policy{
		AllowOrigins:     []string{"https://app.example.com"},
		AllowMethods:     []string{"GET"},
		AllowCredentials: true,
	}
	t := &printingT{}
	rep := corstest.Certify(t, api, policy)
	fmt.Println("codes:", rep.Codes())
	// Output:
	// FAIL origin-suffix-bypass [medium]: an origin ending with an allowed host or its registrable domain can read responses
	//	probe: hostile-origin/child GET from https://crosscheck.app.example.com
	// FAIL origin-suffix-bypass [medium]: an origin ending with an allowed host or its registrable domain can read responses
	//	probe: hostile-origin/suffix GET from https://evilapp.example.com
	// codes: [origin-suffix-bypass]
}

// printingT is a testing.TB that prints the first two lines of each
// failure. Only the methods Certify calls are implemented.
type printingT struct{ testing.TB }

func (*printingT) Helper() {}

func (*printingT) Errorf(format string, args ...any) {
	lines := strings.SplitN(fmt.Sprintf(format, args...), "\n", 3)
	fmt.Println("FAIL", strings.TrimPrefix(lines[0], "corstest: "))
	fmt.Println(lines[1])
}

func (*printingT) Logf(string, ...any) {}

func (*printingT) Fatalf(format string, args ...any) {
	fmt.Println("FATAL", fmt.Sprintf(format, args...))
}
