package chat_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
)

// failingHub is a LocalHub whose Subscribe fails for the room named bad,
// and for every room once down is set: a backplane that refuses.
type failingHub struct {
	*chat.LocalHub
	bad  string
	down atomic.Bool
}

var errBackplane = errors.New("backplane down")

func (h *failingHub) Subscribe(ctx context.Context, room string, sub chat.Subscriber) (func(), error) {
	if room == h.bad || h.down.Load() {
		return nil, errBackplane
	}
	return h.LocalHub.Subscribe(ctx, room, sub)
}

// TestJoinFails: a client whose /join the hub refuses goes back to the
// room it left, and its lines reach that room; if it cannot go back either,
// its session ends with a word why, rather than leave it in no room, where
// its lines would go nowhere.
func TestJoinFails(t *testing.T) {
	hub := &failingHub{LocalHub: chat.NewLocalHub(), bad: "dev"}
	addr, _, _ := start(t, chat.Config{Hub: hub, Rate: -1}, nil)
	a := join(t, addr, 1)
	b := join(t, addr, 2)
	a.line() // b joined
	a.send("/join dev")
	// Its own notice of joining lobby again, then why.
	if got := a.line(); !strings.HasSuffix(got, " joined lobby") {
		t.Fatalf("after a refused /join: %q", got)
	}
	if got := a.line(); !strings.HasSuffix(got, "! cannot join dev now; back in lobby") {
		t.Fatalf("after a refused /join: %q", got)
	}
	a.send("still here")
	for {
		if got := b.line(); strings.HasSuffix(got, ": still here") {
			break
		}
	}

	hub.down.Store(true)
	a.send("/join ops")
	var last string
	a.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		line, err := a.r.ReadString('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading to the session's end: %v (last line %q)", err, last)
		}
		last = strings.TrimSpace(line)
	}
	if !strings.HasSuffix(last, "! cannot join a room now; try again later") {
		t.Errorf("the session ended after %q", last)
	}
}
