// Package natshub carries chat rooms between netkit nodes on NATS: a
// chat.Hub whose rooms are NATS subjects, so that the clients of every node
// of a cluster share them.
//
// A node subscribes to a room's subject only while it has members there,
// publishes each line once, and fans the lines it receives out to its own
// members. Every member of a room, on any node, gets the room's lines in
// the order in which NATS delivered them.
package natshub

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netkit-dev/netkit/chat"
)

// DefaultPrefix is the subject prefix of the rooms: room "lobby" is the
// subject "netkit.chat.room.lobby".
const DefaultPrefix = "netkit.chat.room."

// Pending limits of a room's subscription. A node's fan-out never blocks
// (slow clients are dropped, not waited for), so the subscription drains
// as fast as the node can copy pointers; the limits only bound memory if
// the node stalls, and a line dropped here is counted, never silent.
const (
	pendingMsgs  = 1 << 16
	pendingBytes = 64 << 20
)

// The frame of a line on the wire: a version byte, the publishing hub's
// id, its per-hub sequence number, then the line.
const (
	frameVersion = 1
	idLen        = 8
	headerLen    = 1 + idLen + 8
)

// ErrBadMessage is counted (and logged) for a message on a room's subject
// that is not a netkit chat line: another publisher's, or a truncated one.
var ErrBadMessage = errors.New("natshub: malformed message")

// Config configures a Hub.
type Config struct {
	// Prefix is the subject prefix of rooms; empty means DefaultPrefix.
	// Clusters that share one NATS account but not their rooms need
	// distinct prefixes.
	Prefix string

	// Logger receives subscription failures and malformed messages; nil
	// is silent.
	Logger *slog.Logger
}

// Conn gives the hub its NATS connection when it first needs it:
// *natsbus.Conn, whose connection exists only once it has started, or
// Static for a connection at hand.
type Conn interface {
	// NATS returns the connection, or nil while there is none yet.
	NATS() *nats.Conn
}

// Static is a Conn that is always nc.
func Static(nc *nats.Conn) Conn { return static{nc} }

type static struct{ nc *nats.Conn }

func (s static) NATS() *nats.Conn { return s.nc }

// ErrNoConn is returned by a hub whose Conn has no connection yet.
var ErrNoConn = errors.New("natshub: no NATS connection")

// Hub is a chat.Hub on a NATS connection. Create it with New.
type Hub struct {
	conn   Conn
	prefix string
	log    *slog.Logger
	id     [idLen]byte
	seq    atomic.Uint64 // last sequence number published

	mu    sync.Mutex
	rooms map[string]*room

	published, received, malformed atomic.Int64
	// dropped adds up the lines that closed subscriptions dropped.
	dropped atomic.Int64
}

var _ chat.Hub = (*Hub)(nil)

// room is one room with members on this node.
type room struct {
	sub *nats.Subscription
	mu  sync.Mutex
	// members maps each local subscriber to the last sequence number this
	// hub had published when it subscribed: this hub's own lines up to it
	// were published before the member joined, and are not its to read.
	members map[chat.Subscriber]uint64
}

// New returns a hub on conn's connection.
func New(conn Conn, cfg Config) *Hub {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	h := &Hub{conn: conn, prefix: cfg.Prefix, log: cfg.Logger, rooms: make(map[string]*room)}
	rand.Read(h.id[:])
	return h
}

// Subject returns the NATS subject of room under prefix. A room name that
// is a safe subject token (ASCII letters, digits, '-' and '_') is used as it
// is; any other name, such as "a.>" or "*", is hex-encoded behind a '~', a
// character no plain token has, so that every room is exactly one literal
// subject and no name can address another room or a wildcard.
func Subject(prefix, room string) string {
	if safeToken(room) {
		return prefix + room
	}
	return prefix + "~" + hex.EncodeToString([]byte(room))
}

func safeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Subscribe implements chat.Hub. The node subscribes to the room's subject
// with its first member there, and unsubscribes with its last.
func (h *Hub) Subscribe(ctx context.Context, name string, sub chat.Subscriber) (func(), error) {
	unsub, nc, err := h.subscribe(name, sub)
	if err != nil {
		return nil, err
	}
	if nc != nil {
		// A new subscription reaches the NATS server with the next round
		// trip: have it there before the member is told it has joined, so
		// that it reads every line that other nodes publish from then on.
		// During an outage the wait is cut short, and the subscription is
		// sent on reconnect.
		fctx, cancel := context.WithTimeout(ctx, subscribeFlush)
		nc.FlushWithContext(fctx)
		cancel()
	}
	return unsub, nil
}

// subscribeFlush bounds Subscribe's wait for a new subscription to reach
// the NATS server.
const subscribeFlush = time.Second

// subscribe adds sub to the room, subscribing the node when it is the
// room's first member here; nc is then the connection to flush.
func (h *Hub) subscribe(name string, sub chat.Subscriber) (unsub func(), nc *nats.Conn, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[name]
	if r == nil {
		nc = h.conn.NATS()
		if nc == nil {
			return nil, nil, ErrNoConn
		}
		r = &room{members: make(map[chat.Subscriber]uint64)}
		ns, err := nc.Subscribe(Subject(h.prefix, name), func(m *nats.Msg) { h.deliver(r, m.Data) })
		if err != nil {
			return nil, nil, fmt.Errorf("natshub: subscribe %s: %w", name, err)
		}
		ns.SetPendingLimits(pendingMsgs, pendingBytes)
		r.sub = ns
		h.rooms[name] = r
	}
	r.mu.Lock()
	r.members[sub] = h.seq.Load()
	r.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			r.mu.Lock()
			delete(r.members, sub)
			empty := len(r.members) == 0
			r.mu.Unlock()
			if empty && h.rooms[name] == r {
				delete(h.rooms, name)
				if n, err := r.sub.Dropped(); err == nil {
					h.dropped.Add(int64(n))
				}
				if err := r.sub.Unsubscribe(); err != nil && h.log != nil {
					h.log.Warn("unsubscribe failed", "room", name, "err", err)
				}
			}
		})
	}, nc, nil
}

// Publish implements chat.Hub: it publishes line once, framed with this
// hub's id and the next sequence number. While the connection is down
// the line waits in the connection's reconnect buffer; once that is full,
// Publish fails, and the sender is told.
func (h *Hub) Publish(_ context.Context, name string, line []byte) error {
	buf := make([]byte, headerLen+len(line))
	buf[0] = frameVersion
	copy(buf[1:], h.id[:])
	// A member that subscribes while this runs may or may not read the
	// line; either is right for a line published concurrently with the
	// join. A line published before Subscribe began is never its.
	seq := h.seq.Add(1)
	binary.BigEndian.PutUint64(buf[1+idLen:], seq)
	copy(buf[headerLen:], line)
	nc := h.conn.NATS()
	if nc == nil {
		return ErrNoConn
	}
	if err := nc.Publish(Subject(h.prefix, name), buf); err != nil {
		return fmt.Errorf("natshub: publish to %s: %w", name, err)
	}
	h.published.Add(1)
	return nil
}

// unframe returns the line a hub framed in data.
func unframe(data []byte) ([]byte, bool) {
	if len(data) < headerLen || data[0] != frameVersion {
		return nil, false
	}
	return data[headerLen:], true
}

// deliver hands a received line to the room's local members.
func (h *Hub) deliver(r *room, data []byte) {
	line, ok := unframe(data)
	if !ok {
		h.malformed.Add(1)
		if h.log != nil {
			h.log.Warn("dropped a message that is not a chat line", "err", ErrBadMessage, "bytes", len(data))
		}
		return
	}
	h.received.Add(1)
	own := [idLen]byte(data[1 : 1+idLen])
	seq := binary.BigEndian.Uint64(data[1+idLen:])
	self := own == h.id
	r.mu.Lock()
	defer r.mu.Unlock()
	for sub, mark := range r.members {
		if self && seq <= mark {
			continue
		}
		sub.Deliver(line)
	}
}

// Stats is a snapshot of a hub's counters.
type Stats struct {
	Rooms     int   // rooms with members on this node (one subscription each)
	Published int64 // lines published
	Received  int64 // lines received from NATS, this node's own included
	Malformed int64 // messages on room subjects that were not chat lines
	// Dropped counts the lines NATS delivered that this node could not
	// take in time (its subscriptions' pending limits were reached).
	Dropped   int64
	Connected bool // whether the NATS connection is up now
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	rooms := len(h.rooms)
	dropped := h.dropped.Load()
	for _, r := range h.rooms {
		if n, err := r.sub.Dropped(); err == nil {
			dropped += int64(n)
		}
	}
	h.mu.Unlock()
	return Stats{
		Rooms:     rooms,
		Dropped:   dropped,
		Published: h.published.Load(),
		Received:  h.received.Load(),
		Malformed: h.malformed.Load(),
		Connected: h.connected(),
	}
}

func (h *Hub) connected() bool {
	nc := h.conn.NATS()
	return nc != nil && nc.IsConnected()
}
