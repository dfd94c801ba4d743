package matrix

import "github.com/crosscheck-dev/crosscheck/runner"

// CorpusEntry is one release with a published CORS flaw, the configuration
// that triggers it, and the finding crosscheck must raise.
type CorpusEntry struct {
	// Vulnerable is the flawed release (a targets.VulnImpls name); Fixed
	// is the current release of the same library (a targets.Impls name),
	// run with the same configuration to show the fix.
	Vulnerable, Fixed string
	// Advisory names the published flaw.
	Advisory string
	// Policy is the declared, intended policy the target is certified
	// against; ConfigOrigins is what the library is configured with
	// instead of the policy's origins, the advisory's trigger.
	Policy        string
	ConfigOrigins []string
	// Want is the finding code the flaw must raise on the vulnerable
	// release, and must not raise on the fixed one.
	Want runner.Code
	// Why explains the trigger and the expected finding.
	Why string
}

// Corpus returns the regression corpus (peers.md §A.3, §A.4).
func Corpus() []CorpusEntry {
	return []CorpusEntry{
		{
			Vulnerable: "rs-cors-v1.4.0", Fixed: "rs-cors",
			Advisory: "CVE-2018-20744 (rs/cors#55, golang/vulndb#1792), fixed in v1.5.0",
			Policy:   "strict", ConfigOrigins: []string{"*"},
			Want: runner.OriginReflected,
			Why: "AllowedOrigins [\"*\"] with AllowCredentials: the vulnerable release echoes any Origin with " +
				"Access-Control-Allow-Credentials: true, so every site can read credentialed responses. " +
				"The fixed release answers \"*\" instead, which browsers refuse for credentialed requests.",
		},
		{
			Vulnerable: "echo-v4.9.0", Fixed: "echo",
			Advisory: "labstack/echo#2400, fixed by PR #2405 in v4.10.0",
			Policy:   "strict", ConfigOrigins: []string{"*"},
			Want: runner.OriginReflected,
			Why: "AllowOrigins [\"*\"] with AllowCredentials: the vulnerable release echoes any Origin with " +
				"credentials; later v4 releases only do so with the explicit UnsafeWildcardOriginWithAllowCredentials.",
		},
		{
			Vulnerable: "fiber-v2.52.0", Fixed: "fiber",
			Advisory: "CVE-2024-25124 / GHSA-fmg4-x8pw-hjhg, fixed in v2.52.1",
			Policy:   "strict", ConfigOrigins: []string{"*"},
			Want: runner.WildcardWithCredentials,
			Why: "AllowOrigins \"*\" with AllowCredentials: the vulnerable release accepts the configuration and " +
				"answers \"*\" with Access-Control-Allow-Credentials: true; since v2.52.1 the constructor panics, " +
				"so the fixed release refuses to start (n/a).",
		},
		{
			Vulnerable: "gin-contrib-cors-v1.5.0", Fixed: "gin-contrib-cors",
			Advisory: "CVE-2019-25211 (golang/vulndb#2955), fixed in v1.6.0",
			Policy:   "strict", ConfigOrigins: []string{"https://app.example.com/*"},
			Want: runner.OriginPrefixBypass,
			Why: "AllowWildcard with \"https://app.example.com/*\": the vulnerable release drops the character " +
				"before a trailing \"*\", so the rule becomes the prefix \"https://app.example.com\" and trusts " +
				"https://app.example.com.evil.net. The fixed release keeps the \"/\", which no origin contains.",
		},
	}
}
