package browser

import (
	"encoding/json"
	"fmt"
	"time"
)

// pageScript runs every item of a batch at once and reports, for each,
// what script can see. An item is one or more steps made one after the
// other from the same page: each waits waitMs, then tells the case server
// which step starts (a same-origin fetch of its signal URL), then makes its
// request with fetch() — or with XMLHttpRequest and an upload listener,
// which sets the use-CORS-preflight flag. Bodies are built in the page as
// the case says (a string, a Blob of a type, FormData or URLSearchParams
// from a query string, a ReadableStream). Every engine evaluates the same
// script in the case's page; it resolves to one JSResult per item (with
// Steps for a multi-step item).
const pageScript = `(async (items, timeout) => {
  const makeBody = (b) => {
    if (!b) return undefined;
    if (b.type === "string") return b.value;
    if (b.type.startsWith("blob:")) return new Blob([b.value], {type: b.type.slice(5)});
    if (b.type === "formdata") { const f = new FormData(); for (const [k, v] of new URLSearchParams(b.value)) f.append(k, v); return f; }
    if (b.type === "urlsearchparams") return new URLSearchParams(b.value);
    if (b.type === "stream") return new ReadableStream({start(c) { c.enqueue(new TextEncoder().encode(b.value)); c.close(); }});
    throw new Error("crosscheck: unknown body type " + b.type);
  };
  const viaFetch = async (s) => {
    try {
      const init = Object.assign({}, s.init, {signal: AbortSignal.timeout(timeout)});
      const body = makeBody(s.body);
      if (body !== undefined) init.body = body;
      const r = await fetch(s.url, init);
      const headers = [...r.headers.keys()];
      try { await r.arrayBuffer(); } catch (e) {}
      return {ok: true, status: r.status, type: r.type, redirected: r.redirected, headers};
    } catch (e) {
      return {ok: false, name: String(e && e.name), message: String(e && e.message)};
    }
  };
  const viaXHR = (s) => new Promise((resolve) => {
    try {
      const x = new XMLHttpRequest();
      x.open(s.init.method || "GET", s.url);
      x.withCredentials = s.init.credentials === "include";
      x.timeout = timeout;
      for (const [n, v] of (s.init.headers || [])) x.setRequestHeader(n, v);
      x.upload.addEventListener("progress", () => {});
      x.onload = () => resolve({ok: true, status: x.status, headers: x.getAllResponseHeaders().split("\r\n")
        .filter((l) => l.includes(":")).map((l) => l.slice(0, l.indexOf(":")).trim().toLowerCase())});
      x.onerror = () => resolve({ok: false, xhrError: true, name: "error", message: "XMLHttpRequest error event"});
      x.ontimeout = () => resolve({ok: false, name: "TimeoutError", message: "XMLHttpRequest timeout"});
      const body = makeBody(s.body);
      x.send(body === undefined ? null : body);
    } catch (e) {
      resolve({ok: false, name: String(e && e.name), message: String(e && e.message)});
    }
  });
  const runItem = async (it) => {
    const out = [];
    for (const s of it.steps) {
      if (s.waitMs) await new Promise((r) => setTimeout(r, s.waitMs));
      if (s.signal) {
        try {
          const r = await fetch(s.signal, {cache: "no-store"});
          if (!r.ok) throw new Error("status " + r.status);
        } catch (e) {
          out.push({ok: false, name: "crosscheck", message: "the step signal failed: " + e});
          break;
        }
      }
      out.push(await (s.xhr ? viaXHR(s) : viaFetch(s)));
    }
    return it.multi ? {ok: true, steps: out} : out[0];
  };
  return Promise.all(items.map(runItem));
})(%s, %d)`

// scriptItem is one item of a batch, as the page script receives it.
type scriptItem struct {
	Multi bool         `json:"multi,omitempty"`
	Steps []scriptStep `json:"steps"`
}

// scriptStep is one request of an item.
type scriptStep struct {
	URL  string         `json:"url"`
	Init map[string]any `json:"init"`
	// Body is how script builds the request body; nil for none.
	Body *scriptBody `json:"body,omitempty"`
	// XHR makes the request with XMLHttpRequest and an upload listener.
	XHR    bool `json:"xhr,omitempty"`
	WaitMs int  `json:"waitMs,omitempty"`
	// Signal is the URL the page fetches before the step, so the case
	// server knows the requests that follow belong to it; "" for the first
	// step.
	Signal string `json:"signal,omitempty"`
}

// scriptBody is a request body: its type (string, blob:<mime type>,
// formdata, urlsearchparams, stream) and the text it is built from.
type scriptBody struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// batchScript is the expression that runs batch in its page.
func batchScript(batch []*item) (string, error) {
	list := make([]scriptItem, len(batch))
	for i, it := range batch {
		list[i] = scriptItem{Multi: len(it.steps) > 1, Steps: it.steps}
	}
	arg, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("encode batch: %w", err)
	}
	return fmt.Sprintf(pageScript, arg, fetchTimeout.Milliseconds()), nil
}

// batchDeadline is how long a batch may take: the fixed allowance plus the
// longest sum of waits of one of its items.
func batchDeadline(batch []*item) time.Duration {
	longest := 0
	for _, it := range batch {
		longest = max(longest, it.waits())
	}
	return batchTimeout + time.Duration(longest)*time.Millisecond
}
