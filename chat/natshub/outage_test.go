package natshub

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/natsbus"
	"github.com/netkit-dev/netkit/tcpserver"
)

// TestNATSRestartUnderTraffic restarts the NATS server while a client of
// node 1 talks to a client of node 2. Every line is accounted for: node 2's
// client reads it, or its sender was told it was not delivered, or node
// 2's client was told that the backplane had an outage. No line goes
// missing in silence.
func TestNATSRestartUnderTraffic(t *testing.T) {
	store := t.TempDir()
	ns, err := startNATS(t, store, "")
	if err != nil {
		t.Fatal(err)
	}
	addr, url := ns.Addr(), ns.ClientURL()
	var nodes []string
	for range 2 {
		conn := natsbus.NewConn(natsbus.ConnConfig{URLs: []string{url}, ReconnectWait: 20 * time.Millisecond})
		if err := conn.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Shutdown(context.Background()) })
		cs := chat.NewServer(chat.Config{Hub: New(conn, Config{}), Rate: -1})
		WatchOutages(conn, cs.Alert)
		nodes = append(nodes, testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1}))
	}
	a, ra := dialChat(t, nodes[0])
	b, rb := dialChat(t, nodes[1])
	a.SetReadDeadline(time.Now().Add(60 * time.Second))
	b.SetReadDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprint(a, "/nick ann\n")
	testnet.ReadUntil(t, ra, "is now known as ann")
	testnet.ReadUntil(t, rb, "is now known as ann")

	// ann's own reader: how far the echo got, and whether a line was
	// refused.
	var refused atomic.Bool
	var echoed atomic.Int64
	aDone := make(chan struct{})
	go func() {
		defer close(aDone)
		for {
			line, err := ra.ReadString('\n')
			if err != nil || strings.Contains(line, "ann: END") {
				return
			}
			var i int
			if _, err := fmt.Sscanf(line[strings.Index(line, "]")+2:], "ann: line %d", &i); err == nil {
				echoed.Store(int64(i))
			}
			if strings.Contains(line, "! not delivered") {
				refused.Store(true) // a refusal names no line: any excuses a gap
			}
		}
	}()

	const total = 600
	restartAt, restarted := 150, make(chan struct{})
	go func() {
		defer close(restarted)
		if !testnet.Eventually(30*time.Second, func() bool { return echoed.Load() >= int64(restartAt) }) {
			t.Error("the traffic did not start")
			return
		}
		ns.Shutdown(context.Background())
		if _, err := startNATS(t, store, addr); err != nil {
			t.Error(err)
		}
	}()
	w := bufio.NewWriter(a)
	for i := range total {
		fmt.Fprintf(w, "line %d\n", i)
		w.Flush()
		if i == restartAt+50 {
			<-restarted
		}
		time.Sleep(2 * time.Millisecond) // pacing the sender
	}
	fmt.Fprint(w, "END\n")
	w.Flush()

	got := make(map[int]bool)
	alerted := false
	for {
		line, err := rb.ReadString('\n')
		if err != nil {
			t.Fatalf("node 2's client: %v after %d lines", err, len(got))
		}
		if strings.Contains(line, "! the chat backplane was unavailable") {
			alerted = true
		}
		if strings.Contains(line, "ann: END") {
			break
		}
		var i int
		if k := strings.Index(line, "ann: line "); k >= 0 {
			fmt.Sscanf(line[k:], "ann: line %d", &i)
			got[i] = true
		}
	}
	<-aDone
	missing := 0
	for i := range total {
		if !got[i] {
			missing++
		}
	}
	t.Logf("node 2's client read %d of %d lines; %d missing; outage notice: %v; sender told of refusals: %v", len(got), total, missing, alerted, refused.Load())
	if missing > 0 && !alerted && !refused.Load() {
		t.Errorf("%d lines went missing with no word to anyone", missing)
	}
	if !alerted {
		t.Error("node 2's client was not told of the outage")
	}
}
