package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/web"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup serves one chat service on TCP and through the gateway, and
// returns the TCP address and the gateway's HTTP URL.
func setup(t *testing.T, cfg web.Config) (tcpAddr, httpURL string, ws *web.Server) {
	t.Helper()
	tcpAddr, httpURL, ws, _ = setupChat(t, chat.Config{Rate: -1}, cfg)
	return tcpAddr, httpURL, ws
}

// setupChat is setup with the chat service configured by chatCfg, and
// returns it too.
func setupChat(t *testing.T, chatCfg chat.Config, cfg web.Config) (tcpAddr, httpURL string, ws *web.Server, cs *chat.Server) {
	t.Helper()
	cs = chat.NewServer(chatCfg)
	tcpAddr = testnet.Serve(t, &tcpserver.Server{Handler: cs, IdleTimeout: -1})
	cfg.Chat = cs
	ws = web.NewServer(cfg)
	if err := ws.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(ws.Handler())
	hs.Config.BaseContext = ws.BaseContext
	hs.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws.Shutdown(ctx)
		hs.Close()
		ws.Wait()
	})
	return tcpAddr, hs.URL, ws, cs
}

func dialWS(t *testing.T, httpURL string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(httpURL, "http")+"/ws/chat", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readWS reads messages until one contains want, and returns it.
func readWS(t *testing.T, c *websocket.Conn, want string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("reading until %q: %v", want, err)
		}
		if typ != websocket.MessageText {
			t.Fatalf("message of type %v, want text", typ)
		}
		if strings.Contains(string(msg), want) {
			return string(msg)
		}
	}
}

func sendWS(t *testing.T, c *websocket.Conn, line string) {
	t.Helper()
	if err := c.Write(context.Background(), websocket.MessageText, []byte(line)); err != nil {
		t.Fatal(err)
	}
}

// TestLineParity: a browser and a TCP client in one room each read the
// other's lines, the browser's messages being the TCP client's lines
// without their newline, byte for byte.
func TestLineParity(t *testing.T) {
	tcpAddr, url, _ := setup(t, web.Config{})
	b := dialWS(t, url, nil)
	welcome := readWS(t, b, "Welcome!")
	if strings.HasSuffix(welcome, "\n") {
		t.Errorf("welcome message %q ends with a newline", welcome)
	}
	tc := testnet.Dial(t, tcpAddr)
	tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(tc)
	testnet.ReadUntil(t, r, "Welcome!")
	readWS(t, b, "joined lobby")
	for _, cmd := range []string{"/nick webby", "hello from the browser", "/me waves"} {
		sendWS(t, b, cmd)
	}
	tcpLines := []string{
		testnet.ReadUntil(t, r, "is now known as webby"),
		testnet.ReadUntil(t, r, "webby: hello from the browser"),
		testnet.ReadUntil(t, r, "* webby waves"),
	}
	wsLines := []string{
		readWS(t, b, "is now known as webby"),
		readWS(t, b, "webby: hello from the browser"),
		readWS(t, b, "* webby waves"),
	}
	for i := range tcpLines {
		if tcpLines[i] != wsLines[i] {
			t.Errorf("line %d: TCP read %q, the browser %q", i, tcpLines[i], wsLines[i])
		}
	}
	tc.Write([]byte("hi from TCP\n"))
	readWS(t, b, ": hi from TCP")
	sendWS(t, b, "/who")
	if got := readWS(t, b, "lobby ("); !strings.Contains(got, "lobby (2)") {
		t.Errorf("/who = %q, want both clients", got)
	}
}

// TestOriginCheck: an upgrade from a page of another origin is refused
// with 403, unless that origin is allowed.
func TestOriginCheck(t *testing.T) {
	_, url, srv := setup(t, web.Config{AllowedOrigins: []string{"chat.example.com"}})
	paths := []string{"/ws/chat", "/ws/rpc"}
	for _, path := range paths {
		ws := "ws" + strings.TrimPrefix(url, "http") + path
		for _, tt := range []struct {
			origin string
			ok     bool
		}{
			{"", true},
			{url, true},
			{"https://chat.example.com", true},
			{"https://evil.example.com", false},
		} {
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: hdr})
			cancel()
			if tt.ok {
				if err != nil {
					t.Errorf("%s, origin %q: %v, want the upgrade", path, tt.origin, err)
					continue
				}
				c.CloseNow()
				continue
			}
			if err == nil {
				c.CloseNow()
				t.Errorf("%s, origin %q: upgraded, want 403", path, tt.origin)
			} else if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s, origin %q: %v, want 403", path, tt.origin, err)
			}
		}
	}
	if got := refused(t, srv, "origin"); got != float64(len(paths)) {
		t.Errorf("upgrades refused for their origin: %v, want %d", got, len(paths))
	}
}

// refused returns the server's count of upgrades refused for reason, as
// /metrics gives it.
func refused(t *testing.T, srv *web.Server, reason string) float64 {
	t.Helper()
	return metric(t, srv, "netkit_web_upgrades_refused_total", reason)
}

// dropped returns the server's count of endpoint's connections it closed
// for reason, as /metrics gives it.
func dropped(t *testing.T, srv *web.Server, endpoint, reason string) float64 {
	t.Helper()
	return metric(t, srv, "netkit_web_websockets_dropped_total", endpoint, reason)
}

// metric returns the value of the server's metric name whose label values
// are labels, in the order of their names, as /metrics gives it.
func metric(t *testing.T, srv *web.Server, name string, labels ...string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(srv)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for i, l := range m.GetLabel() {
				if l.GetValue() != labels[i] {
					continue metrics
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s%q", name, labels)
	return 0
}

// eventually fails the test unless metric name of srv with labels reaches
// want within 10 seconds: the server counts a close as its handler ends,
// which may be after the client has seen the close.
func eventually(t *testing.T, srv *web.Server, want float64, name string, labels ...string) {
	t.Helper()
	if !testnet.Eventually(10*time.Second, func() bool { return metric(t, srv, name, labels...) == want }) {
		t.Errorf("%s%q = %v, want %v", name, labels, metric(t, srv, name, labels...), want)
	}
}

// TestOversizeMessage: a message over MaxMessage closes the connection
// with 1009, and is counted; the chat goes on for the others. A JSON-RPC
// message over the JSON-RPC server's MaxFrameSize does the same.
func TestOversizeMessage(t *testing.T) {
	_, url, srv := setup(t, web.Config{MaxMessage: 1024, RPC: &jsonrpc.Server{MaxFrameSize: 1024}})
	big := dialWS(t, url, nil)
	other := dialWS(t, url, nil)
	readWS(t, big, "Welcome!")
	readWS(t, other, "Welcome!")
	rpc := dialWSPath(t, url, "/ws/rpc")
	for _, c := range []*websocket.Conn{big, rpc} {
		sendWS(t, c, strings.Repeat("x", 2048))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var err error
		for err == nil {
			_, _, err = c.Read(ctx)
		}
		cancel()
		if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
			t.Errorf("close status %v (%v), want 1009", got, err)
		}
	}
	sendWS(t, other, "still here")
	readWS(t, other, ": still here")
	for _, endpoint := range []string{"chat", "rpc"} {
		eventually(t, srv, 1, "netkit_web_websockets_dropped_total", endpoint, "too_big")
		// Counted under its own reason only.
		if got := metric(t, srv, "netkit_web_websockets_dropped_total", endpoint, "pong_timeout"); got != 0 {
			t.Errorf("%s: an over-size message also counted as a pong timeout (%v)", endpoint, got)
		}
	}
}

// TestShutdown: the gateway's sessions end on Shutdown with the chat
// service's goodbye, the JSON-RPC connections (a subscription's among
// them) end, and Wait returns nil.
func TestShutdown(t *testing.T) {
	_, url, ws := setup(t, web.Config{})
	c := dialWS(t, url, nil)
	readWS(t, c, "Welcome!")
	rpc := dialWSPath(t, url, "/ws/rpc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rpc.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.subscribe","id":1}`))
	if _, _, err := rpc.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// The browser reads on, as browsers do, and so answers the close
	// handshake that ends its session.
	goodbye := make(chan string, 1)
	go func() {
		var last string
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				goodbye <- last
				return
			}
			last = string(msg)
		}
	}()
	if err := ws.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if last := <-goodbye; !strings.Contains(last, "server shutting down") {
		t.Errorf("the chat session's last line = %q, want the goodbye", last)
	}
	for {
		if _, _, err := rpc.Read(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("the JSON-RPC connection outlived Shutdown")
			}
			break
		}
	}
	if err := ws.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Wait = %v", err)
	}
}

// TestJSONMode: with ?format=json every line arrives as an Event, with the
// room the client is in, and the client sends {"text": ...} objects.
func TestJSONMode(t *testing.T) {
	_, url, _ := setup(t, web.Config{})
	c := dialWSPath(t, url, "/ws/chat?format=json")
	next := func(want string) web.Event {
		t.Helper()
		var ev web.Event
		if err := json.Unmarshal([]byte(readWS(t, c, want)), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if ev := next(`"welcome"`); ev.Type != "welcome" || !strings.HasPrefix(ev.Text, "Welcome! ") || ev.Room != "lobby" {
		t.Errorf("welcome event = %+v", ev)
	}
	sendWS(t, c, `{"text": "/nick jay"}`)
	ev := next("is now known as jay")
	if ev.Type != "notice" {
		t.Errorf("nick event = %+v", ev)
	}
	if _, err := time.Parse(time.RFC3339, ev.Time); err != nil {
		t.Errorf("time %q: want RFC 3339: %v", ev.Time, err)
	}
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d$`).MatchString(ev.ServerTime) {
		t.Errorf("server_time %q: want the chat service's HH:MM:SS", ev.ServerTime)
	}
	sendWS(t, c, `{"text": "/join Dev"}`)
	next("jay joined dev")
	sendWS(t, c, `{"text": "hi there"}`)
	if ev := next("hi there"); ev != (web.Event{Type: "message", Room: "dev", From: "jay", Text: "hi there", Time: ev.Time, ServerTime: ev.ServerTime}) || ev.ServerTime == "" {
		t.Errorf("message event = %+v", ev)
	}
	sendWS(t, c, `not json`)
	if ev := next(`"error"`); ev.Type != "error" || !strings.Contains(ev.Text, `want {"text"`) || ev.Time == "" {
		t.Errorf("error event = %+v", ev)
	}
	// The chat service's own error line ("! ...") is an error event too.
	sendWS(t, c, `{"text": "/frob"}`)
	if ev := next("unknown command"); ev != (web.Event{Type: "error", Room: "dev", Text: "unknown command /frob; try /help", Time: ev.Time, ServerTime: ev.ServerTime}) || ev.ServerTime == "" {
		t.Errorf("unknown command event = %+v", ev)
	}
	// A /join as the service reads it: in any case, with space around.
	sendWS(t, c, `{"text": "  /JOIN ops "}`)
	next("jay joined ops")
	sendWS(t, c, `{"text": "in ops"}`)
	if ev := next("in ops"); ev.Room != "ops" {
		t.Errorf("after /JOIN ops the event's room is %q", ev.Room)
	}
	// A refused /join leaves the room as it was, even when someone's
	// notice then ends in "joined" that room.
	sendWS(t, c, `{"text": "/join bad!"}`)
	next("invalid room")
	sendWS(t, c, `{"text": "/me joined bad!"}`)
	if ev := next("jay joined bad!"); ev.Room != "ops" {
		t.Errorf("after a refused /join the event's room is %q", ev.Room)
	}
}

func dialWSPath(t *testing.T, httpURL, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(httpURL, "http")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// TestDeadBrowser: a browser that stops answering pings is closed after
// the pong timeout, and its chat session ends.
func TestDeadBrowser(t *testing.T) {
	_, url, ws := setup(t, web.Config{PingInterval: 50 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
	live := dialWS(t, url, nil)
	readWS(t, live, "Welcome!")
	lines := make(chan string, 100)
	go func() { // live keeps reading, and so answers the pings
		for {
			_, msg, err := live.Read(context.Background())
			if err != nil {
				close(lines)
				return
			}
			lines <- string(msg)
		}
	}()
	c := dialWS(t, url, nil)
	readWS(t, c, "Welcome!")
	// c no longer reads, so its pongs are never sent.
	if !testnet.Eventually(10*time.Second, func() bool { return ws.Chat().Stats().Active == 1 }) {
		t.Fatalf("the silent browser's session is still open: %+v", ws.Chat().Stats())
	}
	eventually(t, ws, 1, "netkit_web_websockets_dropped_total", "chat", "pong_timeout")
	sendWS(t, live, "still alive")
	for line := range lines {
		if strings.Contains(line, ": still alive") {
			if got := dropped(t, ws, "chat", "pong_timeout"); got != 1 {
				t.Errorf("pong timeouts = %v, want 1", got)
			}
			return
		}
	}
	t.Error("the live browser's connection ended")
}

// TestDeadRPCClient: a JSON-RPC client that stops answering pings is
// closed after the pong timeout, and counted, while one that reads on
// stays and is answered.
func TestDeadRPCClient(t *testing.T) {
	_, url, ws := setup(t, web.Config{PingInterval: 50 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
	live := dialWSPath(t, url, "/ws/rpc")
	msgs := make(chan string, 100)
	go func() { // live keeps reading, and so answers the pings
		defer close(msgs)
		for {
			_, msg, err := live.Read(context.Background())
			if err != nil {
				return
			}
			msgs <- string(msg)
		}
	}()
	dialWSPath(t, url, "/ws/rpc") // reads nothing, so its pongs are never sent
	eventually(t, ws, 1, "netkit_web_websockets_dropped_total", "rpc", "pong_timeout")
	eventually(t, ws, 1, "netkit_web_websockets_open", "rpc")
	// A call on the live connection, after pings it has answered.
	sendWS(t, live, `{"jsonrpc":"2.0","method":"metrics.unsubscribe","params":["7"],"id":"after"}`)
	for msg := range msgs {
		if strings.Contains(msg, `"id":"after"`) {
			if want := `{"jsonrpc":"2.0","result":false,"id":"after"}`; msg != want {
				t.Errorf("response %s, want %s", msg, want)
			}
			if got := dropped(t, ws, "rpc", "pong_timeout"); got != 1 {
				t.Errorf("pong timeouts = %v, want 1", got)
			}
			return
		}
	}
	t.Error("the live client's connection ended")
}

// TestThousandBrowsers: 1,000 WebSocket clients in one room all read a
// line sent by one of them.
func TestThousandBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	// The clients read nothing between their welcome and the line, so
	// they answer no ping then: keep the pings out of the way.
	_, url, _ := setup(t, web.Config{MaxConns: 2000, PingInterval: time.Hour})
	const n = 1000
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		conns[i] = dialWS(t, url, nil)
		readWS(t, conns[i], "Welcome!")
	}
	sendWS(t, conns[0], "to everyone")
	// Each client reads, through the join notices of those after it, to
	// the line: half a million messages in all, which take a while under
	// the race detector on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var got atomic.Int64
	errs := make(chan error, n)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, msg, err := c.Read(ctx)
				if err != nil {
					errs <- err
					return
				}
				if strings.HasSuffix(string(msg), ": to everyone") {
					got.Add(1)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if got.Load() != n {
		t.Errorf("%d of %d browsers read the line", got.Load(), n)
		for err := range errs {
			t.Errorf("the first browser's read that failed: %v", err)
			break
		}
	}
}

// TestCommandParity: every command of the chat protocol gives a browser
// the lines it gives a TCP client, byte for byte but for the client's
// address and the room each run uses.
func TestCommandParity(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)
	tcpAddr, url, _, _ := setupChat(t, chat.Config{Rate: -1, Now: func() time.Time { return at }}, web.Config{})
	script := func(room string) []string {
		return []string{
			"/nick parity", "/nick", "/nick 9bad", "/join " + room, "/join " + room, "/join", "/rooms", "/who",
			"hello", "//slash", "/me waves", "/history 3", "/history x", "/help", "/frob", "/quit see you",
		}
	}
	normalize := func(lines []string, room string) string {
		out := strings.Join(lines, "\n")
		out = regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(out, "ADDR")
		return strings.ReplaceAll(out, room, "ROOM")
	}

	// The TCP client's session, to the end of its connection.
	tc := testnet.Dial(t, tcpAddr)
	tc.SetDeadline(time.Now().Add(20 * time.Second))
	for _, cmd := range script("parity-tcp") {
		io.WriteString(tc, cmd+"\n")
	}
	var tcpLines []string
	sc := bufio.NewScanner(tc)
	for sc.Scan() {
		tcpLines = append(tcpLines, sc.Text())
	}

	// The browser's, once the TCP client has gone.
	b := dialWS(t, url, nil)
	for _, cmd := range script("parity-ws") {
		sendWS(t, b, cmd)
	}
	var wsLines []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, msg, err := b.Read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("the browser's session did not end after /quit")
			}
			break
		}
		wsLines = append(wsLines, string(msg))
	}
	if len(tcpLines) < len(script("")) {
		t.Fatalf("the TCP session printed only %d lines:\n%s", len(tcpLines), strings.Join(tcpLines, "\n"))
	}
	if diff := cmp.Diff(normalize(tcpLines, "parity-tcp"), normalize(wsLines, "parity-ws")); diff != "" {
		t.Errorf("browser lines differ from TCP lines (-tcp +browser):\n%s", diff)
	}
}

// TestRefusalsLogRateLimited: a flood of refused upgrades is counted one
// by one on /metrics, but logged at most once a second, so that it cannot
// flood the log.
func TestRefusalsLogRateLimited(t *testing.T) {
	logs := &testnet.Buffer{}
	_, url, srv := setup(t, web.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	ws := "ws" + strings.TrimPrefix(url, "http") + "/ws/chat"
	const flood = 50
	for range flood {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example.com"}}})
		cancel()
		if err == nil {
			c.CloseNow()
			t.Fatal("a foreign origin was upgraded")
		}
	}
	if got := refused(t, srv, "origin"); got != flood {
		t.Errorf("upgrades refused for their origin: %v, want %d", got, flood)
	}
	lines := strings.Count(logs.String(), "websocket upgrade refused")
	// The flood takes well under a second on any machine this runs on;
	// one line per second it lasted is the bound either way.
	if lines < 1 || lines >= flood/2 {
		t.Errorf("%d log lines for %d refusals, want one a second:\n%s", lines, flood, logs.String())
	}
}

// TestLongLine: a line longer than the gateway's read buffer reaches the
// browser as one message, valid UTF-8: a multi-byte character over the
// buffer's end, and invalid bytes that the chat service replaces with
// U+FFFD, tripling the line's length. In JSON mode too.
func TestLongLine(t *testing.T) {
	_, url, _ := setup(t, web.Config{})
	for _, tc := range []struct {
		name, send, want string
		json             bool
	}{
		{"characters over the buffer's end", strings.Repeat("語", 1365), strings.Repeat("語", 1365), false},
		{"invalid bytes", strings.Repeat("\xff", 4000), strings.Repeat("\uFFFD", 4000), false},
		{"JSON mode", strings.Repeat("x", 4095), strings.Repeat("x", 4095), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/ws/chat"
			if tc.json {
				path += "?format=json"
			}
			c := dialWSPath(t, url, path)
			readWS(t, c, "Welcome!")
			send := tc.send
			if tc.json {
				b, _ := json.Marshal(map[string]string{"text": send})
				send = string(b)
			}
			// A client may send invalid UTF-8 in a text message; the
			// service replaces it.
			if err := c.Write(context.Background(), websocket.MessageText, []byte(send)); err != nil {
				t.Fatal(err)
			}
			msg := readWS(t, c, tc.want[:30])
			if !utf8.ValidString(msg) || !strings.Contains(msg, tc.want) {
				t.Errorf("a message of %d bytes (valid UTF-8: %v), want one holding the whole line of %d", len(msg), utf8.ValidString(msg), len(tc.want))
			}
		})
	}
}
