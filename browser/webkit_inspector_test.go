package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeInspector is an inspector whose messages come from the test: what
// it writes (the enable commands) is read and decoded on the other end.
func fakeInspector(t *testing.T, rec *wkRecorder) (*inspector, <-chan map[string]any) {
	t.Helper()
	client, server := net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	in := &inspector{ws: &wsConn{c: client, br: bufio.NewReader(client), maxRead: 1 << 20}, rec: rec,
		targets: map[string]*wkTarget{}, done: make(chan struct{})}
	in.cond = sync.NewCond(&in.mu)
	sent := make(chan map[string]any, 16)
	go func() {
		r := bufio.NewReader(server)
		for {
			_, p, err := readMaskedFrame(r)
			if err != nil {
				if err != io.EOF {
					close(sent)
				}
				return
			}
			var m map[string]any
			json.Unmarshal(p, &m)
			sent <- m
		}
	}()
	return in, sent
}

// event feeds one protocol message to the inspector.
func event(t *testing.T, in *inspector, method string, params any) {
	t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	in.handle(&wkMessage{Method: method, Params: b})
}

// fromTarget wraps an inner message as Target.dispatchMessageFromTarget.
func fromTarget(t *testing.T, in *inspector, target string, inner any) {
	t.Helper()
	b, err := json.Marshal(inner)
	if err != nil {
		t.Fatal(err)
	}
	event(t, in, "Target.dispatchMessageFromTarget", map[string]any{"targetId": target, "message": string(b)})
}

// TestInspectorEvents plays the messages WebKit's inspector sends for a
// page target and checks what the recorder attributes to each case run:
// the enable commands, the request ids, a failure's errorText, a refused
// load's security message (which names no URL) and the ready marks.
func TestInspectorEvents(t *testing.T) {
	rec := newWKRecorder()
	for _, k := range []string{"tok-1", "tok-2", "url:ftp://api.example/data", "tok-3"} {
		rec.track(k)
	}
	in, sent := fakeInspector(t, rec)

	event(t, in, "Target.targetCreated", map[string]any{"targetInfo": map[string]any{"targetId": "page-1", "type": "page"}})
	var ids []float64
	for _, want := range []string{"Network.enable", "Console.enable"} {
		select {
		case m := <-sent:
			var inner map[string]any
			json.Unmarshal([]byte(m["params"].(map[string]any)["message"].(string)), &inner)
			if m["method"] != "Target.sendMessageToTarget" || inner["method"] != want {
				t.Fatalf("sent %v (inner %v), want Target.sendMessageToTarget of %s", m, inner, want)
			}
			ids = append(ids, inner["id"].(float64))
		case <-time.After(2 * time.Second):
			t.Fatalf("no %s sent", want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := in.ready(ctx); err == nil {
		t.Error("ready before the enable commands were answered")
	}
	cancel()
	for _, id := range ids {
		fromTarget(t, in, "page-1", map[string]any{"id": id, "result": map[string]any{}})
	}
	if err := in.ready(context.Background()); err != nil {
		t.Fatalf("ready: %v", err)
	}

	// tok-1 fails the CORS check: its errorText is WebKit's sentence.
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.requestWillBeSent", "params": map[string]any{"requestId": "0.1", "request": map[string]any{"url": "https://api.example/__cc/tok-1/data"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "security", "text": "Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "javascript", "text": "Fetch API cannot load https://api.example/__cc/tok-1/data due to access control checks."}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.loadingFailed", "params": map[string]any{"requestId": "0.1", "errorText": "Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200"}})
	// tok-2 is allowed; a request of an untracked run is ignored.
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.requestWillBeSent", "params": map[string]any{"requestId": "0.2", "request": map[string]any{"url": "https://api.example/__cc/tok-2/data"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.requestWillBeSent", "params": map[string]any{"requestId": "0.3", "request": map[string]any{"url": "https://api.example/__cc/other/data"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.loadingFinished", "params": map[string]any{"requestId": "0.2"}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Network.loadingFailed", "params": map[string]any{"requestId": "0.3", "errorText": "x"}})
	// An ftp: fetch is refused before any request: the security message
	// names nothing, the next one names the URL.
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "security", "text": "Cross origin requests are only supported for HTTP."}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "javascript", "text": "Fetch API cannot load ftp://api.example/data due to access control checks."}}})
	// A security message followed by an unrelated one is not carried
	// over to a later case.
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "security", "text": "Something else."}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "other", "text": "unrelated"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "javascript", "text": "Fetch API cannot load https://api.example/__cc/tok-3/x. Connection terminated unexpectedly"}}})
	fromTarget(t, in, "page-1", map[string]any{"method": "Console.messageAdded", "params": map[string]any{"message": map[string]any{"source": "console-api", "text": readyMark + "7"}}})

	tests := []struct {
		key  string
		want wkLog
	}{
		{"tok-1", wkLog{sent: true, failed: true, errorText: "Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200",
			console: []string{"Origin https://app.example is not allowed by Access-Control-Allow-Origin. Status code: 200", "Fetch API cannot load https://api.example/__cc/tok-1/data due to access control checks."}}},
		{"tok-2", wkLog{sent: true, finished: true}},
		{"url:ftp://api.example/data", wkLog{console: []string{"Cross origin requests are only supported for HTTP.", "Fetch API cannot load ftp://api.example/data due to access control checks."}}},
		{"tok-3", wkLog{console: []string{"Fetch API cannot load https://api.example/__cc/tok-3/x. Connection terminated unexpectedly"}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff([]wkLog{tt.want}, rec.stepLogs(tt.key, 1), cmp.AllowUnexported(wkLog{})); diff != "" {
			t.Errorf("log of %s mismatch (-want +got):\n%s", tt.key, diff)
		}
	}
	mctx, mcancel := context.WithTimeout(context.Background(), time.Second)
	defer mcancel()
	if !rec.sawMark(mctx, readyMark+"7") {
		t.Error("the ready mark was not seen")
	}
	short, scancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer scancel()
	if rec.sawMark(short, readyMark+"8") {
		t.Error("a mark never logged was seen")
	}

	// A destroyed target is no longer waited for, and its ids are gone.
	event(t, in, "Target.targetDestroyed", map[string]any{"targetId": "page-1"})
	if got, ok := in.stepOf("page-1", "0.1"); ok {
		t.Errorf("stepOf after targetDestroyed = %v, want none", got)
	}
}

// TestWKRecorderWait waits for the failed fetch's words and gives up at the
// deadline for a run that never ends.
func TestWKRecorderWait(t *testing.T) {
	rec := newWKRecorder()
	rec.track("a")
	rec.track("b")
	go func() {
		time.Sleep(20 * time.Millisecond)
		rec.mu.Lock()
		l := rec.logs["a"].step(0)
		l.console = append(l.console, "words")
		rec.cond.Broadcast()
		rec.mu.Unlock()
	}()
	t0 := time.Now()
	rec.wait([]string{"a", "b"}, map[stepKey]bool{{"a", 0}: true}, time.Now().Add(5*time.Second))
	if d := time.Since(t0); d < 15*time.Millisecond || d > 2*time.Second {
		t.Errorf("wait for a's words took %s", d)
	}
	rec.mu.Lock()
	rec.logs["b"].step(0).sent = true // sent, never ends
	rec.mu.Unlock()
	t0 = time.Now()
	rec.wait([]string{"a", "b"}, nil, time.Now().Add(100*time.Millisecond))
	if d := time.Since(t0); d < 90*time.Millisecond || d > 2*time.Second {
		t.Errorf("wait for b until the deadline took %s", d)
	}
}

// TestInspectorSteps plays a three-step case run: the page's step signals
// move what follows into the next step, a redirect stays in the step its
// request began in, and a console message naming the URL goes to the step
// under way.
func TestInspectorSteps(t *testing.T) {
	rec := newWKRecorder()
	rec.track("tok")
	in, sent := fakeInspector(t, rec)
	event(t, in, "Target.targetCreated", map[string]any{"targetInfo": map[string]any{"targetId": "p", "type": "page"}})
	<-sent
	<-sent
	send := func(method string, params map[string]any) {
		fromTarget(t, in, "p", map[string]any{"method": method, "params": params})
	}
	url := "https://api.example/__cc/tok/item"
	// Step 1: allowed.
	send("Network.requestWillBeSent", map[string]any{"requestId": "1", "request": map[string]any{"url": url}})
	send("Network.loadingFinished", map[string]any{"requestId": "1"})
	// Step 2: redirected, then blocked.
	send("Network.requestWillBeSent", map[string]any{"requestId": "2", "request": map[string]any{"url": "https://app.example" + stepPrefix + "tok/1"}})
	send("Network.loadingFinished", map[string]any{"requestId": "2"})
	send("Network.requestWillBeSent", map[string]any{"requestId": "3", "request": map[string]any{"url": url}})
	// Step 3 starts before step 2's events are all in (they are the
	// same request id, so they stay in step 2).
	send("Network.requestWillBeSent", map[string]any{"requestId": "4", "request": map[string]any{"url": "https://app.example" + stepPrefix + "tok/2"}})
	send("Network.requestWillBeSent", map[string]any{"requestId": "3", "request": map[string]any{"url": "https://api.example/__cc/tok/next"}})
	send("Network.loadingFailed", map[string]any{"requestId": "3", "errorText": "Method PUT is not allowed by Access-Control-Allow-Methods."})
	// Step 3: refused in the page; its words name the URL only.
	send("Console.messageAdded", map[string]any{"message": map[string]any{"source": "security", "text": "No-Cors mode requires follow redirect mode"}})
	send("Console.messageAdded", map[string]any{"message": map[string]any{"source": "security", "text": "Not allowed to request resource"}})
	send("Console.messageAdded", map[string]any{"message": map[string]any{"source": "javascript", "text": "Fetch API cannot load " + url + " due to access control checks."}})

	want := []wkLog{
		{sent: true, finished: true},
		{sent: true, failed: true, errorText: "Method PUT is not allowed by Access-Control-Allow-Methods."},
		{console: []string{"No-Cors mode requires follow redirect mode", "Not allowed to request resource", "Fetch API cannot load " + url + " due to access control checks."}},
	}
	if diff := cmp.Diff(want, rec.stepLogs("tok", 3), cmp.AllowUnexported(wkLog{})); diff != "" {
		t.Errorf("steps mismatch (-want +got):\n%s", diff)
	}
	// Step 3 failed in script and has its words: nothing to wait for.
	t0 := time.Now()
	rec.wait([]string{"tok"}, map[stepKey]bool{{"tok", 1}: true, {"tok", 2}: true}, time.Now().Add(2*time.Second))
	if d := time.Since(t0); d > time.Second {
		t.Errorf("wait took %s with every step's words in", d)
	}
}

// TestWebKitSessionPage runs batches against a session whose page loads
// are recorded: batches of the loaded page run together, another page is
// loaded only once none runs, a failed load is not the page, and a
// canceled wait returns.
func TestWebKitSessionPage(t *testing.T) {
	s := &webkitSession{log: io.Discard}
	s.cond = sync.NewCond(&s.mu)
	var mu sync.Mutex
	var loads []string
	fail := map[string]bool{"bad": true}
	s.loadPage = func(_ context.Context, p pageKey) error {
		mu.Lock()
		defer mu.Unlock()
		loads = append(loads, p.url)
		if fail[p.url] {
			return &batchError{"cannot load " + p.url}
		}
		return nil
	}
	a, b := pageKey{url: "a", origin: "https://a"}, pageKey{url: "b", origin: "https://b"}
	ctx := context.Background()
	if err := s.enter(ctx, a, true); err != nil {
		t.Fatal(err)
	}
	if err := s.enter(ctx, a, true); err != nil { // the same page: no load, both run
		t.Fatal(err)
	}
	entered := make(chan error, 1)
	go func() { entered <- s.enter(ctx, b, true) }()
	select {
	case err := <-entered:
		t.Fatalf("entered page b while two batches ran in a: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.leave()
	select {
	case err := <-entered:
		t.Fatalf("entered page b while a batch ran in a: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	s.leave()
	select {
	case err := <-entered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("page b never entered once a was free")
	}
	// A batch of page a now waits for b's; its context ends first.
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.enter(cctx, a, true); err == nil {
		t.Error("entered page a while a batch ran in b")
	}
	s.leave()
	if err := s.enter(ctx, pageKey{url: "bad"}, true); err == nil {
		t.Error("entered a page that failed to load")
	}
	if s.page != (pageKey{}) || s.running != 0 {
		t.Errorf("after a failed load: page %v, %d running; want none", s.page, s.running)
	}
	if err := s.enter(ctx, a, true); err != nil {
		t.Fatal(err)
	}
	s.leave()
	if diff := cmp.Diff([]string{"a", "b", "bad", "a"}, loads); diff != "" {
		t.Errorf("loads mismatch (-want +got):\n%s", diff)
	}
}

// TestWKRecorderWaitAsleep waits until each run has ended the step before
// its first wait: by that step's end, by a later step's signal, or by
// words for a request refused in the page; it gives up when ctx ends.
func TestWKRecorderWaitAsleep(t *testing.T) {
	rec := newWKRecorder()
	for _, k := range []string{"a", "b", "c"} {
		rec.track(k)
	}
	steps := []stepKey{{"a", 0}, {"b", 1}, {"c", 0}}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	asleep := func(ctx context.Context) bool {
		rec.waitAsleep(ctx, steps)
		return ctx.Err() == nil
	}
	set := func(f func()) {
		rec.mu.Lock()
		f()
		rec.cond.Broadcast()
		rec.mu.Unlock()
	}
	set(func() { rec.logs["a"].step(0).sent = true })
	if asleep(short()) {
		t.Fatal("asleep while a's request runs")
	}
	set(func() { rec.logs["a"].step(0).finished = true })
	set(func() { rec.logs["b"].step(0).finished = true }) // step 0 is not b's last before the wait
	set(func() { rec.logs["c"].step(0).console = []string{"No-Cors mode requires follow redirect mode"} })
	if asleep(short()) {
		t.Fatal("asleep while b has not ended step 1")
	}
	go set(func() { rec.logs["b"].cur = 2 }) // step 2's signal: b slept and woke
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if !asleep(ctx) {
		t.Fatal("not asleep once every run had ended its step before the wait")
	}
}

// TestWebKitSessionHold keeps batches that may be held out of the page
// while a batch that waits is in its timed first steps, and lets one
// that may not be held in.
func TestWebKitSessionHold(t *testing.T) {
	s := &webkitSession{log: io.Discard, loadPage: func(context.Context, pageKey) error { return nil }}
	s.cond = sync.NewCond(&s.mu)
	a := pageKey{url: "a"}
	ctx := context.Background()
	if err := s.enter(ctx, a, false); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.holds++
	s.mu.Unlock()
	entered := make(chan error, 1)
	go func() { entered <- s.enter(ctx, a, true) }()
	select {
	case err := <-entered:
		t.Fatalf("a batch that may be held entered during a hold: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := s.enter(ctx, a, false); err != nil {
		t.Fatalf("a batch that may not be held: %v", err)
	}
	s.mu.Lock()
	s.holds--
	s.cond.Broadcast()
	s.mu.Unlock()
	select {
	case err := <-entered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the held batch never entered after the hold")
	}
	if s.running != 3 {
		t.Errorf("running = %d, want 3", s.running)
	}
}
