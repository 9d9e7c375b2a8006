package chat_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
)

type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) Deliver(line []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, string(line))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func TestLocalHub(t *testing.T) {
	ctx := context.Background()
	h := chat.NewLocalHub()
	var a, b recorder
	unsubA, _ := h.Subscribe(ctx, "lobby", &a)
	unsubB, _ := h.Subscribe(ctx, "lobby", &b)
	if h.Rooms() != 1 {
		t.Errorf("Rooms() = %d, want 1", h.Rooms())
	}
	// Concurrent publishers: every subscriber sees the same order.
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				h.Publish(ctx, "lobby", []byte(strings.Repeat("x", p)+string(rune('a'+i%26))+"\n"))
			}
		}()
	}
	wg.Wait()
	h.Publish(ctx, "elsewhere", []byte("not for the lobby\n"))
	ga, gb := a.got(), b.got()
	if len(ga) != 200 || strings.Join(ga, "") != strings.Join(gb, "") {
		t.Errorf("subscribers got %d and %d lines, in the same order: %v; want 200 each in one order", len(ga), len(gb), strings.Join(ga, "") == strings.Join(gb, ""))
	}
	unsubA()
	unsubA() // idempotent
	h.Publish(ctx, "lobby", []byte("after\n"))
	if n := len(a.got()); n != 200 {
		t.Errorf("unsubscribed subscriber got %d lines, want 200", n)
	}
	if n := len(b.got()); n != 201 {
		t.Errorf("subscriber got %d lines, want 201", n)
	}
	unsubB()
	if h.Rooms() != 0 {
		t.Errorf("Rooms() after every unsubscribe = %d, want 0", h.Rooms())
	}
}

func TestCollector(t *testing.T) {
	addr, cs, tcp := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	a.send("hi")
	a.expect(ts + a.name + ": hi")
	if st := tcp.Stats(); st.BytesOut == 0 {
		t.Errorf("tcpserver Stats().BytesOut = 0, want the chat lines counted")
	}

	// The writer counts a line once its Write returns, which may be after
	// the client has read it.
	testnet.Eventually(5*time.Second, func() bool { st := cs.Stats(); return st.Delivered >= 2 && st.BytesOut > 0 })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(chat.NewCollector(cs))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			if g := m.GetGauge(); g != nil {
				got[name] = g.GetValue()
			} else {
				got[name] = m.GetCounter().GetValue()
			}
		}
	}
	want := map[string]float64{
		"netkit_chat_clients":                             1,
		"netkit_chat_rooms":                               1,
		"netkit_chat_lines_received_total":                1,
		"netkit_chat_clients_dropped_total{reason=slow}":  0,
		"netkit_chat_clients_dropped_total{reason=flood}": 0,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v (all: %v)", name, got[name], v, got)
		}
	}
	// The welcome and the message, at least, were written.
	if got["netkit_chat_messages_delivered_total"] < 2 || got["netkit_chat_written_bytes_total"] == 0 {
		t.Errorf("delivered %v lines, %v bytes; want at least 2 lines", got["netkit_chat_messages_delivered_total"], got["netkit_chat_written_bytes_total"])
	}
}
