package main

import (
	"net/http"
	"strings"
	"sync"
)

// misconfigsJS defines window.scenario: the fetches of the main recording,
// one after another (so that the log's order is the code's), each with
// cache: "no-store" so that no preflight comes from the preflight cache.
// Every call is caught: a blocked fetch rejects with a TypeError.
const misconfigsJS = `
window.scenario = async () => {
  const api = "https://api.example", other = "https://other.example";
  const calls = [
    [api + "/ok", {}],
    [api + "/no-acao", {}],
    [api + "/wrong-acao", {}],
    [api + "/star", {credentials: "include"}],
    [api + "/star", {credentials: "omit"}],
    [api + "/no-acac", {credentials: "include"}],
    [api + "/two-acao", {}],
    [api + "/lowercase", {credentials: "include"}],
    [api + "/no-method", {method: "PUT"}],
    [api + "/no-header", {method: "PUT", headers: {"X-Token": "1"}}],
    [api + "/preflight-404", {method: "DELETE"}],
    [api + "/preflight-301", {method: "PUT"}],
    [api + "/redirect-no-acao", {}],
    [api + "/redirect-taint", {}],
    [api + "/redirect-ok", {}],
    [api + "/ok", {method: "PUT", credentials: "include", body: '{"a":1}',
                   headers: {"X-Token": "1", "Content-Type": "application/json"}}],
    [api + "/put-redirect", {method: "PUT", body: "x"}],
    ["/same", {}],
    ["data:text/plain,hello", {}],
    [URL.createObjectURL(new Blob(["blob body"])), {}],
    [api + "/close", {}],
  ];
  const out = [];
  for (const [url, init] of calls) {
    try {
      const r = await fetch(url, Object.assign({cache: "no-store"}, init));
      await r.text();
      out.push(url + " " + r.status);
    } catch (e) {
      out.push(url + " " + e.name);
    }
  }
  // One XMLHttpRequest, so that the log has an xhr entry.
  out.push(await new Promise(resolve => {
    const x = new XMLHttpRequest();
    x.open("GET", api + "/no-acao?via=xhr");
    x.onload = () => resolve("xhr " + x.status);
    x.onerror = () => resolve("xhr error");
    x.send();
  }));
  return out.join("\n");
};
`

// cachedJS defines window.scenario for the preflight-cache recording: two
// PUTs whose preflights allow them for 600 s. Run twice without cache:
// "no-store", the second run takes both preflights from the preflight
// cache, so no preflight is on the wire (nor in the log) for them.
const cachedJS = `
window.scenario = async () => {
  const out = [];
  for (const path of ["/cached-ok", "/cached-bad"]) {
    try {
      const r = await fetch("https://api.example" + path, {method: "PUT", body: "x"});
      await r.text();
      out.push(path + " " + r.status);
    } catch (e) {
      out.push(path + " " + e.name);
    }
  }
  return out.join("\n");
};
`

// scenarios maps a scenario name to its script.
var scenarios = map[string]string{"misconfigs": misconfigsJS, "cached": cachedJS}

// scenarioScript serves /scenario.js?name=… for pages that load it
// themselves (the Firefox recording).
func scenarioScript(w http.ResponseWriter, r *http.Request) {
	run := r.URL.Query().Get("run")
	name, _, _ := strings.Cut(run, "-")
	js, ok := scenarios[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	set(w, "Content-Type", "text/javascript")
	w.Write([]byte(js))
}

var (
	gatesMu sync.Mutex
	gates   = map[string]chan struct{}{}
)

func gate(run string) chan struct{} {
	gatesMu.Lock()
	defer gatesMu.Unlock()
	g, ok := gates[run]
	if !ok {
		g = make(chan struct{})
		gates[run] = g
	}
	return g
}

// gateOpen returns the channel /gate waits on for run.
func gateOpen(run string) <-chan struct{} { return gate(run) }

// openGate releases /gate for run (once).
func openGate(run string) {
	g := gate(run)
	gatesMu.Lock()
	defer gatesMu.Unlock()
	select {
	case <-g:
	default:
		close(g)
	}
}
