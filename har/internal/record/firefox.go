package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// recordFirefox opens the page in headless Firefox with its DevTools
// toolbox and the netmonitor's HAR auto-export on: Firefox's own exporter
// (devtools/client/netmonitor/src/har) writes the HAR when the page has
// loaded. The page runs the scenario itself and holds its load event until
// the scenario is done. For "cached", the start page runs the scenario
// once before it navigates to the page, which runs it again; the exporter
// starts collecting at that navigation, so the HAR holds the second run.
func recordFirefox(parent context.Context, addr string, cert tls.Certificate, name string) (any, string, error) {
	// The toolbox opens at its own pace; a page that navigates before it
	// is ready is not exported. Try again with a longer wait.
	var err error
	for _, wait := range []int{8000, 15000, 25000} {
		var har any
		var version string
		har, version, err = recordFirefoxOnce(parent, addr, cert, name, wait)
		if err == nil {
			return har, version, nil
		}
		fmt.Fprintf(os.Stderr, "record: firefox with a %d ms wait: %v\n", wait, err)
	}
	return nil, "", err
}

func recordFirefoxOnce(parent context.Context, addr string, cert tls.Certificate, name string, wait int) (any, string, error) {
	exe := os.Getenv("CROSSCHECK_FIREFOX")
	if exe == "" {
		exe = "/usr/lib/firefox-esr/firefox-esr"
	}
	out, err := exec.Command(exe, "--version").Output()
	if err != nil {
		return nil, "", fmt.Errorf("%s --version: %w", exe, err)
	}
	version := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "Mozilla Firefox"))
	_, port, _ := net.SplitHostPort(addr)
	dir, err := os.MkdirTemp("", "ccrec-ff-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	profile, harDir := filepath.Join(dir, "profile"), filepath.Join(dir, "har")
	for _, d := range []string{profile, harDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, "", err
		}
	}
	prefs := []string{
		`user_pref("devtools.netmonitor.har.enableAutoExportToFile", true);`,
		fmt.Sprintf(`user_pref("devtools.netmonitor.har.defaultLogDir", %q);`, harDir),
		`user_pref("devtools.netmonitor.har.defaultFileName", "recording");`,
		`user_pref("devtools.netmonitor.har.includeResponseBodies", false);`,
		`user_pref("devtools.toolbox.selectedTool", "netmonitor");`,
		`user_pref("devtools.chrome.enabled", true);`,
		// Every name to the recorder's listener, keeping the default port
		// in the URLs.
		`user_pref("network.dns.forceResolve", "127.0.0.1");`,
		fmt.Sprintf(`user_pref("network.socket.forcePort", "443=%s");`, port),
		`user_pref("network.trr.mode", 5);`,
		`user_pref("network.http.http3.enable", false);`,
		`user_pref("network.http.request.max-attempts", 1);`,
		`user_pref("services.settings.server", "data:,#remote-settings-dummy/v1");`,
		`user_pref("network.captive-portal-service.enabled", false);`,
		`user_pref("network.connectivity-service.enabled", false);`,
		`user_pref("browser.safebrowsing.malware.enabled", false);`,
		`user_pref("browser.safebrowsing.phishing.enabled", false);`,
		`user_pref("app.normandy.enabled", false);`,
		`user_pref("browser.startup.page", 0);`,
		`user_pref("datareporting.policy.dataSubmissionEnabled", false);`,
		`user_pref("toolkit.telemetry.enabled", false);`,
		`user_pref("browser.shell.checkDefaultBrowser", false);`,
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(strings.Join(prefs, "\n")+"\n"), 0o600); err != nil {
		return nil, "", err
	}
	// Trust the recorder's certificate for the three hosts only: one
	// override line per host and port (the forced port is the socket's).
	sum := sha256.Sum256(cert.Certificate[0])
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	var overrides strings.Builder
	overrides.WriteString("# PSM Certificate Override Settings file\n# This is a generated file!  Do not edit.\n")
	for _, h := range []string{"app.example", "api.example", "other.example"} {
		for _, p := range []string{"443", port} {
			fmt.Fprintf(&overrides, "%s:%s:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n", h, p, strings.Join(hexes, ":"))
		}
	}
	if err := os.WriteFile(filepath.Join(profile, "cert_override.txt"), []byte(overrides.String()), 0o600); err != nil {
		return nil, "", err
	}
	run := name + "-1"
	page := fmt.Sprintf("%s/start.html?run=%s&wait=%d", appOrigin, run, wait)
	if name == "cached" {
		page += "&warm=1"
	}
	final := "auto=" + run
	ctx, cancel := context.WithTimeout(parent, 60*time.Second+time.Duration(wait)*time.Millisecond)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-remote", "--profile", profile, "--devtools", page)
	cmd.Env = append(os.Environ(), "MOZ_REMOTE_SETTINGS_DEVTOOLS=1", "HOME="+dir, "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}()
	// Every page load is exported to its own file; wait for the one of
	// the final page.
	var data []byte
	for data == nil {
		files, _ := filepath.Glob(filepath.Join(harDir, "*.har"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !json.Valid(b) {
				continue // not written out yet
			}
			var probe struct {
				Log struct {
					Pages []struct{ Title string } `json:"pages"`
				} `json:"log"`
			}
			if json.Unmarshal(b, &probe) == nil && len(probe.Log.Pages) > 0 && strings.Contains(probe.Log.Pages[0].Title, final) {
				data = b
			}
		}
		if data != nil {
			break
		}
		select {
		case <-ctx.Done():
			tail := logs.String()
			if len(tail) > 2000 {
				tail = tail[len(tail)-2000:]
			}
			return nil, "", fmt.Errorf("no HAR of the page exported in time (%d files); firefox output:\n%s", len(files), tail)
		case <-time.After(300 * time.Millisecond):
		}
	}
	var har map[string]any
	if err := json.Unmarshal(data, &har); err != nil {
		return nil, "", fmt.Errorf("the exported HAR: %w", err)
	}
	log, ok := har["log"].(map[string]any)
	if !ok {
		return nil, "", errors.New("the exported HAR has no log")
	}
	log["comment"] = fmt.Sprintf("Exported by Firefox %s's own DevTools HAR exporter (devtools.netmonitor.har.enableAutoExportToFile) "+
		"in a headless run driven by crosscheck's har/internal/record; scenario %q.", version, name)
	return har, version, nil
}
