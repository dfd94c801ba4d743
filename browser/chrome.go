package browser

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv is the environment variable that names the Chromium (or
// Chrome) binary to use instead of searching for one.
const ChromiumEnv = "CROSSCHECK_CHROMIUM"

// InstallHint says how to install Chromium; it ends every "not found" error.
const InstallHint = "install Chromium (Debian/Ubuntu: apt-get update && " +
	"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium), " +
	"or set " + ChromiumEnv + " to a Chrome or Chromium binary"

// ErrNoChromium is returned (wrapped) when no Chromium binary is found. It
// wraps ErrNoBrowser.
var ErrNoChromium = fmt.Errorf("no Chromium found (%w)", ErrNoBrowser)

// candidates are tried in order by FindChromium. The real binary comes
// before Debian's /usr/bin/chromium wrapper script, which sources
// /etc/chromium.d and adds flags of its own.
var candidates = []string{
	"/usr/lib/chromium/chromium",
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"chrome",
}

// FindChromium returns the path of the browser to run: $CROSSCHECK_CHROMIUM
// when set (it must exist), else the first of the usual names found. The
// error wraps ErrNoChromium and says how to install it.
func FindChromium() (string, error) {
	return findBrowser(ChromiumEnv, candidates, ErrNoChromium, InstallHint)
}

// runDirPrefix starts the name of every run's private directory under the
// system temp directory: ccbrowser-<pid>-<random>. It is short because
// Chrome puts a Unix socket under its TMPDIR, and socket paths are limited
// to 107 bytes.
const runDirPrefix = "ccbrowser-"

// maxTmpDir is the longest TMPDIR Chrome accepts: it adds
// "/org.chromium.Chromium.XXXXXX/SingletonSocket" (45 bytes) and the whole
// must fit a 108-byte sun_path.
const maxTmpDir = 107 - 45

// chrome is a headless Chromium started for one run, with a private
// directory for its profile and its TMPDIR.
type chrome struct {
	ctx     context.Context // the first tab; child contexts open more tabs
	cancel  context.CancelFunc
	acancel context.CancelFunc
	dir     string // removed by close
	profile string
	out     *tailBuffer
	once    sync.Once
}

// chromeConfig is what startChrome needs.
type chromeConfig struct {
	execPath string
	port     int          // every host name is mapped to 127.0.0.1:port
	spki     string       // base64 SHA-256 of the only certificate key to trust
	listen   func(ev any) // DevTools events of the first tab, from its start
}

// startChrome launches Chromium and opens its first tab. The browser lives
// until close is called or parent ends.
func startChrome(parent context.Context, cfg chromeConfig) (*chrome, error) {
	dir, err := newRunDir(runDirPrefix)
	if err != nil {
		return nil, err
	}
	c := &chrome{dir: dir, profile: filepath.Join(dir, "profile"), out: newTailBuffer()}
	tmp := dir // Chrome's TMPDIR: its singleton socket directory goes here
	if len(tmp) > maxTmpDir {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("run directory %s is too long for Chrome's socket path (at most %d bytes); set TMPDIR to a shorter directory", tmp, maxTmpDir)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(cfg.execPath),
		chromedp.UserDataDir(c.profile),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.CombinedOutput(c.out),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		// Chrome's own defaults plus: no automatic https upgrade of the
		// http:// pages some cases run from.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"),
		// Every host name goes to the case server on loopback.
		chromedp.Flag("host-resolver-rules", fmt.Sprintf("MAP * 127.0.0.1:%d", cfg.port)),
		// IP literals are never remapped by the rules above: every request,
		// loopback ones included, goes through the case server as a proxy.
		chromedp.Flag("proxy-server", fmt.Sprintf("http://127.0.0.1:%d", cfg.port)),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("ignore-certificate-errors-spki-list", cfg.spki),
	)
	actx, acancel := chromedp.NewExecAllocator(parent, opts...)
	var copts []chromedp.ContextOption
	if cfg.listen != nil {
		copts = append(copts, chromedp.WithListener(cfg.listen))
	}
	bctx, bcancel := chromedp.NewContext(actx, copts...)
	c.ctx, c.cancel, c.acancel = bctx, bcancel, acancel
	if err := chromedp.Do(bctx); err != nil {
		c.close()
		return nil, fmt.Errorf("start %s: %w%s", cfg.execPath, err, c.output())
	}
	return c, nil
}

// output is the tail of Chrome's output, for error messages.
func (c *chrome) output() string { return c.out.tail("chromium") }

// close shuts the browser down gracefully (bounded), kills any process left
// that uses the run's profile, and removes the run directory. It is safe to
// call more than once.
func (c *chrome) close() {
	c.once.Do(func() {
		tctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), 3*time.Second)
		chromedp.Cancel(tctx)
		cancel()
		c.cancel()
		c.acancel()
		killUsing(c.profile)
		removeAllRetry(c.dir)
	})
}

// killUsing SIGKILLs every process whose command line names profile as its
// user data directory (Chrome passes it to all its children), looking again
// until a few passes in a row find none.
func killUsing(profile string) { killNaming("--user-data-dir=" + profile) }
