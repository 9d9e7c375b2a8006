package chat_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable clock for timestamps and flood control.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ts is the timestamp of every line stamped by newClock's clock.
const ts = "[09:00:00] "

// start serves a chat server on a loopback port and shuts it down when the
// test ends. A nil tcp gets a default tcpserver.Server.
func start(t testing.TB, cfg chat.Config, tcp *tcpserver.Server) (string, *chat.Server, *tcpserver.Server) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = newClock().Now
	}
	cs := chat.NewServer(cfg)
	if tcp == nil {
		tcp = &tcpserver.Server{}
	}
	tcp.Handler = cs
	return testnet.Serve(t, tcp), cs, tcp
}

// tclient is a raw protocol client for tests.
type tclient struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	name string // HOST:PORT as the server names it
}

// join connects and reads the welcome line, checking the client count.
func join(t testing.TB, addr string, wantCount int) *tclient {
	t.Helper()
	conn := testnet.Dial(t, addr)
	c := &tclient{t: t, conn: conn, r: bufio.NewReader(conn), name: conn.LocalAddr().String()}
	want := "Welcome! You are " + c.name + ". " + strconv.Itoa(wantCount) + " client(s) connected."
	if got := c.line(); got != want {
		t.Fatalf("welcome = %q, want %q", got, want)
	}
	return c
}

func (c *tclient) send(lines ...string) {
	c.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(c.conn, l+"\n"); err != nil {
			c.t.Fatalf("send %q: %v", l, err)
		}
	}
}

// line reads the next line, without its newline, within 5 s.
func (c *tclient) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v (after %q)", c.name, err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// expect reads the next lines and compares them with want.
func (c *tclient) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		if got := c.line(); got != w {
			c.t.Fatalf("%s read %q, want %q", c.name, got, w)
		}
	}
}

// expectEOF reads the end of the stream within 5 s.
func (c *tclient) expectEOF() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err == nil || s != "" {
		c.t.Fatalf("%s read %q, %v; want end of stream", c.name, s, err)
	}
	if !errors.Is(err, io.EOF) && !isReset(err) {
		c.t.Fatalf("%s read error %v, want EOF", c.name, err)
	}
}

func isReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

func TestWelcomeAndRoomMessages(t *testing.T) {
	addr, cs, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	a.send("Hello!")
	a.expect(ts + a.name + ": Hello!") // the sender reads its own line back
	b.expect(ts + a.name + ": Hello!")
	b.send("  spaced out \t")
	a.expect(ts + b.name + ": spaced out")
	b.expect(ts + b.name + ": spaced out")
	if st := cs.Stats(); st.Clients != 2 || st.Rooms != 1 || st.Received != 2 {
		t.Errorf("Stats() = %+v, want 2 clients, 1 room, 2 lines received", st)
	}
}

func TestNick(t *testing.T) {
	addr, _, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")

	a.send("/nick alice")
	a.expect(ts + "* " + a.name + " is now known as alice")
	b.expect(ts + "* " + a.name + " is now known as alice")
	a.send("hi")
	b.expect(ts + "alice: hi")
	a.expect(ts + "alice: hi")

	a.send("/nick alice")
	a.expect(ts + "* you are alice")
	a.send("/nick Alice2", "/nick alice")
	a.expect(ts+"* alice is now known as Alice2", ts+"* Alice2 is now known as alice")
	b.expect(ts+"* alice is now known as Alice2", ts+"* Alice2 is now known as alice")

	// Nicknames are unique without regard to case.
	b.send("/nick ALICE")
	b.expect(ts + "! nickname ALICE is taken")
	b.send("/nick")
	b.expect(ts + "! usage: /nick NAME")

	for _, bad := range []string{"1abc", "_x", "a b", "al:ce", "zoë", strings.Repeat("x", chat.MaxNickLen+1), "a.b"} {
		b.send("/nick " + bad)
		if got := b.line(); !strings.HasPrefix(got, ts+"! invalid nickname ") {
			t.Errorf("/nick %q: got %q, want an invalid nickname error", bad, got)
		}
	}

	// A nickname is free again once its client has left.
	a.conn.Close()
	b.expect(ts + "* alice quit (connection closed)")
	b.send("/nick alice")
	b.expect(ts + "* " + b.name + " is now known as alice")
}

func TestValidNames(t *testing.T) {
	for _, tt := range []struct {
		nick string
		ok   bool
	}{
		{"a", true}, {"Alice_2-x", true}, {strings.Repeat("x", chat.MaxNickLen), true},
		{"", false}, {"1a", false}, {"-a", false}, {"a!", false}, {"127.0.0.1:5000", false}, {"élan", false},
	} {
		if err := chat.ValidNick(tt.nick); (err == nil) != tt.ok || err != nil && !errors.Is(err, chat.ErrInvalidNick) {
			t.Errorf("ValidNick(%q) = %v, want ok=%v", tt.nick, err, tt.ok)
		}
	}
	for _, tt := range []struct {
		room string
		ok   bool
	}{
		{"lobby", true}, {"go-dev_2", true}, {"9", true}, {strings.Repeat("r", chat.MaxRoomLen), true},
		{"", false}, {"Dev", false}, {"a b", false}, {"a/b", false}, {strings.Repeat("r", chat.MaxRoomLen+1), false},
	} {
		if err := chat.ValidRoom(tt.room); (err == nil) != tt.ok || err != nil && !errors.Is(err, chat.ErrInvalidRoom) {
			t.Errorf("ValidRoom(%q) = %v, want ok=%v", tt.room, err, tt.ok)
		}
	}
	if got := chat.CanonicalRoom("#Dev"); got != "dev" {
		t.Errorf("CanonicalRoom(%q) = %q, want %q", "#Dev", got, "dev")
	}
}

func TestJoinRoomsWho(t *testing.T) {
	addr, cs, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	c := join(t, addr, 3)
	a.expect(ts + "* " + c.name + " joined lobby")
	b.expect(ts + "* " + c.name + " joined lobby")
	a.send("/nick alice")
	for _, x := range []*tclient{a, b, c} {
		x.expect(ts + "* " + a.name + " is now known as alice")
	}

	a.send("/join #Dev")
	a.expect(ts + "* alice joined dev")
	b.expect(ts + "* alice left lobby")
	c.expect(ts + "* alice left lobby")
	if st := cs.Stats(); st.Rooms != 2 {
		t.Errorf("Stats().Rooms = %d, want 2", st.Rooms)
	}

	// Messages stay in their room.
	a.send("in dev")
	a.expect(ts + "alice: in dev")
	b.send("in lobby")
	b.expect(ts + b.name + ": in lobby")
	c.expect(ts + b.name + ": in lobby")

	a.send("/rooms")
	a.expect(ts + "* rooms: dev (1), lobby (2)")
	b.send("/who")
	names := []string{b.name, c.name}
	if names[0] > names[1] {
		names[0], names[1] = names[1], names[0]
	}
	b.expect(ts + "* lobby (2): " + names[0] + ", " + names[1])
	a.send("/who")
	a.expect(ts + "* dev (1): alice")

	a.send("/join dev", "/join", "/join a/b")
	a.expect(ts+"! you are in dev already", ts+"! usage: /join ROOM", ts+`! invalid room "a/b": letters, digits, - or _, at most 32`)

	a.send("/join lobby")
	a.expect(ts + "* alice joined lobby")
	b.expect(ts + "* alice joined lobby")
	a.send("/rooms")
	a.expect(ts + "* rooms: lobby (3)")
}

func TestMeHelpUnknownEscape(t *testing.T) {
	addr, _, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	a.send("/me waves")
	a.expect(ts + "* " + a.name + " waves")
	a.send("/ME")
	a.expect(ts + "! usage: /me ACTION")
	a.send("/frob x")
	a.expect(ts + "! unknown command /frob; try /help")
	a.send("//not a command")
	a.expect(ts + a.name + ": /not a command")
	a.send("/help")
	a.expect(ts + "* commands:")
	for got := a.line(); !strings.HasPrefix(got, ts+"* other lines"); got = a.line() {
		if !strings.HasPrefix(got, ts+"* /") {
			t.Fatalf("/help line %q, want a command", got)
		}
	}
}

func TestSanitize(t *testing.T) {
	addr, _, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	// Empty lines are not relayed; escapes and invalid UTF-8 are cleaned.
	a.send("", "   ", "red\x1b[31m text\x07\r", "bad \xff byte", "tab\there")
	a.expect(ts+a.name+": red[31m text", ts+a.name+": bad \ufffd byte", ts+a.name+": tab\there")
}

func TestLongLines(t *testing.T) {
	addr, _, _ := start(t, chat.Config{MaxLine: 100}, &tcpserver.Server{MaxRequest: 1024})
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")

	a.send(strings.Repeat("x", 150))
	a.expect(ts + "! line too long (over 100 bytes); not sent")
	a.send(strings.Repeat("y", 99)) // 100 bytes with the newline
	a.expect(ts + a.name + ": " + strings.Repeat("y", 99))
	b.expect(ts + a.name + ": " + strings.Repeat("y", 99))

	// Beyond the reader's maximum the stream is out of step: closed.
	a.send(strings.Repeat("z", 5000))
	a.expect(ts + "! line too long (over 1024 bytes); closing")
	a.expectEOF()
	b.expect(ts + "* " + a.name + " quit (line too long)")
}

func TestQuit(t *testing.T) {
	addr, cs, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	a.send("/quit gotta go", "never relayed")
	a.expect(ts + "* bye")
	a.expectEOF()
	b.expect(ts + "* " + a.name + " quit (gotta go)")

	c := join(t, addr, 2)
	b.expect(ts + "* " + c.name + " joined lobby")
	c.send("/quit")
	c.expect(ts + "* bye")
	b.expect(ts + "* " + c.name + " quit (quit)")
	if !testnet.Eventually(5*time.Second, func() bool { return cs.Stats().Clients == 1 }) {
		t.Errorf("Stats().Clients = %d, want 1", cs.Stats().Clients)
	}
}

func TestLastLineWithoutNewline(t *testing.T) {
	addr, _, _ := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	io.WriteString(a.conn, "unterminated")
	a.conn.(*net.TCPConn).CloseWrite()
	b.expect(ts+a.name+": unterminated", ts+"* "+a.name+" quit (connection closed)")
}

func TestFlood(t *testing.T) {
	clk := newClock()
	addr, cs, _ := start(t, chat.Config{Now: clk.Now, Rate: 1, Burst: 3, FloodLimit: 2}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")

	// The clock stands still: three lines pass, the fourth is dropped with
	// a warning.
	a.send("1", "2", "3", "4")
	a.expect(ts+a.name+": 1", ts+a.name+": 2", ts+a.name+": 3",
		ts+"! slow down: more than 1 lines a second; lines are dropped, and the connection closed if it goes on")
	b.expect(ts+a.name+": 1", ts+a.name+": 2", ts+a.name+": 3")

	// Once the bucket is full again the count of strikes starts over.
	clk.Advance(10 * time.Second)
	const ts2 = "[09:00:10] "
	a.send("6", "7", "8", "9", "10", "11")
	a.expect(ts2+a.name+": 6", ts2+a.name+": 7", ts2+a.name+": 8",
		ts2+"! slow down: more than 1 lines a second; lines are dropped, and the connection closed if it goes on",
		ts2+"! disconnected: flooding")
	a.expectEOF()
	b.expect(ts2+a.name+": 6", ts2+a.name+": 7", ts2+a.name+": 8", ts2+"* "+a.name+" quit (flooding)")
	if st := cs.Stats(); st.DroppedFlood != 1 {
		t.Errorf("Stats().DroppedFlood = %d, want 1", st.DroppedFlood)
	}
}

func TestShutdownNotice(t *testing.T) {
	addr, cs, tcp := start(t, chat.Config{}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tcp.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// Each client reads the notice and then the end: no quit notices.
	for _, c := range []*tclient{a, b} {
		c.expect(ts + "* server shutting down")
		c.expectEOF()
	}
	if st := cs.Stats(); st.Clients != 0 || st.Rooms != 0 || st.QueuedBytes != 0 {
		t.Errorf("after shutdown Stats() = %+v, want no clients, rooms or queued bytes", st)
	}
}

func TestIdleTimeout(t *testing.T) {
	// ReadTimeout defaults to IdleTimeout and runs from the accept until
	// the first Next: a long one keeps a slow start on a loaded machine
	// from ending the session as a read timeout instead.
	addr, _, _ := start(t, chat.Config{}, &tcpserver.Server{IdleTimeout: 200 * time.Millisecond, ReadTimeout: time.Minute})
	a := join(t, addr, 1)
	a.expect(ts + "* idle timeout; closing")
	a.expectEOF()
}

func TestClient(t *testing.T) {
	addr, _, _ := start(t, chat.Config{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := chat.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	welcome, err := c.ReadLine()
	if err != nil || chat.ParseLine(welcome).Kind != chat.KindWelcome {
		t.Fatalf("ReadLine() = %q, %v; want the welcome", welcome, err)
	}
	if err := c.Send(ctx, "two\nlines"); !errors.Is(err, chat.ErrNewline) {
		t.Errorf("Send(two lines) = %v, want ErrNewline", err)
	}
	c.Send(ctx, "/nick bob")
	c.Send(ctx, "hi")
	c.CloseWrite()
	var got []chat.Line
	for {
		s, err := c.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, chat.ParseLine(s))
	}
	want := []chat.Line{
		{Kind: chat.KindNotice, Time: "09:00:00", Text: c.LocalAddr().String() + " is now known as bob"},
		{Kind: chat.KindMessage, Time: "09:00:00", From: "bob", Text: "hi"},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("lines = %+v, want %+v", got, want)
	}
}

// Clients without a nickname are named as the chapter names them:
// f"{addr[0]}:{addr[1]}", so an IPv6 peer is "::1:PORT".
func TestIPv6Name(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback: ", err)
	}
	tcp := &tcpserver.Server{Handler: chat.NewServer(chat.Config{Now: newClock().Now})}
	conn := testnet.Dial(t, testnet.ServeOn(t, tcp, ln))
	c := &tclient{t: t, conn: conn, r: bufio.NewReader(conn)}
	port := conn.LocalAddr().(*net.TCPAddr).Port
	c.expect("Welcome! You are ::1:" + strconv.Itoa(port) + ". 1 client(s) connected.")
	c.send("hi")
	if l := chat.ParseLine(c.line()); l.From != "::1:"+strconv.Itoa(port) || l.Text != "hi" {
		t.Errorf("message parsed as %+v, want from ::1:%d", l, port)
	}
	conn.Close()
}
