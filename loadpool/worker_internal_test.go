package loadpool

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netkit-dev/netkit/internal/testnats"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/natsbus"
)

// TestWorkerNoStart: a worker whose coordinator assigns it a run and then
// vanishes, before the start and without an abort, reports the run as
// aborted once its StartWithin has passed, and is free for the next one.
func TestWorkerNoStart(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hs.Close()
	s := testnats.Start(t, natsbus.ServerConfig{})
	wc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer wc.Close()
	cc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	w := &Worker{Conn: wc, Name: "w1"}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { w.Serve(ctx); close(served) }()
	defer func() { cancel(); <-served }()

	free := func() bool {
		_, err := cc.Request(subjDiscover(), nil, 100*time.Millisecond)
		return err == nil
	}
	if !testnet.Eventually(10*time.Second, free) {
		t.Fatal("the worker never answered discovery")
	}
	results, err := cc.SubscribeSync(subjResult("r1", w.ID()))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(job{Run: "r1", Target: loadgen.HTTP, URL: hs.URL, Conns: 1, Duration: time.Second, StartWithin: 500 * time.Millisecond})
	if _, err := cc.Request(subjAssign(w.ID()), b, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	m, err := results.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("no result from a worker never started: %v", err)
	}
	var msg message
	if err := json.Unmarshal(m.Data, &msg); err != nil || msg.Error == "" || msg.Result != nil {
		t.Errorf("result %s, want an error", m.Data)
	}
	if !testnet.Eventually(10*time.Second, free) {
		t.Error("the worker is still busy with a run that never started")
	}
}
