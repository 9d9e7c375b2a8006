package web_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/web"
)

// TestSlowBrowser: a browser that never reads is dropped as a slow
// consumer, as a TCP client would be, while a browser that reads gets
// every line.
func TestSlowBrowser(t *testing.T) {
	tcpAddr, url, _, cs := setupChat(t, chat.Config{Rate: -1}, web.Config{WriteTimeout: time.Second, PingInterval: time.Hour})
	slow := dialWS(t, url, nil)
	readWS(t, slow, "Welcome!")
	reader := dialWS(t, url, nil)
	readWS(t, reader, "Welcome!")
	const lines = 10000
	var got atomic.Int64
	readerDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for {
			_, msg, err := reader.Read(ctx)
			if err != nil {
				readerDone <- err
				return
			}
			if strings.Contains(string(msg), ": filler ") {
				if got.Add(1) == lines {
					readerDone <- nil
					return
				}
			}
		}
	}()
	// The sender is a TCP client that reads what it is sent (its own
	// lines come back to it), so that it is no slow consumer itself.
	sender := testnet.Dial(t, tcpAddr)
	var echoed atomic.Int64
	go func() {
		sc := bufio.NewScanner(sender)
		for sc.Scan() {
			if strings.Contains(sc.Text(), ": filler ") {
				echoed.Add(1)
			}
		}
	}()
	filler := strings.Repeat("x", 900)
	for i := range lines {
		// At most a window of lines ahead of the reader and of the
		// sender's own reading, which so stay within their send queues
		// however the goroutines are scheduled on a busy machine; the
		// browser that never reads falls ever further behind.
		for i-int(got.Load()) > 32 || i-int(echoed.Load()) > 32 {
			select {
			case err := <-readerDone:
				t.Fatalf("the reading browser stopped at %d of %d lines: %v; chat: %+v", got.Load(), lines, err, cs.Stats())
			case <-time.After(time.Millisecond):
			}
		}
		if _, err := io.WriteString(sender, "filler "+filler+" "+itoa(i)+"\n"); err != nil {
			t.Fatalf("line %d: %v; chat: %+v", i, err, cs.Stats())
		}
	}
	if err := <-readerDone; err != nil {
		t.Fatalf("the reading browser got %d of %d lines: %v", got.Load(), lines, err)
	}
	// Dropped by chat's send queue, or by the gateway's write timeout
	// before the queue filled: either way it is gone, and only the
	// reader and the sender are left.
	if !testnet.Eventually(20*time.Second, func() bool { return cs.Stats().Clients == 2 }) {
		t.Fatalf("the browser that never reads was not dropped: %+v", cs.Stats())
	}
	t.Logf("chat: %+v", cs.Stats())
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestFloodBrowser: chat's flood control applies to a browser as to a TCP
// client: warned, then disconnected, and counted.
func TestFloodBrowser(t *testing.T) {
	_, url, _, cs := setupChat(t, chat.Config{Rate: 1, Burst: 2, FloodLimit: 3}, web.Config{})
	c := dialWS(t, url, nil)
	readWS(t, c, "Welcome!")
	// Three lines: two within the burst and one over it, which is warned.
	// The warning is read before flooding on, since lines still unread by
	// the server when it hangs up make its kernel reset the connection,
	// and a reset discards what the browser had not yet read.
	for range 3 {
		if err := c.Write(context.Background(), websocket.MessageText, []byte("flood")); err != nil {
			t.Fatal(err)
		}
	}
	readWS(t, c, "slow down")
	for range 20 {
		if err := c.Write(context.Background(), websocket.MessageText, []byte("flood")); err != nil {
			break // closed already
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("the flooding browser was not disconnected")
			}
			break
		}
	}
	if st := cs.Stats(); st.DroppedFlood != 1 {
		t.Errorf("DroppedFlood = %d, want 1", st.DroppedFlood)
	}
}

// TestConnectionCap: WebSocket connections beyond MaxConns, chat and
// JSON-RPC together, are refused with 503 until one closes.
func TestConnectionCap(t *testing.T) {
	_, url, srv := setup(t, web.Config{MaxConns: 2})
	a := dialWSPath(t, url, "/ws/chat")
	readWS(t, a, "Welcome!")
	b := dialWSPath(t, url, "/ws/rpc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(url, "http")
	for _, path := range []string{"/ws/chat", "/ws/rpc"} {
		_, resp, err := websocket.Dial(ctx, ws+path, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("third connection on %s: %v (response %v), want 503", path, err, resp)
		}
	}
	if got := refused(t, srv, "limit"); got != 2 {
		t.Errorf("upgrades refused over the limit: %v, want 2", got)
	}
	b.Close(websocket.StatusNormalClosure, "")
	if !testnet.Eventually(10*time.Second, func() bool {
		c, _, err := websocket.Dial(ctx, ws+"/ws/rpc", nil)
		if err != nil {
			return false
		}
		c.Close(websocket.StatusNormalClosure, "")
		return true
	}) {
		t.Error("no connection accepted after one closed")
	}
}

// TestWriteTimeoutDrop: a browser that stops reading, behind a chat send
// queue too large to fill first, is closed by the gateway's write timeout
// once the socket's buffers are full, and counted; the sender stays.
func TestWriteTimeoutDrop(t *testing.T) {
	tcpAddr, url, srv, cs := setupChat(t, chat.Config{Rate: -1, MaxQueue: 1 << 30}, web.Config{WriteTimeout: 100 * time.Millisecond, PingInterval: time.Hour})
	stalled := dialWS(t, url, nil)
	readWS(t, stalled, "Welcome!")
	sender := testnet.Dial(t, tcpAddr)
	go io.Copy(io.Discard, sender) // reads its own lines back, so it is never slow
	line := "filler " + strings.Repeat("x", 4000) + "\n"
	deadline := time.Now().Add(60 * time.Second)
	for dropped(t, srv, "chat", "write_timeout") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled browser was not dropped: chat %+v", cs.Stats())
		}
		// A batch between looks at the count: the buffers between the
		// gateway and the browser hold some megabytes.
		for range 100 {
			if _, err := io.WriteString(sender, line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !testnet.Eventually(10*time.Second, func() bool { return cs.Stats().Clients == 1 }) {
		t.Errorf("chat clients %+v, want the sender alone", cs.Stats())
	}
	if st := cs.Stats(); st.DroppedSlow != 0 {
		t.Errorf("DroppedSlow = %d, want 0: the gateway, not the send queue, dropped it", st.DroppedSlow)
	}
}

// TestSetMaxConns: the bound of WebSocket connections changes while the
// server runs; the connections open stay open.
func TestSetMaxConns(t *testing.T) {
	_, url, srv := setup(t, web.Config{MaxConns: 1})
	ws := "ws" + strings.TrimPrefix(url, "http")
	dial := func(path string) (*websocket.Conn, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, ws+path, nil)
		if err != nil {
			if resp == nil {
				t.Fatal(err)
			}
			return nil, resp.StatusCode
		}
		t.Cleanup(func() { c.CloseNow() })
		return c, http.StatusSwitchingProtocols
	}
	first, _ := dial("/ws/chat")
	readWS(t, first, "Welcome!")
	for _, tt := range []struct {
		max    int
		path   string
		status int
	}{
		{1, "/ws/rpc", http.StatusServiceUnavailable},
		{2, "/ws/rpc", http.StatusSwitchingProtocols},
		{3, "/ws/chat", http.StatusSwitchingProtocols},
		{3, "/ws/chat", http.StatusServiceUnavailable},
		{1, "/ws/rpc", http.StatusServiceUnavailable},
	} {
		srv.SetMaxConns(tt.max)
		c, status := dial(tt.path)
		if status != tt.status {
			t.Fatalf("max %d, %s: status %d, want %d", tt.max, tt.path, status, tt.status)
		}
		if c != nil && tt.path == "/ws/chat" {
			readWS(t, c, "Welcome!")
		}
	}
	// Lowered below the connections open, which stay.
	sendWS(t, first, "still here")
	readWS(t, first, ": still here")
}
