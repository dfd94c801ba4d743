package browser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FirefoxEnv is the environment variable that names the Firefox binary to
// use instead of searching for one (for example a firefox-esr unpacked
// from an older Debian package).
const FirefoxEnv = "CROSSCHECK_FIREFOX"

// FirefoxInstallHint says how to install Firefox; it ends every "not found"
// error.
const FirefoxInstallHint = "install Firefox ESR (Debian: apt-get update && " +
	"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends firefox-esr), " +
	"or set " + FirefoxEnv + " to a Firefox binary"

// ErrNoFirefox is returned (wrapped) when no Firefox binary is found. It
// wraps ErrNoBrowser.
var ErrNoFirefox = fmt.Errorf("no Firefox found (%w)", ErrNoBrowser)

// firefoxCandidates are tried in order by FindFirefox: the real binary
// before the /usr/bin names, which are symlinks or wrapper scripts.
var firefoxCandidates = []string{
	"/usr/lib/firefox-esr/firefox-esr",
	"/usr/lib/firefox/firefox",
	"firefox-esr",
	"firefox",
}

// FindFirefox returns the path of the Firefox to run: $CROSSCHECK_FIREFOX
// when set (it must exist), else the first of the usual names found. The
// error wraps ErrNoFirefox and says how to install it.
func FindFirefox() (string, error) {
	return findBrowser(FirefoxEnv, firefoxCandidates, ErrNoFirefox, FirefoxInstallHint)
}

// firefoxDirPrefix starts the name of every Firefox run's private directory
// under the system temp directory: ccfirefox-<pid>-<random>, holding the
// profile, HOME and TMPDIR of the browser.
const firefoxDirPrefix = "ccfirefox-"

// firefoxPrefs are written to the profile's user.js. They keep Firefox's
// own traffic off the network (every host goes to the case server, which
// refuses tunnels to hosts that are not the cases'), pin the language of
// its console messages, and make a request that fails on the network fail
// once: with the default of 10 attempts a dropped connection would reach
// the case server ten times.
var firefoxPrefs = []struct {
	name  string
	value any
}{
	{"intl.locale.requested", "en-US"},
	{"network.http.request.max-attempts", 1},
	{"network.trr.mode", 5},
	{"network.http.http3.enable", false},
	{"network.dns.disablePrefetch", true},
	{"network.prefetch-next", false},
	{"network.predictor.enabled", false},
	{"network.http.speculative-parallel-limit", 0},
	{"network.captive-portal-service.enabled", false},
	{"network.connectivity-service.enabled", false},
	{"network.http.max-persistent-connections-per-proxy", 256},
	{"services.settings.server", "data:,#remote-settings-dummy/v1"},
	{"browser.safebrowsing.malware.enabled", false},
	{"browser.safebrowsing.phishing.enabled", false},
	{"browser.safebrowsing.downloads.enabled", false},
	{"browser.safebrowsing.blockedURIs.enabled", false},
	{"browser.safebrowsing.update.enabled", false},
	{"app.normandy.enabled", false},
	{"app.update.enabled", false},
	{"extensions.update.enabled", false},
	{"media.gmp-manager.updateEnabled", false}, // else aus5.mozilla.org and update.googleapis.com
	{"media.gmp-manager.url", "data:,"},
	{"media.gmp-widevinecdm.enabled", false},
	{"media.eme.enabled", false},
	{"extensions.getAddons.cache.enabled", false},
	{"extensions.blocklist.enabled", false},
	{"datareporting.healthreport.uploadEnabled", false},
	{"datareporting.policy.dataSubmissionEnabled", false},
	{"toolkit.telemetry.enabled", false},
	{"browser.startup.page", 0},
	{"browser.startup.homepage", "about:blank"},
	{"browser.newtabpage.enabled", false},
	{"browser.shell.checkDefaultBrowser", false},
	{"security.OCSP.enabled", 0},
	{"security.remote_settings.crlite_filters.enabled", false},
	{"security.remote_settings.intermediates.enabled", false},
	// A 401 with WWW-Authenticate or a 407 must not open a credentials
	// prompt, which would hold the fetch until the batch times out: the
	// browser answers it without one (0: subresources never prompt).
	{"network.auth.subresource-http-auth-allow", 0},
	// Loopback hosts ([::1] cases) go through the case server too.
	{"network.proxy.allow_hijacking_localhost", true},
	// Some cases run from http:// pages: no HTTPS upgrade of the page.
	{"dom.security.https_first", false},
	{"dom.security.https_first_schemeless", false},
	{"dom.security.https_only_mode", false},
	// No spare content process started ahead of need: a run has two
	// browsers (the second for cases with steps), and a spare each costs
	// about 45 MB of the run's peak PSS and some of its start.
	{"dom.ipc.processPrelaunch.enabled", false},
}

// userJS is the profile's user.js.
func userJS() []byte {
	var b bytes.Buffer
	for _, p := range firefoxPrefs {
		v := ""
		switch x := p.value.(type) {
		case string:
			v = strconv.Quote(x)
		default:
			v = fmt.Sprint(x)
		}
		fmt.Fprintf(&b, "user_pref(%q, %s);\n", p.name, v)
	}
	return b.Bytes()
}

// certOverrides is the profile's cert_override.txt: the run's certificate
// accepted for each host:port, and nowhere else. Firefox keys overrides by
// the host and port of the URL (through a proxy too), and compares the
// certificate's SHA-256 fingerprint.
func certOverrides(cert *certificate, authorities []string) []byte {
	sum := sha256.Sum256(cert.tls.Certificate[0])
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	fp := strings.Join(hexes, ":")
	var b bytes.Buffer
	b.WriteString("# PSM Certificate Override Settings file\n# This is a generated file!  Do not edit.\n")
	for _, a := range authorities {
		fmt.Fprintf(&b, "%s:\tOID.2.16.840.1.101.3.4.2.1\t%s\t\n", a, fp)
	}
	return b.Bytes()
}

// firefox is a headless Firefox started for one run, speaking WebDriver
// BiDi, with a private directory for its profile, HOME and TMPDIR.
type firefox struct {
	cmd     *exec.Cmd
	dir     string
	profile string
	out     *tailBuffer
	exited  chan struct{} // closed when the process has been reaped
	bidi    *bidi
	once    sync.Once
}

// firefoxConfig is what startFirefox needs.
type firefoxConfig struct {
	execPath    string
	cert        *certificate
	authorities []string // host:port to trust cert for
	events      func(method string, params json.RawMessage)
}

// bidiListening is what Firefox prints on stderr once its WebDriver BiDi
// server listens.
var bidiListening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// startFirefox launches Firefox and connects to its WebDriver BiDi server.
// The browser lives until close is called; if this process dies, the
// kernel kills it (Pdeathsig) and its children see their parent go.
func startFirefox(ctx context.Context, cfg firefoxConfig) (*firefox, error) {
	dir, err := newRunDir(firefoxDirPrefix, "profile", "home", "tmp")
	if err != nil {
		return nil, err
	}
	f := &firefox{dir: dir, profile: filepath.Join(dir, "profile"), out: newTailBuffer(), exited: make(chan struct{})}
	home, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "tmp")
	files := map[string][]byte{
		"user.js":           userJS(),
		"cert_override.txt": certOverrides(cfg.cert, cfg.authorities),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(f.profile, name), data, 0o600); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("profile: %w", err)
		}
	}
	f.cmd = exec.Command(cfg.execPath, "--headless", "--no-remote", "--remote-debugging-port=0", "--profile", f.profile)
	f.cmd.Env = launchEnv(firefoxDropsEnv,
		"HOME="+home, "TMPDIR="+tmp,
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME="+filepath.Join(home, ".local", "state"),
		"MOZ_REMOTE_SETTINGS_DEVTOOLS=1", // else services.settings.server is ignored
		"MOZ_CRASHREPORTER_DISABLE=1",
		"LANG=C.UTF-8", "LC_ALL=C.UTF-8",
	)
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	wsURL := make(chan string, 1)
	f.cmd.Stdout = f.out
	f.cmd.Stderr = &lineWatcher{tail: f.out, re: bidiListening, found: wsURL}
	// Content processes inherit stderr; after the group is killed, Wait
	// need not wait for a straggler to close it.
	f.cmd.WaitDelay = 2 * time.Second
	if err := f.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", cfg.execPath, err)
	}
	go func() {
		f.cmd.Wait()
		close(f.exited)
	}()
	var u string
	select {
	case u = <-wsURL:
	case <-f.exited:
		f.close()
		return nil, fmt.Errorf("%s exited before its WebDriver BiDi server listened%s", cfg.execPath, f.output())
	case <-ctx.Done():
		f.close()
		return nil, fmt.Errorf("start %s: %w", cfg.execPath, ctx.Err())
	case <-time.After(30 * time.Second):
		f.close()
		return nil, fmt.Errorf("%s: no WebDriver BiDi server after 30 s%s", cfg.execPath, f.output())
	}
	ws, err := dialWS(ctx, strings.TrimSuffix(u, "/")+"/session", 256<<20)
	if err != nil {
		f.close()
		return nil, fmt.Errorf("%w%s", err, f.output())
	}
	f.bidi = newBiDi(ws, cfg.events)
	return f, nil
}

// lineWatcher copies a process's output to tail and sends the first
// submatch of re in a line to found (once).
type lineWatcher struct {
	tail  io.Writer
	re    *regexp.Regexp
	found chan<- string
	line  []byte
	done  bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.tail.Write(p)
	if w.done {
		return len(p), nil
	}
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		if m := w.re.FindSubmatch(w.line[:i]); m != nil {
			w.found <- string(m[1])
			w.done, w.line = true, nil
			break
		}
		w.line = w.line[i+1:]
	}
	if len(w.line) > 64<<10 {
		w.line = nil // no line is that long
	}
	return len(p), nil
}

// firefoxDropsEnv names the variables of this process's environment a
// Firefox run does not inherit: no display (the browser is headless), and
// no locale or XDG directory of the user's.
func firefoxDropsEnv(name string) bool {
	return name == "DISPLAY" || name == "WAYLAND_DISPLAY" || strings.HasPrefix(name, "LC_") || strings.HasPrefix(name, "XDG_")
}

// output is the tail of Firefox's output, for error messages.
func (f *firefox) output() string { return f.out.tail("firefox") }

// close ends the browser and removes the run directory: SIGKILL to its
// process group (the browser, its fork server and content processes) and
// to any process left that names the run directory (the crash helper
// starts a session of its own), then the directory goes. Nothing of the
// profile is kept, so nothing needs a clean shutdown, and this takes
// milliseconds where browser.close takes one or two seconds. It is safe
// to call more than once.
func (f *firefox) close() {
	f.once.Do(func() {
		if f.cmd != nil && f.cmd.Process != nil {
			syscall.Kill(-f.cmd.Process.Pid, syscall.SIGKILL)
		}
		if f.bidi != nil {
			f.bidi.close()
		}
		killNaming(f.dir)
		if f.cmd != nil && f.cmd.Process != nil {
			select {
			case <-f.exited:
			case <-time.After(3 * time.Second):
			}
		}
		removeAllRetry(f.dir)
	})
}
