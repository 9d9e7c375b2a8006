package natshub

import (
	"fmt"
	"sync"
	"time"
)

// StateNotifier is a connection that reports going down and coming back
// (natsbus.Conn).
type StateNotifier interface {
	// OnStateChange adds a function called with false when the
	// connection goes down and with true when it is back.
	OnStateChange(func(connected bool))
}

// WatchOutages calls alert with a line for the chat clients each time the
// connection comes back after an outage. Core NATS delivers at most once:
// lines published by other nodes while this one was away, or while NATS
// restarted, may not have reached it, and its clients are told so rather
// than left to miss them in silence. /history, read from the stream, shows
// what the room holds.
func WatchOutages(conn StateNotifier, alert func(text string)) {
	var mu sync.Mutex
	var down time.Time
	conn.OnStateChange(func(connected bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case !connected && down.IsZero():
			down = time.Now()
		case connected && !down.IsZero():
			d := time.Since(down).Round(100 * time.Millisecond)
			down = time.Time{}
			alert(fmt.Sprintf("the chat backplane was unavailable for %v: lines sent meanwhile may be missing; /history shows the room", d))
		}
	})
}
