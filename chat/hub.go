package chat

import (
	"context"
	"sync"
)

// Hub routes the lines published to a room to the room's subscribers. The
// protocol code reaches rooms only through it, so a distributed backplane
// (a message bus carrying rooms between servers) can replace the
// in-process LocalHub.
type Hub interface {
	// Subscribe makes sub receive the lines published to room from now on,
	// until the returned function is called (it may be called more than
	// once).
	Subscribe(ctx context.Context, room string, sub Subscriber) (unsubscribe func(), err error)

	// Publish hands line, a complete protocol line ending in '\n', to every
	// current subscriber of room. The hub and the subscribers share line
	// and must not modify it. Lines published to one room reach every
	// subscriber in the same order.
	Publish(ctx context.Context, room string, line []byte) error
}

// Subscriber receives the lines of the rooms it subscribed to.
type Subscriber interface {
	// Deliver queues line for sending. It is called from the publisher's
	// goroutine and must not block: a subscriber that cannot keep up
	// drops the line (and, in this package, the client).
	Deliver(line []byte)
}

// LocalHub is the in-process Hub. Publishing to a room is serialised per
// room, which gives every subscriber the same order; rooms with no
// subscriber left are removed. The zero value is ready to use.
type LocalHub struct {
	mu    sync.Mutex
	rooms map[string]*hubRoom
}

var _ Hub = (*LocalHub)(nil)

type hubRoom struct {
	mu   sync.Mutex
	subs map[Subscriber]struct{}
}

// NewLocalHub returns an empty in-process hub.
func NewLocalHub() *LocalHub { return &LocalHub{} }

// Subscribe implements Hub.
func (h *LocalHub) Subscribe(_ context.Context, room string, sub Subscriber) (func(), error) {
	h.mu.Lock()
	if h.rooms == nil {
		h.rooms = make(map[string]*hubRoom)
	}
	r := h.rooms[room]
	if r == nil {
		r = &hubRoom{subs: make(map[Subscriber]struct{})}
		h.rooms[room] = r
	}
	// Taking r.mu while holding h.mu orders the subscription after any
	// publish in progress; the unsubscribe below takes them in the same
	// order.
	r.mu.Lock()
	r.subs[sub] = struct{}{}
	r.mu.Unlock()
	h.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			r.mu.Lock()
			delete(r.subs, sub)
			empty := len(r.subs) == 0
			r.mu.Unlock()
			if empty && h.rooms[room] == r {
				delete(h.rooms, room)
			}
		})
	}, nil
}

// Publish implements Hub. It calls each subscriber's Deliver in turn, in
// the caller's goroutine.
func (h *LocalHub) Publish(_ context.Context, room string, line []byte) error {
	h.mu.Lock()
	r := h.rooms[room]
	h.mu.Unlock()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for sub := range r.subs {
		sub.Deliver(line)
	}
	return nil
}

// Rooms returns how many rooms have subscribers.
func (h *LocalHub) Rooms() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rooms)
}
