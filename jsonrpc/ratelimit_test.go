package jsonrpc_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
)

// countLimited sends n calls of "ping" at once and counts the answers
// that are CodeRateLimited, checking every answer keeps its id.
func countLimited(t *testing.T, n int, send func([]byte), read func() []byte) (limited int) {
	t.Helper()
	for i := range n {
		send([]byte(`{"jsonrpc":"2.0","method":"ping","id":` + itoa(i) + `}`))
	}
	seen := map[string]bool{}
	for range n {
		var resp struct {
			ID    json.RawMessage `json:"id"`
			Error *jsonrpc.Error  `json:"error"`
		}
		if err := json.Unmarshal(read(), &resp); err != nil {
			t.Fatal(err)
		}
		seen[string(resp.ID)] = true
		if resp.Error != nil {
			if resp.Error.Code != jsonrpc.CodeRateLimited {
				t.Fatalf("error %+v", resp.Error)
			}
			limited++
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct ids answered, want %d", len(seen), n)
	}
	return limited
}

// countLimitedTCP makes n calls on a new TCP connection to addr, as
// countLimited does, and returns how many were refused.
func countLimitedTCP(t *testing.T, addr string, n int) int {
	t.Helper()
	c := testnet.Dial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fr := frame.NewReader(c, 0)
	return countLimited(t, n,
		func(b []byte) { c.Write(frame.Append(nil, b)) },
		func() []byte {
			b, err := fr.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			return append([]byte(nil), b...)
		})
}

func pingServer() *jsonrpc.Server {
	s := &jsonrpc.Server{CallRate: 0.001, CallBurst: 3}
	jsonrpc.Register(s, "ping", func(context.Context, struct{}) (string, error) { return "pong", nil })
	return s
}

// TestCallRate: over TCP and WebSocket, a connection's calls past its
// burst are answered CodeRateLimited, with their ids; another connection
// has its own bucket.
func TestCallRate(t *testing.T) {
	s := pingServer()
	addr := testnet.Serve(t, &tcpserver.Server{Handler: s.TCPHandler()})
	for conn := range 2 {
		got := countLimitedTCP(t, addr, 10)
		if got != 7 {
			t.Errorf("TCP connection %d: %d of 10 calls limited, want 7 (burst 3)", conn, got)
		}
	}

	ts := httptest.NewServer(s.WebSocketHandler(jsonrpc.WebSocketOptions{}))
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	got := countLimited(t, 10,
		func(b []byte) { ws.Write(ctx, websocket.MessageText, b) },
		func() []byte {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
	if got != 7 {
		t.Errorf("WebSocket: %d of 10 calls limited, want 7", got)
	}
}
