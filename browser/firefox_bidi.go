package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// bidi is a WebDriver BiDi connection: commands with ids, answered in any
// order, and events handed to a callback in the order they arrive.
type bidi struct {
	ws     *wsConn
	events func(method string, params json.RawMessage) // called from the read loop

	mu      sync.Mutex
	next    int
	pending map[int]chan bidiReply
	err     error         // why the read loop ended
	done    chan struct{} // closed when it ends
}

// bidiReply is a command's answer: result on success, else the BiDi error
// code and message.
type bidiReply struct {
	result  json.RawMessage
	code    string
	message string
}

// bidiMessage is every message the remote end sends: a command's success or
// error, or an event.
type bidiMessage struct {
	Type    string          `json:"type"`
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// errBiDiGone is wrapped by call once the connection has ended.
var errBiDiGone = errors.New("the WebDriver BiDi connection is closed")

func newBiDi(ws *wsConn, events func(string, json.RawMessage)) *bidi {
	b := &bidi{ws: ws, events: events, pending: map[int]chan bidiReply{}, done: make(chan struct{})}
	go b.readLoop()
	return b
}

func (b *bidi) readLoop() {
	var err error
	for {
		var raw []byte
		if raw, err = b.ws.read(); err != nil {
			break
		}
		var m bidiMessage
		if err = json.Unmarshal(raw, &m); err != nil {
			err = fmt.Errorf("a BiDi message is not JSON: %w", err)
			break
		}
		if m.Type == "event" {
			if b.events != nil {
				b.events(m.Method, m.Params)
			}
			continue
		}
		if m.ID == nil {
			continue // an error about a message we could not have sent
		}
		b.mu.Lock()
		ch := b.pending[*m.ID]
		delete(b.pending, *m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- bidiReply{result: m.Result, code: m.Error, message: m.Message}
		}
	}
	b.mu.Lock()
	b.err = err
	b.pending = nil
	b.mu.Unlock()
	close(b.done)
}

// call sends one command and decodes its result into out (unless out is
// nil). A BiDi error answer is returned as an error naming the command.
func (b *bidi) call(ctx context.Context, method string, params, out any) error {
	if params == nil {
		params = struct{}{}
	}
	ch := make(chan bidiReply, 1)
	b.mu.Lock()
	if b.pending == nil {
		err := b.err
		b.mu.Unlock()
		return fmt.Errorf("%s: %w (%v)", method, errBiDiGone, err)
	}
	b.next++
	id := b.next
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err == nil {
		err = b.ws.writeText(msg)
	}
	if err != nil {
		b.forget(id)
		return fmt.Errorf("%s: send: %w", method, err)
	}
	select {
	case r := <-ch:
		if r.code != "" {
			return fmt.Errorf("%s: %s: %s", method, r.code, r.message)
		}
		if out != nil {
			if err := json.Unmarshal(r.result, out); err != nil {
				return fmt.Errorf("%s: decode the result: %w", method, err)
			}
		}
		return nil
	case <-b.done:
		return fmt.Errorf("%s: %w (%v)", method, errBiDiGone, b.err)
	case <-ctx.Done():
		b.forget(id)
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *bidi) forget(id int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending != nil {
		delete(b.pending, id)
	}
}

// close ends the connection; the read loop stops.
func (b *bidi) close() {
	b.ws.close()
	<-b.done
}
