package natshub

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/natsbus"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bus starts an embedded NATS server for the test and returns its URL.
func bus(t *testing.T) string {
	t.Helper()
	s, err := startNATS(t, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	return s.ClientURL()
}

// startNATS starts an embedded NATS server with its store in dir, on
// listen (empty: any free port), shut down when the test ends if not
// before. It returns an error rather than failing, for goroutines.
func startNATS(t *testing.T, dir, listen string) (*natsbus.Server, error) {
	s, err := natsbus.NewServer(natsbus.ServerConfig{StoreDir: dir, Listen: listen})
	if err != nil {
		return nil, err
	}
	if err := s.Start(context.Background()); err != nil {
		return nil, err
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, nil
}

// node returns a connection to url, as one netkit node would have.
func node(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// collector is a chat.Subscriber that keeps what it is given.
type collector struct {
	mu    sync.Mutex
	lines []string
}

func (c *collector) Deliver(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, string(line))
}

func (c *collector) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func (c *collector) waitFor(t *testing.T, n int) []string {
	t.Helper()
	if !testnet.Eventually(10*time.Second, func() bool { return len(c.get()) >= n }) {
		t.Fatalf("received %d lines, want %d: %q", len(c.get()), n, c.get())
	}
	return c.get()
}

func TestSubject(t *testing.T) {
	tests := []struct{ room, want string }{
		{"lobby", "p.lobby"},
		{"Dev-ops_2", "p.Dev-ops_2"},
		{"a.>", "p.~612e3e"},
		{"*", "p.~2a"},
		{">", "p.~3e"},
		{"a b", "p.~612062"},
		{"~61", "p.~7e3631"},
		{"", "p.~"},
		{"é", "p.~c3a9"},
	}
	for _, tt := range tests {
		if got := Subject("p.", tt.room); got != tt.want {
			t.Errorf("Subject(%q) = %q, want %q", tt.room, got, tt.want)
		}
	}
}

// TestAcrossNodes: lines published on two nodes reach members on both,
// each publisher's lines in the order it published them (NATS orders the
// messages of one publisher; lines of two publishers may interleave
// differently on two nodes, as they would reach two clients of one server
// at the same instant); a room's members never read another room's lines,
// whatever their names.
func TestAcrossNodes(t *testing.T) {
	url := bus(t)
	h1, h2 := New(Static(node(t, url)), Config{}), New(Static(node(t, url)), Config{})
	ctx := context.Background()
	var a, b, wild collector
	for _, s := range []struct {
		h    *Hub
		room string
		sub  *collector
	}{{h1, "lobby", &a}, {h2, "lobby", &b}, {h2, "*", &wild}} {
		unsub, err := s.h.Subscribe(ctx, s.room, s.sub)
		if err != nil {
			t.Fatal(err)
		}
		defer unsub()
	}
	h1.conn.NATS().Flush()
	h2.conn.NATS().Flush()
	const n = 500
	var wg sync.WaitGroup
	for i, h := range []*Hub{h1, h2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range n {
				if err := h.Publish(ctx, "lobby", []byte(fmt.Sprintf("node%d line%d\n", i+1, j))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, got := range [][]string{a.waitFor(t, 2*n), b.waitFor(t, 2*n)} {
		next := map[int]int{}
		for _, line := range got {
			var from, j int
			fmt.Sscanf(line, "node%d line%d", &from, &j)
			if j != next[from] {
				t.Fatalf("a member on node %d read node%d's line %d where its line %d was due", i+1, from, j, next[from])
			}
			next[from]++
		}
		if next[1] != n || next[2] != n {
			t.Errorf("a member on node %d read %v lines per publisher, want %d each", i+1, next, n)
		}
	}
	if got := wild.get(); len(got) != 0 {
		t.Errorf("the room named * read %d lines of lobby", len(got))
	}
	if st := h1.Stats(); st.Published != n || st.Received != 2*n || st.Rooms != 1 || !st.Connected {
		t.Errorf("node 1 Stats = %+v, want %d published, %d received, 1 room", st, n, 2*n)
	}
}

// TestOwnEarlierLinesSkipped: a line this node published before a member
// subscribed is not delivered to that member, as with the in-process hub
// (a client does not read its own join notice), while members that were
// there read it.
func TestOwnEarlierLinesSkipped(t *testing.T) {
	url := bus(t)
	h := New(Static(node(t, url)), Config{})
	ctx := context.Background()
	var early, late collector
	unsub, _ := h.Subscribe(ctx, "r", &early)
	defer unsub()
	h.Publish(ctx, "r", []byte("joined\n"))
	unsub2, _ := h.Subscribe(ctx, "r", &late)
	defer unsub2()
	h.Publish(ctx, "r", []byte("hello\n"))
	early.waitFor(t, 2)
	got := late.waitFor(t, 1)
	if diff := cmp.Diff([]string{"hello\n"}, got); diff != "" {
		t.Errorf("late member read (-want +got):\n%s", diff)
	}
}

// TestUnsubscribeLeavesSubject: the node holds a subscription only while
// it has members.
func TestUnsubscribeLeavesSubject(t *testing.T) {
	url := bus(t)
	nc := node(t, url)
	h := New(Static(nc), Config{})
	var c collector
	unsub, err := h.Subscribe(context.Background(), "r", &c)
	if err != nil {
		t.Fatal(err)
	}
	if got := nc.NumSubscriptions(); got != 1 {
		t.Errorf("subscriptions with a member = %d, want 1", got)
	}
	unsub()
	unsub()
	if got := nc.NumSubscriptions(); got != 0 {
		t.Errorf("subscriptions after the last member left = %d, want 0", got)
	}
}

// TestMalformedCounted: a foreign message on a room's subject is counted
// and dropped; the members keep receiving.
func TestMalformedCounted(t *testing.T) {
	url := bus(t)
	h := New(Static(node(t, url)), Config{})
	other := node(t, url)
	var c collector
	unsub, _ := h.Subscribe(context.Background(), "r", &c)
	defer unsub()
	h.conn.NATS().Flush()
	other.Publish(Subject(DefaultPrefix, "r"), []byte("raw text"))
	other.Flush()
	h.Publish(context.Background(), "r", []byte("ok\n"))
	if diff := cmp.Diff([]string{"ok\n"}, c.waitFor(t, 1)); diff != "" {
		t.Errorf("member read (-want +got):\n%s", diff)
	}
	if !testnet.Eventually(5*time.Second, func() bool { return h.Stats().Malformed == 1 }) {
		t.Errorf("Malformed = %d, want 1", h.Stats().Malformed)
	}
}

// TestChatAcrossNodes: two chat servers on one bus; a client of each in
// the lobby read each other's lines over real sockets.
func TestChatAcrossNodes(t *testing.T) {
	url := bus(t)
	var addrs []string
	for range 2 {
		cs := chat.NewServer(chat.Config{Hub: New(Static(node(t, url)), Config{})})
		srv := &tcpserver.Server{Handler: cs, IdleTimeout: -1}
		addrs = append(addrs, testnet.Serve(t, srv))
	}
	c1, r1 := dialChat(t, addrs[0])
	c2, r2 := dialChat(t, addrs[1])
	fmt.Fprint(c1, "/nick alice\n")
	testnet.ReadUntil(t, r1, "is now known as alice")
	// Interest in the lobby reaches the server asynchronously, and node 2
	// joined after node 1's client: wait until a line crosses.
	fmt.Fprint(c2, "/nick bob\n")
	testnet.ReadUntil(t, r2, "is now known as bob")
	testnet.ReadUntil(t, r1, "is now known as bob")
	fmt.Fprint(c1, "hello from node 1\n")
	testnet.ReadUntil(t, r2, "alice: hello from node 1")
	fmt.Fprint(c2, "hi from node 2\n")
	testnet.ReadUntil(t, r1, "bob: hi from node 2")
}

func dialChat(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := testnet.Dial(t, addr)
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	r := bufio.NewReader(c)
	testnet.ReadUntil(t, r, "Welcome!")
	return c, r
}

// TestChatBackplaneDown: with the NATS server gone and no reconnect
// buffer, a message is refused and its sender reads an error line, never a
// silent loss; once NATS is back, messages flow again.
func TestChatBackplaneDown(t *testing.T) {
	dir := t.TempDir()
	ns, err := startNATS(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	addr := ns.Addr()
	conn := natsbus.NewConn(natsbus.ConnConfig{URLs: []string{ns.ClientURL()}, ReconnectBuffer: -1, ReconnectWait: 20 * time.Millisecond})
	if err := conn.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Shutdown(context.Background()) })
	cs := chat.NewServer(chat.Config{Hub: New(conn, Config{})})
	c, r := dialChat(t, testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1}))
	fmt.Fprint(c, "before\n")
	testnet.ReadUntil(t, r, ": before")

	ns.Shutdown(context.Background())
	if !testnet.Eventually(10*time.Second, func() bool { return conn.Ready() != nil }) {
		t.Fatal("the connection did not notice NATS stopping")
	}
	fmt.Fprint(c, "during\n")
	testnet.ReadUntil(t, r, "! not delivered")
	if got := cs.Stats().PublishFailed; got != 1 {
		t.Errorf("PublishFailed = %d, want 1", got)
	}

	if _, err := startNATS(t, dir, addr); err != nil {
		t.Fatal(err)
	}
	if !testnet.Eventually(10*time.Second, func() bool { return conn.Ready() == nil }) {
		t.Fatal("the connection did not come back")
	}
	// The room's subscription is restored by the reconnection.
	conn.NATS().Flush()
	fmt.Fprint(c, "after\n")
	testnet.ReadUntil(t, r, ": after")
}

// TestBadInputOnNATSNode: a node on NATS bounds what its clients send as a
// single node does: a 1 MiB line ends its sender's connection, a flood is
// cut off, and a room or nickname that no NATS subject or key could carry
// is refused by the protocol before it reaches the bus; the other client
// keeps chatting.
func TestBadInputOnNATSNode(t *testing.T) {
	url := bus(t)
	nc := node(t, url)
	cs := chat.NewServer(chat.Config{Hub: New(Static(nc), Config{})})
	addr := testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1})
	good, rg := dialChat(t, addr)
	bad, rb := dialChat(t, addr)
	for _, cmd := range []string{"/join a.>", "/join *", "/nick a.b"} {
		fmt.Fprint(bad, cmd+"\n")
		testnet.ReadUntil(t, rb, "! invalid")
	}
	big := strings.Repeat("x", 1<<20)
	go fmt.Fprint(bad, big+"\n") // the server may close before it is all sent
	bad.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, err := rb.ReadString('\n'); err != nil {
			break // the connection ended
		}
	}
	fmt.Fprint(good, "still here\n")
	testnet.ReadUntil(t, rg, ": still here")
	flood, rf := dialChat(t, addr)
	for range 200 {
		if _, err := fmt.Fprint(flood, "spam\n"); err != nil {
			break
		}
	}
	testnet.ReadUntil(t, rf, "disconnected: flooding")
	fmt.Fprint(good, "and here\n")
	testnet.ReadUntil(t, rg, ": and here")
	if st := cs.Stats(); st.DroppedFlood != 1 {
		t.Errorf("DroppedFlood = %d, want 1", st.DroppedFlood)
	}
}

// TestSubscribeIsLive: once Subscribe returns, the member reads what
// another node publishes next, because the node's subscription has
// already reached the NATS server. A chat client is told it has joined
// only then.
func TestSubscribeIsLive(t *testing.T) {
	ns, err := startNATS(t, t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	pub := node(t, ns.ClientURL())
	h1 := New(Static(pub), Config{})
	h2 := New(Static(node(t, ns.ClientURL())), Config{})
	ctx := context.Background()
	for i := range 200 {
		room := fmt.Sprintf("room-%d", i)
		c := &collector{}
		unsub, err := h2.Subscribe(ctx, room, c)
		if err != nil {
			t.Fatal(err)
		}
		if err := h1.Publish(ctx, room, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if err := pub.Flush(); err != nil {
			t.Fatal(err)
		}
		if !testnet.Eventually(2*time.Second, func() bool { return len(c.get()) == 1 }) {
			t.Fatalf("room %d: a line published just after Subscribe returned never came", i)
		}
		unsub()
	}
}
