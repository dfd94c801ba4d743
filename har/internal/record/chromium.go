package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// rawEvent is one DevTools protocol event as Chromium sent it.
type rawEvent struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// capture keeps every Network and Page event the browser sends, in order.
type capture struct {
	mu     sync.Mutex
	events []rawEvent
}

func (c *capture) debugf(format string, args ...any) {
	if !strings.HasPrefix(format, "<- ") || len(args) != 1 {
		return
	}
	b, ok := args[0].([]byte)
	if !ok {
		return
	}
	var ev rawEvent
	if json.Unmarshal(b, &ev) != nil || !(strings.HasPrefix(ev.Method, "Network.") || strings.HasPrefix(ev.Method, "Page.")) {
		return
	}
	c.mu.Lock()
	c.events = append(c.events, ev) // Unmarshal copied the params out of b
	c.mu.Unlock()
}

func (c *capture) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

var chromeVersion = regexp.MustCompile(`Chrome/([0-9.]+)`) // in Browser.getVersion's product

// recordChromium runs scenario name in headless Chromium and returns the
// HAR DevTools would export for the page, and the browser version. The
// "cached" scenario runs twice and keeps only the second run, like a user
// who clears the Network panel before trying again.
func recordChromium(parent context.Context, addr, spki, name string) (any, string, error) {
	exe := os.Getenv("CROSSCHECK_CHROMIUM")
	if exe == "" {
		exe = "/usr/lib/chromium/chromium"
	}
	dir, err := os.MkdirTemp("", "ccrec-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(dir+"/profile"),
		chromedp.Env("TMPDIR="+dir),
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,HttpsUpgrades"),
		chromedp.Flag("host-resolver-rules", "MAP app.example "+addr+", MAP api.example "+addr+", MAP other.example "+addr+", MAP * ~NOTFOUND"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki),
	)
	actx, acancel := chromedp.NewExecAllocator(parent, opts...)
	defer acancel()
	capt := &capture{}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithDebugf(capt.debugf))
	defer func() {
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		chromedp.Cancel(tctx)
		tcancel()
		cancel()
	}()
	// A first-party visit sets the cookie the credentialed fetches carry.
	if err := chromedp.Do(ctx, chromedp.Navigate(apiOrigin+"/set-cookie")); err != nil {
		return nil, "", fmt.Errorf("navigate: %w", err)
	}
	ua, err := chromedp.Run(ctx, chromedp.Evaluate[string]("navigator.userAgent"))
	if err != nil {
		return nil, "", err
	}
	ver, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return nil, "", err
	}
	version := ""
	if m := chromeVersion.FindStringSubmatch(ver.Product); m != nil {
		version = m[1]
	}
	start := capt.mark() // DevTools clears the log when the page navigates
	if err := chromedp.Do(ctx, chromedp.Navigate(appOrigin+"/cors.html")); err != nil {
		return nil, "", fmt.Errorf("navigate: %w", err)
	}
	if origin, err := chromedp.Run(ctx, chromedp.Evaluate[string]("location.origin")); err != nil || origin != appOrigin {
		return nil, "", fmt.Errorf("the page's origin is %q (%v), want %s", origin, err, appOrigin)
	}
	script := scenarios[name]
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](script+";true")); err != nil {
		return nil, "", err
	}
	runScenario := func() (string, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[string]("window.scenario()", chromedp.EvalAwaitPromise))
	}
	clear := -1
	if name == "cached" {
		if _, err := runScenario(); err != nil {
			return nil, "", err
		}
		time.Sleep(500 * time.Millisecond)
		clear = capt.mark()
	}
	results, err := runScenario()
	if err != nil {
		return nil, "", err
	}
	fmt.Fprintf(os.Stderr, "%s: scenario %s:\n%s\n", exe, name, results)
	// loadingFailed can come after the promise settles.
	time.Sleep(time.Second)

	capt.mu.Lock()
	events := append([]rawEvent(nil), capt.events[start:]...)
	capt.mu.Unlock()
	b := newBuilder()
	keepFrom := 0
	for i, ev := range events {
		if clear >= 0 && i == clear-start {
			keepFrom = len(b.order)
		}
		if err := b.event(ev.Method, ev.Params); err != nil {
			return nil, "", fmt.Errorf("event %d %s: %w", i, ev.Method, err)
		}
	}
	b.order = b.order[keepFrom:]
	if len(b.order) == 0 {
		return nil, "", errors.New("no request recorded")
	}
	comment := fmt.Sprintf("Recorded by crosscheck's har/internal/record from the DevTools protocol events of headless Chromium %s (%s), "+
		"built as Chrome DevTools exports a HAR; scenario %q.", version, ua, name)
	return b.build(ua, comment), version, nil
}
