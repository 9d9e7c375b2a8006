package jsonrpc_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netkit-dev/netkit/jsonrpc"
)

// tickServer serves a "ticks" subscription that counts up from the
// subscribe call's start every interval.
func tickServer(interval time.Duration) *jsonrpc.Server {
	s := &jsonrpc.Server{}
	s.HandleSubscription(jsonrpc.Subscription{
		Name: "ticks", Notification: "ticks.tick",
		Run: func(ctx context.Context, params json.RawMessage, send func(any) error) error {
			var p struct {
				Start int `json:"start"`
			}
			json.Unmarshal(params, &p)
			t := time.NewTicker(interval)
			defer t.Stop()
			for n := p.Start; ; n++ {
				if err := send(n); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-t.C:
				}
			}
		},
	})
	return s
}

type wsMsg struct {
	ID     json.RawMessage            `json:"id"`
	Method string                     `json:"method"`
	Params jsonrpc.SubscriptionNotice `json:"params"`
	Result json.RawMessage            `json:"result"`
	Error  *jsonrpc.Error             `json:"error"`
}

// TestSubscription subscribes twice on one WebSocket, reads notifications
// of both, unsubscribes one and sees none of it after the unsubscribe
// response while the other goes on.
func TestSubscription(t *testing.T) {
	ts := httptest.NewServer(tickServer(5 * time.Millisecond).WebSocketHandler(jsonrpc.WebSocketOptions{}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(msg string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	read := func() wsMsg {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return m
	}
	seen := map[string][]int{} // notifications by subscription
	note := func(m wsMsg) {
		if m.Method != "ticks.tick" {
			t.Fatalf("unexpected message %+v", m)
		}
		var n int
		json.Unmarshal(m.Params.Result, &n)
		seen[m.Params.Subscription] = append(seen[m.Params.Subscription], n)
	}
	// subscribe returns the id from the response, noting the
	// notifications of earlier subscriptions that come first.
	subscribe := func(reqID string, start int) string {
		send(`{"jsonrpc":"2.0","method":"ticks.subscribe","params":{"start":` + itoa(start) + `},"id":"` + reqID + `"}`)
		for {
			m := read()
			if m.ID == nil {
				note(m)
				continue
			}
			if string(m.ID) == `"`+reqID+`"` {
				var id string
				if err := json.Unmarshal(m.Result, &id); err != nil || m.Error != nil {
					t.Fatalf("subscribe: %s %v", m.Result, m.Error)
				}
				return id
			}
		}
	}
	a := subscribe("a", 0)
	b := subscribe("b", 1000)
	if a == b {
		t.Fatalf("two subscriptions share id %q", a)
	}
	for len(seen[a]) < 3 || len(seen[b]) < 3 {
		note(read())
	}
	for id, start := range map[string]int{a: 0, b: 1000} {
		for i, n := range seen[id][:3] {
			if n != start+i {
				t.Errorf("subscription %s: notification %d is %d, want %d", id, i, n, start+i)
			}
		}
	}

	send(`{"jsonrpc":"2.0","method":"ticks.unsubscribe","params":["` + a + `"],"id":"u"}`)
	for {
		m := read()
		if string(m.ID) == `"u"` {
			if string(m.Result) != "true" {
				t.Fatalf("unsubscribe: %s %v", m.Result, m.Error)
			}
			break
		}
	}
	// After the response: b's notifications only.
	for i := 0; i < 5; i++ {
		if m := read(); m.Params.Subscription != b {
			t.Fatalf("after unsubscribing %s: %+v", a, m)
		}
	}
	send(`{"jsonrpc":"2.0","method":"ticks.unsubscribe","params":{"subscription":"` + a + `"},"id":"again"}`)
	for {
		if m := read(); string(m.ID) == `"again"` {
			if string(m.Result) != "false" {
				t.Fatalf("second unsubscribe of %s: %s, want false", a, m.Result)
			}
			break
		}
	}
}

// TestSubscriptionLimit: a connection holds at most MaxSubscriptions.
func TestSubscriptionLimit(t *testing.T) {
	ts := httptest.NewServer(tickServer(time.Hour).WebSocketHandler(jsonrpc.WebSocketOptions{}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	var last wsMsg
	for i := 0; i <= jsonrpc.MaxSubscriptions; i++ {
		c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"ticks.subscribe","id":`+itoa(i)+`}`))
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			last = wsMsg{}
			json.Unmarshal(b, &last)
			if last.ID != nil {
				break
			}
		}
	}
	if last.Error == nil || last.Error.Code != jsonrpc.CodeTooLarge {
		t.Fatalf("subscription %d: %s %v, want error %d", jsonrpc.MaxSubscriptions+1, last.Result, last.Error, jsonrpc.CodeTooLarge)
	}
}

// TestSubscriptionNeedsPeer: over HTTP, where the server cannot send
// unasked, subscribe fails with ErrNoPeer's code.
func TestSubscriptionNeedsPeer(t *testing.T) {
	s := tickServer(time.Hour)
	resp := s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","method":"ticks.subscribe","id":1}`))
	var m wsMsg
	if err := json.Unmarshal(resp, &m); err != nil {
		t.Fatal(err)
	}
	if m.Error == nil || m.Error.Code != jsonrpc.ErrNoPeer.Code {
		t.Fatalf("subscribe without a peer: %s", resp)
	}
}

// TestMetrics counts calls by method and outcome.
func TestMetrics(t *testing.T) {
	m := jsonrpc.NewMetrics()
	s := &jsonrpc.Server{Metrics: m}
	jsonrpc.Register(s, "double", func(ctx context.Context, p []int) (int, error) {
		if len(p) != 1 {
			return 0, jsonrpc.NewError(jsonrpc.CodeInvalidParams, "want one number", nil)
		}
		return 2 * p[0], nil
	})
	for _, req := range []string{
		`{"jsonrpc":"2.0","method":"double","params":[1],"id":1}`,
		`{"jsonrpc":"2.0","method":"double","params":[2],"id":2}`,
		`{"jsonrpc":"2.0","method":"double","params":[],"id":3}`,
		`{"jsonrpc":"2.0","method":"nosuch","id":4}`,
	} {
		s.HandleMessage(context.Background(), []byte(req))
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	n, err := testutil.GatherAndCount(reg, "netkit_rpc_call_duration_seconds")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 { // double/ok and double/invalid_params; nosuch never ran
		t.Fatalf("%d series, want 2", n)
	}
	mfs, _ := reg.Gather()
	counts := map[string]uint64{}
	for _, mf := range mfs {
		for _, mm := range mf.GetMetric() {
			var method, outcome string
			for _, l := range mm.GetLabel() {
				switch l.GetName() {
				case "method":
					method = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			counts[method+"/"+outcome] = mm.GetHistogram().GetSampleCount()
		}
	}
	if counts["double/ok"] != 2 || counts["double/invalid_params"] != 1 {
		t.Fatalf("counts %v", counts)
	}
}
