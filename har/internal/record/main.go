// Command record makes the HAR fixtures of package har from real browser
// runs. It serves three HTTPS origins (https://app.example,
// https://api.example, https://other.example) on one 127.0.0.1 port, with
// one CORS misconfiguration per API path, opens https://app.example/cors.html
// in a headless browser, runs a scenario of fetch() calls there, and writes
// what the browser recorded as a HAR file:
//
//   - Chromium (chromedp): every DevTools protocol message of the tab is
//     captured as sent, and the Network events become a HAR the way Chrome
//     DevTools' "Export HAR" builds it (build.go).
//   - Firefox: its own DevTools HAR exporter writes the file
//     (devtools.netmonitor.har.enableAutoExportToFile), see firefox.go.
//
// It is a developer tool, run by hand when the fixtures need remaking:
//
//	CROSSCHECK_CHROMIUM=/path/to/chromium go run ./har/internal/record -browser chromium -out har/testdata
//	go run ./har/internal/record -browser firefox -out har/testdata
//
// har/testdata/README.md says which browser versions made the committed
// fixtures.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

func main() {
	browser := flag.String("browser", "chromium", "browser to record with: chromium or firefox")
	out := flag.String("out", "har/testdata", "directory the HAR files are written to")
	only := flag.String("scenario", "", "record only this scenario (misconfigs or cached)")
	flag.Parse()
	if err := run(*browser, *out, *only); err != nil {
		fmt.Fprintf(os.Stderr, "record: %v\n", err)
		os.Exit(1)
	}
}

func run(browser, out, only string) error {
	cert, spki, err := newCert()
	if err != nil {
		return err
	}
	addr, stop, err := serve(cert)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	for _, name := range []string{"misconfigs", "cached"} {
		if only != "" && only != name {
			continue
		}
		var (
			har     any
			version string
		)
		switch browser {
		case "chromium":
			har, version, err = recordChromium(ctx, addr, spki, name)
		case "firefox":
			har, version, err = recordFirefox(ctx, addr, cert, name)
		default:
			return fmt.Errorf("-browser %q: want chromium or firefox", browser)
		}
		if err != nil {
			return fmt.Errorf("%s, scenario %s: %w", browser, name, err)
		}
		file := filepath.Join(out, fmt.Sprintf("%s-%s-%s.har", browser, majorVersion(version), name))
		if err := writeJSON(file, har); err != nil {
			return err
		}
		fmt.Printf("%s (%s %s)\n", file, browser, version)
	}
	return nil
}

var majorRE = regexp.MustCompile(`^\d+`)

func majorVersion(v string) string {
	if m := majorRE.FindString(v); m != "" {
		return m
	}
	return strings.ReplaceAll(v, " ", "_")
}

// writeJSON writes v indented by two spaces, as DevTools saves a HAR.
func writeJSON(file string, v any) error {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}
