package browser

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crosscheck-dev/crosscheck/spec"
)

// The WebKit engine runs cases in WebKitGTK's MiniBrowser, under an Xvfb
// of its own (MiniBrowser has no headless mode), through two channels:
//
//   - WebKitWebDriver (classic W3C WebDriver) drives the page: it opens
//     the automation session, whose webkitgtk:browserOptions.certificates
//     pins the run's certificate for each of the cases' hosts (nothing
//     else is trusted: no --ignore-tls-errors; an IP address is named as
//     WebKit names the URL's host: no brackets, IPv6 in the URL
//     Standard's form), navigates, and starts the batch scripts and
//     collects their results (webkit_session.go: batches of one page run
//     at the same time).
//   - WebKit's inspector HTTP server (WEBKIT_INSPECTOR_HTTP_SERVER) gives
//     a WebSocket to the same page whose Network and Console events carry
//     WebKit's own words for a blocked fetch (loadingFailed's errorText,
//     the console messages of a load refused in the page), which
//     WebDriver never shows. They are filed by case run and step: the
//     page's step signal, a request the inspector sees too, starts the
//     next step (webkit_inspector.go).
//
// The two cannot be had from one launch by WebKitWebDriver: with
// WEBKIT_INSPECTOR_HTTP_SERVER set, MiniBrowser's inspector server moves
// to a port of its own choosing and the driver, which names the port
// itself, never connects. So the engine starts MiniBrowser itself (with
// --automation and the HTTP server), reads that port from /proc, and
// starts WebKitWebDriver with --target pointing at it.
//
// Every host name reaches the case server through MiniBrowser's --proxy
// (the case server is an HTTP proxy that refuses hosts outside the
// table).
//
// # Why both channels
//
// Each channel alone costs something the verifier needs. WebDriver alone
// trusts narrowly but sees no reason: script only gets "TypeError: Load
// failed". The inspector alone sees the reasons, but a MiniBrowser that
// is not under automation can trust TLS only all or nothing
// (--ignore-tls-errors). MiniBrowser's console-to-stdout setting
// (--enable-write-console-messages-to-stdout) prints nothing here: WebKit
// never prints the console of an ephemeral session
// (PageConsoleClient::addMessage), and an automation session always is
// one. Attaching the inspector to the automation page keeps the narrow
// trust and gets the reasons. Its costs: the inspector's port is found in
// /proc (Linux only, like WebKitGTK's MiniBrowser), and the protocol is
// WebKit's own, not a standard. The inspector only listens (Network and
// Console events, among them the marks the page logs when it is ready and
// when a batch has settled); a run whose inspector cannot attach fails at
// start rather than go on without WebKit's words.
//
// Where WebKit's words cover several of the model's reasons (one sentence
// for a missing, a mismatched and an invalid Access-Control-Allow-Origin,
// on a preflight as on a response), the verdict states no reason when the
// table's is among them, and the reason is not compared (webkit_words.go).

// webkitName is WebKit's engine name in case records.
const webkitName = "webkit"

// Environment variables naming the WebKit engine's programs.
const (
	// WebKitDriverEnv names the WebKitWebDriver binary.
	WebKitDriverEnv = "CROSSCHECK_WEBKITWEBDRIVER"
	// MiniBrowserEnv names the MiniBrowser binary.
	MiniBrowserEnv = "CROSSCHECK_MINIBROWSER"
)

// WebKitInstallHint says how to install the WebKit engine's programs.
const WebKitInstallHint = "install WebKitGTK's WebDriver and Xvfb (Debian/Ubuntu: apt-get update && " +
	"DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends webkit2gtk-driver xvfb), " +
	"or set " + WebKitDriverEnv + " and " + MiniBrowserEnv

func init() { register(webkitDriver{}) }

// webkitDriver runs cases in WebKitGTK's MiniBrowser.
type webkitDriver struct{}

func (webkitDriver) Name() string { return webkitName }

func (webkitDriver) Find() error {
	_, err := findWebKit()
	return err
}

// webkitPrograms are the binaries a WebKit run starts.
type webkitPrograms struct {
	driver, miniBrowser, xvfb string
}

// miniBrowserGlobs are where distributions install MiniBrowser (it is not
// on PATH).
var miniBrowserGlobs = []string{
	"/usr/lib/*/webkit2gtk-4.1/MiniBrowser",
	"/usr/lib/*/webkitgtk-6.0/MiniBrowser",
	"/usr/libexec/webkit2gtk-4.1/MiniBrowser",
	"/usr/libexec/webkitgtk-6.0/MiniBrowser",
}

// findWebKit locates WebKitWebDriver, MiniBrowser and Xvfb. The error
// wraps ErrNoBrowser and says how to install what is missing.
func findWebKit() (webkitPrograms, error) {
	var p webkitPrograms
	var missing []string
	look := func(env, name string) string {
		if v := os.Getenv(env); v != "" {
			name = v
		}
		found, err := exec.LookPath(name)
		if err != nil {
			missing = append(missing, name)
			return ""
		}
		return found
	}
	p.driver = look(WebKitDriverEnv, "WebKitWebDriver")
	if os.Getenv(MiniBrowserEnv) != "" {
		p.miniBrowser = look(MiniBrowserEnv, "")
	} else {
		for _, g := range miniBrowserGlobs {
			if m, _ := filepath.Glob(g); len(m) > 0 {
				p.miniBrowser = m[0]
				break
			}
		}
		if p.miniBrowser == "" {
			missing = append(missing, "MiniBrowser")
		}
	}
	p.xvfb = look("", "Xvfb")
	if len(missing) > 0 {
		return p, fmt.Errorf("%w: WebKit engine: %s not found; %s", ErrNoBrowser, strings.Join(missing, ", "), WebKitInstallHint)
	}
	return p, nil
}

// wkHTTP is the client for the WebDriver and inspector servers on
// 127.0.0.1: never through a proxy from the environment.
var wkHTTP = &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 4}}

// webkit is one run's processes: Xvfb, MiniBrowser, WebKitWebDriver.
type webkit struct {
	dir      string // the run directory: certificate, HOME; removed by close
	procs    []*exec.Cmd
	xvfb     *exec.Cmd
	display  int
	mini     *exec.Cmd
	httpAddr string // the inspector HTTP server, 127.0.0.1:port
	wd       *webDriver
	out      *tailBuffer
	once     sync.Once
}

// startWebKit starts Xvfb, MiniBrowser and WebKitWebDriver and opens the
// WebDriver session. On error everything started is stopped again.
func startWebKit(ctx context.Context, progs webkitPrograms, env *Env) (w *webkit, caps wdCapabilities, err error) {
	port, cert := env.Port, env.Cert
	// The run directory's name is Chrome's (runDirPrefix): one sweep of
	// stale ones serves both engines.
	dir, err := newRunDir(runDirPrefix, "home", "cache", "data", "config", "runtime")
	if err != nil {
		return nil, caps, err
	}
	w = &webkit{dir: dir, out: newTailBuffer()}
	defer func() {
		if err != nil {
			w.close()
			w = nil
		}
	}()
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, cert.pem(), 0o600); err != nil {
		return w, caps, fmt.Errorf("certificate file: %w", err)
	}

	if err := w.startXvfb(ctx, progs.xvfb); err != nil {
		return w, caps, err
	}
	httpPort, err := freePort()
	if err != nil {
		return w, caps, err
	}
	w.httpAddr = fmt.Sprintf("127.0.0.1:%d", httpPort)
	w.mini = w.command(progs.miniBrowser,
		"--automation",
		fmt.Sprintf("--proxy=http://127.0.0.1:%d", port),
	)
	w.mini.Env = append(w.mini.Env,
		fmt.Sprintf("DISPLAY=:%d", w.display),
		"GDK_BACKEND=x11",
		"WEBKIT_INSPECTOR_HTTP_SERVER="+w.httpAddr,
		"NO_AT_BRIDGE=1",
		"GTK_A11Y=none",
	)
	if err := w.start(w.mini); err != nil {
		return w, caps, err
	}
	inspectorPort, err := w.waitInspector(ctx, w.mini.Process.Pid, httpPort)
	if err != nil {
		return w, caps, err
	}

	wdPort, err := freePort()
	if err != nil {
		return w, caps, err
	}
	drv := w.command(progs.driver, fmt.Sprintf("--port=%d", wdPort), fmt.Sprintf("--target=127.0.0.1:%d", inspectorPort))
	if err := w.start(drv); err != nil {
		return w, caps, err
	}
	w.wd = &webDriver{base: fmt.Sprintf("http://127.0.0.1:%d", wdPort), hc: wkHTTP}
	if err := w.waitDriver(ctx); err != nil {
		return w, caps, err
	}
	var certs []map[string]string
	for _, h := range webkitCertHosts(env.Authorities) {
		certs = append(certs, map[string]string{"host": h, "certificateFile": certFile})
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	caps, err = w.wd.newSession(sctx, map[string]any{
		"acceptInsecureCerts":      false,
		"webkitgtk:browserOptions": map[string]any{"certificates": certs},
	})
	if err != nil {
		return w, caps, fmt.Errorf("start a WebDriver session: %w%s", err, w.output())
	}
	if err := w.wd.setScriptTimeout(sctx, 5*time.Minute); err != nil {
		return w, caps, err
	}
	return w, caps, nil
}

// webkitCertHosts lists the hosts of authorities (host:port pairs) the
// way WebKit names them when it looks up a pinned certificate: the URL's
// host without brackets, an IPv6 address in the URL Standard's
// serialization (compressed, lowercase hex; an IPv4-mapped address stays
// hex: ::ffff:c000:201), since WebKit parses the URL first. Go's own
// String gives 192.0.2.1 for a mapped address, which WebKit never
// looks up.
func webkitCertHosts(authorities []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range authorities {
		h, _, err := net.SplitHostPort(a)
		if err != nil {
			h = a
		}
		h = strings.Trim(h, "[]")
		if strings.Contains(h, ":") {
			if ip := net.ParseIP(h); ip != nil {
				h = spec.SerializeIPv6(netip.AddrFrom16([16]byte(ip.To16())))
			}
		}
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// command prepares a process of the run: its own process group, killed
// with this process, output kept for error messages, HOME and the XDG
// directories inside the run directory, and the run marker.
func (w *webkit) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	// The browser's helpers inherit its output pipe: do not wait for them
	// to close it.
	cmd.WaitDelay = 500 * time.Millisecond
	cmd.Env = launchEnv(webkitDropsEnv,
		runEnvMarker+"="+w.dir,
		"HOME="+filepath.Join(w.dir, "home"),
		"XDG_CACHE_HOME="+filepath.Join(w.dir, "cache"),
		"XDG_DATA_HOME="+filepath.Join(w.dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(w.dir, "config"),
		"XDG_RUNTIME_DIR="+filepath.Join(w.dir, "runtime"),
	)
	return cmd
}

// webkitDropsEnv names the variables of this process's environment a
// WebKit run does not inherit: the user's display and proxies (the run has
// its own X server, and MiniBrowser its --proxy), and inspector servers
// (the run sets MiniBrowser's own).
func webkitDropsEnv(name string) bool {
	switch strings.ToUpper(name) {
	case "DISPLAY", "WAYLAND_DISPLAY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
		"WEBKIT_INSPECTOR_SERVER", "WEBKIT_INSPECTOR_HTTP_SERVER":
		return true
	}
	return false
}

// start starts cmd and remembers it for close.
func (w *webkit) start(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	w.procs = append(w.procs, cmd)
	return nil
}

// startXvfb starts an X server on a free display, which it reports on a
// pipe (-displayfd).
func (w *webkit) startXvfb(ctx context.Context, xvfb string) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	cmd := w.command(xvfb, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{pw}
	err = w.start(cmd)
	pw.Close()
	if err != nil {
		return err
	}
	w.xvfb = cmd
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(pr).ReadString('\n')
		ch <- result{line, err}
	}()
	select {
	case r := <-ch:
		n, err := strconv.Atoi(strings.TrimSpace(r.line))
		if err != nil {
			return fmt.Errorf("the X server (Xvfb) did not report its display (%q, %v)%s", r.line, r.err, w.output())
		}
		w.display = n
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the X server (Xvfb) did not report its display within 10 s%s", w.output())
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitInspector waits until MiniBrowser (process pid) listens on httpPort
// and on one more TCP port, its inspector server, and its inspector HTTP
// server is connected to that server as a client, and returns the port.
// WebDriver must connect only then: a page whose automation session began
// before the HTTP server's client joined is never listed there.
func (w *webkit) waitInspector(ctx context.Context, pid, httpPort int) (int, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		socks := tcpSockets(pid)
		http, inspector, joined := false, 0, false
		for _, s := range socks {
			if s.state == tcpListen {
				if s.local == httpPort {
					http = true
				} else {
					inspector = s.local
				}
			}
		}
		for _, s := range socks {
			if s.state == tcpEstablished && inspector != 0 && s.remote == inspector {
				joined = true
			}
		}
		if http && joined {
			return inspector, nil
		}
		if w.mini.ProcessState != nil || !processAlive(pid) {
			return 0, fmt.Errorf("MiniBrowser exited before its inspector listened%s", w.output())
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("MiniBrowser's inspector servers were not up within 15 s (sockets %v)%s", socks, w.output())
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// tcpSocket is one TCP socket of a process, from /proc/net/tcp.
type tcpSocket struct {
	local, remote int // ports
	state         string
}

// tcpListen and tcpEstablished are socket states in /proc/net/tcp.
const (
	tcpEstablished = "01"
	tcpListen      = "0A"
)

// tcpSockets lists the TCP sockets of process pid, from /proc.
func tcpSockets(pid int) []tcpSocket {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue
		}
		if ino, ok := strings.CutPrefix(link, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	port := func(addr string) int {
		_, hex, _ := strings.Cut(addr, ":")
		p, _ := strconv.ParseInt(hex, 16, 32)
		return int(p)
	}
	var out []tcpSocket
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || !inodes[f[9]] {
				continue
			}
			out = append(out, tcpSocket{local: port(f[1]), remote: port(f[2]), state: f[3]})
		}
	}
	return out
}

// waitDriver waits until WebKitWebDriver answers /status.
func (w *webkit) waitDriver(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		err := w.wd.do(rctx, http.MethodGet, "/status", nil, nil)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("WebKitWebDriver did not answer within 10 s: %v%s", err, w.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// output is the tail of the processes' output, for error messages.
func (w *webkit) output() string { return w.out.tail("WebKit/Xvfb") }

// close stops every process of the run (SIGTERM, then SIGKILL for those still there after a moment), kills
// any process that still carries the run's marker, removes what Xvfb
// leaves when killed, and removes the run directory. Safe to call twice.
func (w *webkit) close() {
	w.once.Do(func() {
		// No WebDriver "delete session": it waits for a running script,
		// and the driver and the browser go anyway.
		// The browser's helpers (network and web processes) are its
		// children; collect them before their parent goes.
		var pids []int
		for _, c := range w.procs {
			pids = append(pids, c.Process.Pid)
		}
		pids = append(pids, markedProcesses(w.dir)...)
		for _, p := range pids {
			syscall.Kill(-p, syscall.SIGTERM) // its process group
			syscall.Kill(p, syscall.SIGTERM)
		}
		done := make(chan struct{})
		go func() {
			for _, c := range w.procs {
				c.Wait()
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(1500 * time.Millisecond):
			for _, c := range w.procs {
				syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
				c.Process.Kill()
			}
			<-done
		}
		killMarked(w.dir)
		if w.xvfb != nil {
			removeXLeftovers(w.display, w.xvfb.Process.Pid)
		}
		removeAllRetry(w.dir)
	})
}

// removeXLeftovers removes the lock file and socket of display when they
// still belong to the Xvfb that had pid (a killed Xvfb leaves them).
func removeXLeftovers(display, pid int) {
	lock := fmt.Sprintf("/tmp/.X%d-lock", display)
	b, err := os.ReadFile(lock)
	if err != nil {
		return
	}
	if owner, err := strconv.Atoi(strings.TrimSpace(string(b))); err != nil || owner != pid {
		return
	}
	os.Remove(fmt.Sprintf("/tmp/.X11-unix/X%d", display))
	os.Remove(lock)
}

// errNoInspectorPage is returned when the inspector lists no page.
var errNoInspectorPage = errors.New("the inspector HTTP server lists no page")
