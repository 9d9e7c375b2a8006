package natshub

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

// startDirectory starts a directory for the node name on its own connection to
// url; stopped when the test ends.
func startDirectory(t *testing.T, url, name string, cfg DirectoryConfig) (*Directory, *nats.Conn) {
	t.Helper()
	nc := node(t, url)
	cfg.Node = name
	d := NewDirectory(Static(nc), cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(context.Background()) })
	return d, nc
}

// TestNickRace: 100 concurrent claims of one name, half on each of two
// nodes: exactly one wins, the others read ErrNickTaken.
func TestNickRace(t *testing.T) {
	url := bus(t)
	d1, _ := startDirectory(t, url, "n1", DirectoryConfig{})
	d2, _ := startDirectory(t, url, "n2", DirectoryConfig{})
	var won, taken atomic.Int64
	var wg sync.WaitGroup
	for i := range 100 {
		d := d1
		if i%2 == 1 {
			d = d2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := d.ClaimNick(context.Background(), "alice"); {
			case err == nil:
				won.Add(1)
			case errors.Is(err, chat.ErrNickTaken):
				taken.Add(1)
			default:
				t.Errorf("ClaimNick = %v", err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || taken.Load() != 99 {
		t.Errorf("100 claims: %d won, %d taken; want 1 and 99", won.Load(), taken.Load())
	}
}

// TestNickRelease: a released name can be claimed on another node, and a
// name released and claimed again on the same node stays its own.
func TestNickRelease(t *testing.T) {
	url := bus(t)
	d1, _ := startDirectory(t, url, "n1", DirectoryConfig{})
	d2, _ := startDirectory(t, url, "n2", DirectoryConfig{})
	ctx := context.Background()
	if err := d1.ClaimNick(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := d2.ClaimNick(ctx, "bob"); !errors.Is(err, chat.ErrNickTaken) {
		t.Fatalf("second claim = %v, want ErrNickTaken", err)
	}
	d1.ReleaseNick("bob")
	if !testnet.Eventually(10*time.Second, func() bool { return d2.ClaimNick(ctx, "bob") == nil }) {
		t.Fatal("the released name never became free")
	}
	if err := d1.ClaimNick(ctx, "bob"); !errors.Is(err, chat.ErrNickTaken) {
		t.Errorf("claim of n2's name on n1 = %v, want ErrNickTaken", err)
	}
	// Odd names stay one key each.
	for _, name := range []string{"a.>", "*", "=x"} {
		if err := d1.ClaimNick(ctx, name); err != nil {
			t.Errorf("ClaimNick(%q) = %v", name, err)
		}
	}
	if err := d2.ClaimNick(ctx, "a.b"); err != nil {
		t.Errorf("ClaimNick(a.b) after a.> = %v, want it free", err)
	}
}

// TestDeadNodeExpires: a node that vanishes without cleaning up (its
// connection closed, its directory never shut down) frees its names and
// drops out of the others' presence once the TTL has passed.
func TestDeadNodeExpires(t *testing.T) {
	url := bus(t)
	const ttl = 2 * time.Second
	d1, nc1 := startDirectory(t, url, "n1", DirectoryConfig{TTL: ttl, PresenceInterval: 50 * time.Millisecond,
		Source: func() chat.Presence { return chat.Presence{Clients: 3} }})
	d2, _ := startDirectory(t, url, "n2", DirectoryConfig{TTL: ttl, PresenceInterval: 50 * time.Millisecond})
	ctx := context.Background()
	if err := d1.ClaimNick(ctx, "carol"); err != nil {
		t.Fatal(err)
	}
	if !testnet.Eventually(10*time.Second, func() bool { o := d2.Others(); return len(o) == 1 && o[0].Clients == 3 && o[0].Node == "n1" }) {
		t.Fatalf("n2 never heard n1's presence: %+v", d2.Others())
	}
	// n1 outlives several TTLs while alive: its refreshes keep it.
	time.Sleep(2 * ttl)
	if err := d2.ClaimNick(ctx, "carol"); !errors.Is(err, chat.ErrNickTaken) {
		t.Fatalf("claim of a live node's name after 2 TTLs = %v, want ErrNickTaken", err)
	}
	killed := time.Now()
	nc1.Close()
	if !testnet.Eventually(3*ttl+5*time.Second, func() bool { return d2.ClaimNick(ctx, "carol") == nil }) {
		t.Fatal("the dead node's name was never freed")
	}
	t.Logf("name freed %v after the node died (TTL %v)", time.Since(killed).Round(100*time.Millisecond), ttl)
	if !testnet.Eventually(3*ttl, func() bool { return len(d2.Others()) == 0 }) {
		t.Errorf("n2 still lists the dead node: %+v", d2.Others())
	}
	d1.Shutdown(ctx)
}

// TestChatClusterState: two chat nodes with a shared directory: a name
// held on one is refused on the other, /who and /rooms count both nodes'
// clients, and the welcome line counts the whole cluster.
func TestChatClusterState(t *testing.T) {
	url := bus(t)
	var addrs []string
	for i := range 2 {
		nc := node(t, url)
		dir := NewDirectory(Static(nc), DirectoryConfig{Node: fmt.Sprintf("n%d", i+1), PresenceInterval: 20 * time.Millisecond})
		cs := chat.NewServer(chat.Config{Hub: New(Static(nc), Config{}), Directory: dir, Node: fmt.Sprintf("n%d", i+1)})
		dir.SetSource(func() chat.Presence { return cs.Presence("") })
		if err := dir.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1}))
		t.Cleanup(func() { dir.Shutdown(context.Background()) })
	}
	c1, r1 := dialChat(t, addrs[0])
	fmt.Fprint(c1, "/nick alice\n")
	testnet.ReadUntil(t, r1, "is now known as alice")
	c2, r2 := dialChat(t, addrs[1])
	fmt.Fprint(c2, "/nick Alice\n")
	testnet.ReadUntil(t, r2, "! nickname Alice is taken")
	fmt.Fprint(c2, "/nick bob\n")
	testnet.ReadUntil(t, r2, "is now known as bob")
	// Presence travels within the poll interval: ask until both show.
	var who string
	if !testnet.EventuallyEvery(10*time.Second, 200*time.Millisecond, func() bool {
		fmt.Fprint(c2, "/who\n")
		who = testnet.ReadUntil(t, r2, "lobby (")
		return strings.HasSuffix(who, "lobby (2): alice, bob; by node: n2 1, n1 1")
	}) {
		t.Fatalf("/who on node 2 = %q, want both nodes' members", who)
	}
	var rooms string
	if !testnet.EventuallyEvery(10*time.Second, 200*time.Millisecond, func() bool {
		fmt.Fprint(c1, "/rooms\n")
		rooms = testnet.ReadUntil(t, r1, "rooms:")
		return strings.HasSuffix(rooms, "rooms: lobby (2)")
	}) {
		t.Fatalf("/rooms on node 1 = %q, want lobby (2)", rooms)
	}
	c3 := testnet.Dial(t, addrs[0])
	c3.SetReadDeadline(time.Now().Add(15 * time.Second))
	if got := testnet.ReadUntil(t, bufio.NewReader(c3), "Welcome!"); !strings.HasSuffix(got, "3 client(s) connected.") {
		t.Errorf("welcome on node 1 = %q, want the cluster's 3 clients", got)
	}
}

// chatNode serves a chat server on nc with a hub and a directory, as netkit
// serve does on a cluster, and returns its address; stopped at the end of
// the test or by the returned function.
func chatNode(t *testing.T, nc *nats.Conn, name string) (addr string, stop func()) {
	t.Helper()
	dir := NewDirectory(Static(nc), DirectoryConfig{Node: name, PresenceInterval: 20 * time.Millisecond})
	cs := chat.NewServer(chat.Config{Hub: New(Static(nc), Config{}), Directory: dir, History: dir, Rate: -1})
	dir.SetSource(func() chat.Presence { return cs.Presence(name) })
	if err := dir.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := &tcpserver.Server{Handler: cs, IdleTimeout: -1}
	ln := testnet.Listen(t)
	done := make(chan struct{})
	go func() { srv.Serve(ln); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			srv.Shutdown(context.Background())
			<-done
			dir.Shutdown(context.Background())
		})
	}
	t.Cleanup(stop)
	return ln.Addr().String(), stop
}

// TestHistoryAcrossNodesAndRestart: /history on one node holds the lines
// sent on another, and outlives a restart of every node and of NATS, whose
// store is kept.
func TestHistoryAcrossNodesAndRestart(t *testing.T) {
	store := t.TempDir()
	ns, err := startNATS(t, store, "")
	if err != nil {
		t.Fatal(err)
	}
	nsAddr := ns.Addr()
	nc1, nc2 := node(t, ns.ClientURL()), node(t, ns.ClientURL())
	a1, stop1 := chatNode(t, nc1, "n1")
	a2, stop2 := chatNode(t, nc2, "n2")
	c1, r1 := dialChat(t, a1)
	for i := range 3 {
		fmt.Fprintf(c1, "line %d\n", i)
		testnet.ReadUntil(t, r1, fmt.Sprintf(": line %d", i))
	}
	c2, r2 := dialChat(t, a2)
	// The stream stores what the hubs publish a moment after the rooms'
	// members read it: wait until it holds c1's join notice, the three
	// lines and c2's join notice before asking for them.
	waitHistoryLines(t, nc2, 5)
	// The last four: the three lines, then this client's join notice.
	fmt.Fprint(c2, "/history 4\n")
	for i := range 3 {
		if got := testnet.ReadUntil(t, r2, ": line"); !strings.HasSuffix(got, fmt.Sprintf(": line %d", i)) {
			t.Fatalf("history line %d on node 2 = %q", i, got)
		}
	}
	c1.Close()
	c2.Close()
	stop1()
	stop2()
	nc1.Close()
	nc2.Close()
	ns.Shutdown(context.Background())

	ns2, err := startNATS(t, store, nsAddr)
	if err != nil {
		t.Fatal(err)
	}
	a3, _ := chatNode(t, node(t, ns2.ClientURL()), "n3")
	c3, r3 := dialChat(t, a3)
	fmt.Fprint(c3, "/history\n")
	for _, w := range []string{": line 0", ": line 1", ": line 2"} {
		if got := testnet.ReadUntil(t, r3, ": line"); !strings.HasSuffix(got, w) {
			t.Fatalf("history after the restart = %q, want a line ending %q", got, w)
		}
	}
}

// waitHistoryLines waits until the history stream holds want lines, all
// rooms together.
func waitHistoryLines(t *testing.T, nc *nats.Conn, want uint64) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var got uint64
	if !testnet.Eventually(10*time.Second, func() bool {
		s, err := js.Stream(context.Background(), DefaultHistoryStream)
		if err != nil {
			return false
		}
		info, err := s.Info(context.Background())
		if err != nil {
			return false
		}
		got = info.State.Msgs
		return got >= want
	}) {
		t.Fatalf("the history stream holds %d lines, want %d", got, want)
	}
}
