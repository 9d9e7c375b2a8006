package natshub

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/natsbus"
	"github.com/netkit-dev/netkit/tcpserver"
)

// TestExternalNATSServer runs two chat nodes on a nats-server process (the
// Debian package, 2.9, started with -js): lines cross, a nickname held on
// one node is refused on the other, and /history reads the stream.
func TestExternalNATSServer(t *testing.T) {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server not installed (Debian package nats-server): skipping the external NATS test")
	}
	addr := testnet.RefusedAddr(t) // a free port
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(bin, "-js", "-a", "127.0.0.1", "-p", port, "-sd", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	testnet.WaitDial(t, addr, 20*time.Second)
	url := "nats://" + addr

	var nodes []string
	var first *natsbus.Conn
	for i := range 2 {
		conn := natsbus.NewConn(natsbus.ConnConfig{URLs: []string{url}, Name: fmt.Sprintf("n%d", i+1)})
		if err := conn.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Shutdown(context.Background()) })
		if first == nil {
			first = conn
		}
		dir := NewDirectory(conn, DirectoryConfig{Node: fmt.Sprintf("n%d", i+1), PresenceInterval: 20 * time.Millisecond})
		cs := chat.NewServer(chat.Config{Hub: New(conn, Config{}), Directory: dir, History: dir, Rate: -1})
		dir.SetSource(func() chat.Presence { return cs.Presence("") })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := dir.Start(ctx)
		cancel()
		if err != nil {
			t.Fatalf("directory on nats-server: %v", err)
		}
		t.Cleanup(func() { dir.Shutdown(context.Background()) })
		nodes = append(nodes, testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1}))
	}
	c1, r1 := dialChat(t, nodes[0])
	c2, r2 := dialChat(t, nodes[1])
	fmt.Fprint(c1, "/nick ann\n")
	testnet.ReadUntil(t, r1, "is now known as ann")
	fmt.Fprint(c2, "/nick ann\n")
	testnet.ReadUntil(t, r2, "! nickname ann is taken")
	fmt.Fprint(c1, "over the bus\n")
	testnet.ReadUntil(t, r2, "ann: over the bus")
	// Two join notices, ann's nick notice and the line.
	waitHistoryLines(t, first.NATS(), 4)
	fmt.Fprint(c2, "/history 5\n")
	testnet.ReadUntil(t, r2, "ann: over the bus")
}
