package natshub

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netkit-dev/netkit/internal/testnet"
)

func TestCollector(t *testing.T) {
	url := bus(t)
	nc := node(t, url)
	dir := NewDirectory(Static(nc), DirectoryConfig{Node: "n1"})
	if err := dir.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer dir.Shutdown(context.Background())
	h := New(Static(nc), Config{})
	var c collector
	unsub, _ := h.Subscribe(context.Background(), "r", &c)
	defer unsub()
	nc.Flush()
	for range 3 {
		h.Publish(context.Background(), "r", []byte("x\n"))
	}
	c.waitFor(t, 3)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(h, dir))
	want := `
# HELP netkit_chat_backplane_connected 1 while the chat backplane's NATS connection is up.
# TYPE netkit_chat_backplane_connected gauge
netkit_chat_backplane_connected{node="n1"} 1
# HELP netkit_chat_backplane_published_total Chat lines published to the backplane.
# TYPE netkit_chat_backplane_published_total counter
netkit_chat_backplane_published_total{node="n1"} 3
# HELP netkit_chat_backplane_received_total Chat lines received from the backplane, this node's own included.
# TYPE netkit_chat_backplane_received_total counter
netkit_chat_backplane_received_total{node="n1"} 3
# HELP netkit_chat_history_lines Lines held by the chat history stream, all rooms.
# TYPE netkit_chat_history_lines gauge
netkit_chat_history_lines{node="n1"} 3
`
	// The stream stores asynchronously to the subscribers' delivery.
	var err error
	testnet.Eventually(10*time.Second, func() bool {
		err = testutil.GatherAndCompare(reg, strings.NewReader(want),
			"netkit_chat_backplane_connected", "netkit_chat_backplane_published_total",
			"netkit_chat_backplane_received_total", "netkit_chat_history_lines")
		return err == nil
	})
	if err != nil {
		t.Error(err)
	}
}
