package chat

import (
	"container/list"
	"context"
	"sync"
)

// History limits: /history gives DefaultHistoryLines lines unless asked for
// more, and never more than MaxHistoryLines, the lines kept per room.
const (
	DefaultHistoryLines = 20
	MaxHistoryLines     = 100
)

// History keeps the last lines of each room for /history.
type History interface {
	// Record keeps line, just published to room. A history that sees
	// the hub's traffic by itself (a message-bus stream) ignores it.
	Record(room string, line []byte)

	// Last returns up to n of room's last lines, oldest first, exactly as
	// they were delivered.
	Last(ctx context.Context, room string, n int) ([][]byte, error)
}

// DefaultMemoryHistoryBytes bounds the lines a MemoryHistory keeps in all
// rooms together when its MaxBytes is zero.
const DefaultMemoryHistoryBytes = 32 << 20

// MemoryHistory is the in-process History of a single node: the last
// MaxHistoryLines lines of each room, in at most MaxBytes over all rooms;
// past that, the rooms written to least recently are forgotten first. The
// zero value is ready to use.
type MemoryHistory struct {
	// MaxBytes bounds the bytes of the lines kept; 0 means
	// DefaultMemoryHistoryBytes.
	MaxBytes int

	mu    sync.Mutex
	rooms map[string]*list.Element // of *roomHistory, most recent at the front
	order list.List
	bytes int
}

type roomHistory struct {
	name  string
	lines [][]byte // a ring of MaxHistoryLines
	next  int      // where the next line goes
	n     int      // lines held
	bytes int
}

var _ History = (*MemoryHistory)(nil)

// Record implements History.
func (h *MemoryHistory) Record(room string, line []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rooms == nil {
		h.rooms = make(map[string]*list.Element)
	}
	e := h.rooms[room]
	if e == nil {
		e = h.order.PushFront(&roomHistory{name: room, lines: make([][]byte, MaxHistoryLines)})
		h.rooms[room] = e
	} else {
		h.order.MoveToFront(e)
	}
	r := e.Value.(*roomHistory)
	if old := r.lines[r.next]; old != nil {
		r.bytes -= len(old)
		h.bytes -= len(old)
	}
	// Lines are shared with the hub's subscribers, who never modify
	// them, so keeping the slice costs no copy.
	r.lines[r.next] = line
	r.next = (r.next + 1) % MaxHistoryLines
	r.n = min(r.n+1, MaxHistoryLines)
	r.bytes += len(line)
	h.bytes += len(line)
	limit := h.MaxBytes
	if limit <= 0 {
		limit = DefaultMemoryHistoryBytes
	}
	for h.bytes > limit && h.order.Len() > 1 {
		last := h.order.Back()
		lr := last.Value.(*roomHistory)
		h.bytes -= lr.bytes
		delete(h.rooms, lr.name)
		h.order.Remove(last)
	}
}

// Last implements History.
func (h *MemoryHistory) Last(_ context.Context, room string, n int) ([][]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.rooms[room]
	if e == nil || n <= 0 {
		return nil, nil
	}
	r := e.Value.(*roomHistory)
	n = min(n, r.n)
	out := make([][]byte, 0, n)
	for i := r.next - n; i < r.next; i++ {
		out = append(out, r.lines[(i+MaxHistoryLines)%MaxHistoryLines])
	}
	return out, nil
}
