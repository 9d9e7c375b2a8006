package chat_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/netkit-dev/netkit/chat"
)

// TestHistoryCommand: /history [N] replies with the room's last lines as
// they were delivered, oldest first, to the asker alone.
func TestHistoryCommand(t *testing.T) {
	addr, _, _ := start(t, chat.Config{Rate: -1}, nil)
	a := join(t, addr, 1)
	a.send("/nick ann")
	a.expect(ts + "* " + a.name + " is now known as ann")
	for i := range 3 {
		a.send(fmt.Sprintf("line %d", i))
		a.expect(fmt.Sprintf(ts+"ann: line %d", i))
	}
	b := join(t, addr, 2)
	a.expect(ts + "* " + b.name + " joined lobby")
	b.send("/history 2")
	b.expect(ts+"ann: line 2", ts+"* "+b.name+" joined lobby")
	b.send("/history")
	b.expect(ts+"* "+a.name+" joined lobby", ts+"* "+a.name+" is now known as ann", ts+"ann: line 0", ts+"ann: line 1", ts+"ann: line 2", ts+"* "+b.name+" joined lobby")
	for _, bad := range []string{"/history 0", "/history x", "/history -3"} {
		b.send(bad)
		if got := b.line(); !strings.HasPrefix(got, ts+"! usage: /history [N]") {
			t.Errorf("%s: read %q, want the usage", bad, got)
		}
	}
	// Nobody else read any of it: a's next line is its own.
	a.send("done")
	a.expect(ts + "ann: done")
}

// TestHistoryWithinQueue: a history larger than half the send queue keeps
// its newest lines and says how many older ones it left out, and the
// client stays connected.
func TestHistoryWithinQueue(t *testing.T) {
	addr, _, _ := start(t, chat.Config{Rate: -1, MaxQueue: 8 << 10, MaxLine: 1 << 10}, nil)
	a := join(t, addr, 1)
	long := strings.Repeat("x", 900)
	for i := range 10 {
		a.send(fmt.Sprintf("%d %s", i, long))
		a.expect(fmt.Sprintf(ts+"%s: %d %s", a.name, i, long))
	}
	a.send("/history 10")
	first := a.line()
	if !strings.Contains(first, "older lines not shown") {
		t.Fatalf("read %q, want the note of lines left out", first)
	}
	var n int
	fmt.Sscanf(strings.TrimPrefix(first, ts+"! "), "%d", &n)
	for i := n; i < 10; i++ {
		a.expect(fmt.Sprintf(ts+"%s: %d %s", a.name, i, long))
	}
	a.send("still here")
	a.expect(ts + a.name + ": still here")
}
