package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// webDriver is a client of one classic W3C WebDriver session
// (WebKitWebDriver) over HTTP on 127.0.0.1: the few commands the WebKit
// engine needs.
type webDriver struct {
	base    string // http://127.0.0.1:port
	session string
	hc      *http.Client
}

// wdError is an error a WebDriver command answered with.
type wdError struct {
	Command string
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *wdError) Error() string {
	return fmt.Sprintf("WebDriver %s: %d %s: %s", e.Command, e.Status, e.Code, e.Message)
}

// do sends one command and decodes its "value" into out (when not nil).
func (w *webDriver) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("WebDriver %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := w.hc.Do(req)
	if err != nil {
		return fmt.Errorf("WebDriver %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("WebDriver %s %s: %w", method, path, err)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("WebDriver %s %s: %d, not JSON: %.200q", method, path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		e := &wdError{Command: method + " " + path, Status: resp.StatusCode}
		json.Unmarshal(env.Value, e)
		return e
	}
	if out != nil {
		if err := json.Unmarshal(env.Value, out); err != nil {
			return fmt.Errorf("WebDriver %s %s: decode %.200q: %w", method, path, env.Value, err)
		}
	}
	return nil
}

// wdCapabilities is what a new session reports about the browser: the
// W3C capabilities classic WebDriver's POST /session and WebDriver BiDi's
// session.new both answer with.
type wdCapabilities struct {
	BrowserName    string `json:"browserName"`
	BrowserVersion string `json:"browserVersion"`
}

// newSession starts the session with capabilities (the alwaysMatch set).
func (w *webDriver) newSession(ctx context.Context, capabilities map[string]any) (wdCapabilities, error) {
	var v struct {
		SessionID    string         `json:"sessionId"`
		Capabilities wdCapabilities `json:"capabilities"`
	}
	body := map[string]any{"capabilities": map[string]any{"alwaysMatch": capabilities}}
	if err := w.do(ctx, http.MethodPost, "/session", body, &v); err != nil {
		return wdCapabilities{}, err
	}
	if v.SessionID == "" {
		return wdCapabilities{}, fmt.Errorf("WebDriver POST /session: no session id")
	}
	w.session = v.SessionID
	return v.Capabilities, nil
}

// navigate loads url in the current browsing context and waits for it.
func (w *webDriver) navigate(ctx context.Context, url string) error {
	return w.do(ctx, http.MethodPost, "/session/"+w.session+"/url", map[string]any{"url": url}, nil)
}

// execute runs script (a function body; `return` a promise to wait for
// it) and decodes its result into out.
func (w *webDriver) execute(ctx context.Context, script string, out any) error {
	return w.do(ctx, http.MethodPost, "/session/"+w.session+"/execute/sync", map[string]any{"script": script, "args": []any{}}, out)
}

// setScriptTimeout sets how long execute may wait for a script's promise.
func (w *webDriver) setScriptTimeout(ctx context.Context, d time.Duration) error {
	return w.do(ctx, http.MethodPost, "/session/"+w.session+"/timeouts", map[string]any{"script": d.Milliseconds()}, nil)
}
