package browser

import (
	"encoding/json"
	"fmt"
)

// fetchScript runs every fetch of a batch at once and reports, for each,
// what script can see. Every engine evaluates the same script in the
// case's page; it resolves to one JSResult per item.
const fetchScript = `(async (items, timeout) => Promise.all(items.map(async (it) => {
  try {
    const r = await fetch(it.url, Object.assign({}, it.init, {signal: AbortSignal.timeout(timeout)}));
    const headers = [...r.headers.keys()];
    try { await r.arrayBuffer(); } catch (e) {}
    return {ok: true, status: r.status, type: r.type, redirected: r.redirected, headers};
  } catch (e) {
    return {ok: false, name: String(e && e.name), message: String(e && e.message)};
  }
})))(%s, %d)`

// fetchItem is one fetch of a batch, as the script receives it.
type fetchItem struct {
	URL  string         `json:"url"`
	Init map[string]any `json:"init"`
}

// batchScript is the expression that runs batch in its page.
func batchScript(batch []*item) (string, error) {
	list := make([]fetchItem, len(batch))
	for i, it := range batch {
		list[i] = fetchItem{URL: it.url, Init: it.init}
	}
	arg, err := json.Marshal(list)
	if err != nil {
		return "", fmt.Errorf("encode batch: %w", err)
	}
	return fmt.Sprintf(fetchScript, arg, fetchTimeout.Milliseconds()), nil
}
