package natsbus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/lifecycle"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startServer starts an embedded server on a free loopback port, stopped
// when the test ends.
func startServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	if cfg.StoreDir == "" {
		cfg.StoreDir = t.TempDir()
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}

func startConn(t *testing.T, cfg ConnConfig) *Conn {
	t.Helper()
	c := NewConn(cfg)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	return c
}

func TestServerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  ServerConfig
	}{
		{"no store", ServerConfig{}},
		{"bad listen", ServerConfig{StoreDir: "x", Listen: "nohost"}},
		{"bad port", ServerConfig{StoreDir: "x", Listen: "127.0.0.1:99999"}},
		{"routes without cluster", ServerConfig{StoreDir: "x", Routes: []string{"nats://127.0.0.1:1"}}},
		{"bad route", ServerConfig{StoreDir: "x", ClusterListen: "127.0.0.1:0", Routes: []string{"::"}}},
	}
	for _, tt := range tests {
		if _, err := NewServer(tt.cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: NewServer = %v, want ErrConfig", tt.name, err)
		}
	}
}

// TestEmbeddedPubSub: a Group starts an embedded server, then a connection
// to it; a message goes through; shutdown leaves nothing running.
func TestEmbeddedPubSub(t *testing.T) {
	srv, err := NewServer(ServerConfig{StoreDir: t.TempDir(), Name: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	conn := NewConn(ConnConfig{Server: srv, Name: "test"})
	var g lifecycle.Group
	g.Add("nats-server", srv)
	g.Add("nats", conn)
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := g.Ready(); err != nil {
		t.Errorf("Ready = %v", err)
	}
	nc := conn.NATS()
	sub, err := nc.SubscribeSync("room.x")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("room.x", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(10 * time.Second)
	if err != nil || string(msg.Data) != "hi" {
		t.Errorf("NextMsg = %v, %v; want hi", msg, err)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := conn.Ready(); err == nil {
		t.Error("Ready after Shutdown = nil")
	}
}

// TestReconnect: the connection reports itself not ready while its server
// is down, holds what is published meanwhile, and delivers it once the
// server is back on the same port.
func TestReconnect(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, ServerConfig{StoreDir: dir})
	addr := srv.Addr()
	conn := startConn(t, ConnConfig{URLs: []string{srv.ClientURL()}, ReconnectWait: 20 * time.Millisecond})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !testnet.Eventually(10*time.Second, func() bool { return errors.Is(conn.Ready(), ErrDisconnected) }) {
		t.Fatalf("Ready with the server down = %v, want ErrDisconnected", conn.Ready())
	}
	// Published while down: buffered, then sent on reconnection.
	if err := conn.NATS().Publish("held", []byte("kept")); err != nil {
		t.Fatalf("Publish while reconnecting = %v, want it buffered", err)
	}
	srv2 := startServer(t, ServerConfig{StoreDir: dir, Listen: addr})
	if !testnet.Eventually(10*time.Second, func() bool { return conn.Ready() == nil }) {
		t.Fatalf("Ready after the server came back = %v", conn.Ready())
	}
	_ = srv2
	if got := conn.NATS().Stats().Reconnects; got < 1 {
		t.Errorf("Reconnects = %d, want at least 1", got)
	}
}

// TestReconnectBufferBound: with the buffer full, a publish fails at once
// rather than being dropped silently.
func TestReconnectBufferBound(t *testing.T) {
	srv := startServer(t, ServerConfig{})
	conn := startConn(t, ConnConfig{URLs: []string{srv.ClientURL()}, ReconnectBuffer: 1024, ReconnectWait: time.Hour})
	srv.Shutdown(context.Background())
	if !testnet.Eventually(10*time.Second, func() bool { return errors.Is(conn.Ready(), ErrDisconnected) }) {
		t.Fatal("the connection did not notice its server stopping")
	}
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = conn.NATS().Publish("room", make([]byte, 100))
	}
	if !errors.Is(err, nats.ErrReconnectBufExceeded) {
		t.Errorf("Publish past the buffer = %v, want ErrReconnectBufExceeded", err)
	}
}

// TestCluster: three embedded nodes joined by routes carry a message from
// a client of the first to a client of the third.
func TestCluster(t *testing.T) {
	// A JetStream cluster's nodes all need their routes before they
	// start, so the cluster ports are chosen first: free ports that the
	// kernel just handed out. Every node lists every node, itself
	// included, as a static cluster configuration does.
	var clusterAddrs, routes []string
	for range 3 {
		a := testnet.RefusedAddr(t)
		clusterAddrs = append(clusterAddrs, a)
		routes = append(routes, "nats://"+a)
	}
	nodes := make([]*Server, 3)
	for i := range nodes {
		s, err := NewServer(ServerConfig{Name: fmt.Sprintf("n%d", i+1), StoreDir: t.TempDir(), ClusterListen: clusterAddrs[i], Routes: routes})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = s
	}
	// The nodes start together: JetStream's meta group needs a quorum.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, s := range nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Start(context.Background()) }()
	}
	wg.Wait()
	for i, s := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i+1, errs[i])
		}
		t.Cleanup(func() { s.Shutdown(context.Background()) })
	}
	seed, n3 := nodes[0], nodes[2]
	if got := seed.ClusterAddr(); got != clusterAddrs[0] {
		t.Errorf("ClusterAddr = %q, want %q", got, clusterAddrs[0])
	}
	c1 := startConn(t, ConnConfig{URLs: []string{seed.ClientURL()}})
	c3 := startConn(t, ConnConfig{URLs: []string{n3.ClientURL()}})
	sub, err := c3.NATS().SubscribeSync("room.lobby")
	if err != nil {
		t.Fatal(err)
	}
	c3.NATS().Flush()
	// Interest crosses routes asynchronously: publish until it arrives.
	var got *nats.Msg
	testnet.Eventually(10*time.Second, func() bool {
		c1.NATS().Publish("room.lobby", []byte("from n1"))
		got, _ = sub.NextMsg(50 * time.Millisecond)
		return got != nil
	})
	if got == nil || string(got.Data) != "from n1" {
		t.Fatalf("n3 received %v, want the line from n1", got)
	}
}
