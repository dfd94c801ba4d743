package spec

// NormalizeMethod normalizes a method as the Fetch Standard does: a
// byte-case-insensitive match for DELETE, GET, HEAD, OPTIONS, POST or PUT is
// byte-uppercased; every other method is kept as written (`patch` stays
// `patch`). It does not allocate.
func NormalizeMethod(m string) string {
	for _, n := range [...]string{"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"} {
		if equalFold(m, n) {
			return n
		}
	}
	return m
}

// IsSafelistedMethod reports whether m is a CORS-safelisted method: exactly
// `GET`, `HEAD` or `POST` (byte-for-byte; normalize first).
func IsSafelistedMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "POST" }

// IsForbiddenMethod reports whether m is a forbidden method: a
// byte-case-insensitive match for CONNECT, TRACE or TRACK.
func IsForbiddenMethod(m string) bool {
	return equalFold(m, "CONNECT") || equalFold(m, "TRACE") || equalFold(m, "TRACK")
}
