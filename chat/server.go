package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/netkit-dev/netkit/stream"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxQueue     = 96 << 10 // ergo's default IRC send queue
	DefaultMaxLine      = 4096
	DefaultRate         = 10 // lines per second
	DefaultBurst        = 20
	DefaultFloodLimit   = 10
	DefaultRoom         = "lobby"
	DefaultWriteTimeout = 30 * time.Second
	DefaultCloseTimeout = 2 * time.Second
)

// Config configures a Server. The zero value is ready to use.
type Config struct {
	// MaxQueue bounds the bytes waiting to be sent to one client, the
	// write in progress included. A client whose queue would grow past it
	// is disconnected as a slow consumer. Zero means DefaultMaxQueue
	// (96 KiB).
	MaxQueue int

	// MaxLine is the longest line, newline included, a client may send;
	// longer ones are refused with an error line. Lines longer than the
	// tcpserver's MaxRequest (64 KiB by default) end the connection, so
	// MaxRequest should not be lower. Zero means DefaultMaxLine (4096).
	MaxLine int

	// Rate is how many lines a second a client may send on average, and
	// Burst how many at once (a token bucket). Zero means DefaultRate (10)
	// and DefaultBurst (20); a negative Rate means no limit.
	Rate  float64
	Burst int

	// FloodLimit is how many lines over the rate a client may send (each
	// dropped; the first answered with a warning) before it is
	// disconnected. The count starts again once the client's bucket has
	// refilled. Zero means DefaultFloodLimit (10).
	FloodLimit int

	// DefaultRoom is the room clients are in when they connect. Empty
	// means DefaultRoom ("lobby").
	DefaultRoom string

	// SendBuffer, if positive, sets the kernel's send buffer (SO_SNDBUF)
	// of each client connection. Linux grows a socket's send buffer up to
	// net.ipv4.tcp_wmem's maximum (4 MiB by default) on its own; a small
	// one bounds the kernel memory a client that stops reading can hold
	// and makes its queue, and the slow-consumer check, take effect
	// sooner. Zero leaves the system's default.
	SendBuffer int

	// WriteTimeout bounds each write to a client, for a client that stops
	// reading in a room too quiet to fill its queue. Zero means
	// DefaultWriteTimeout (30 s). The tcpserver's WriteTimeout bounds each
	// write too, so it should be at least as long, or negative.
	WriteTimeout time.Duration

	// CloseTimeout bounds the sending of what is left in a leaving
	// client's queue and its last notice (bye, shutdown, disconnection).
	// Zero means DefaultCloseTimeout (2 s).
	CloseTimeout time.Duration

	// Now returns the time for timestamps and flood control. Nil means
	// time.Now; tests and examples inject a clock.
	Now func() time.Time

	// Hub carries the rooms. Nil means a new LocalHub.
	Hub Hub

	// Directory shares nicknames and presence with the other nodes of a
	// cluster. Nil means a single node.
	Directory Directory

	// Node names this server among the nodes of a cluster: /who says how
	// many of a room's members each node holds. Empty means "this node".
	Node string

	// History keeps each room's last lines for /history. Nil means a new
	// MemoryHistory.
	History History

	// Logger receives disconnections of slow and flooding clients at
	// info level and protocol errors at debug level. Nil is silent.
	Logger *slog.Logger
}

// Server is the chat service: a tcpserver.Handler. Create it with
// NewServer.
//
// Unlike tcpserver.Server and jsonrpc.Server, whose zero values serve, a
// chat Server is built by a constructor from a Config, as admin's Server
// is: it owns shared state from the start (the hub that carries the rooms,
// the nickname registry), which every connection reaches and which must
// exist before the first one arrives. Config's zero value is usable, with
// every default documented on its field.
type Server struct {
	cfg Config
	hub Hub

	mu      sync.Mutex
	clients map[*session]struct{}
	nicks   map[string]*session            // folded nickname -> client
	rooms   map[string]map[*session]string // this server's clients by room

	st counters
}

var _ tcpserver.Handler = (*Server)(nil)

// NewServer returns a chat server configured by cfg.
func NewServer(cfg Config) *Server {
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = DefaultMaxLine
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.FloodLimit <= 0 {
		cfg.FloodLimit = DefaultFloodLimit
	}
	if cfg.DefaultRoom == "" {
		cfg.DefaultRoom = DefaultRoom
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		hub:     cfg.Hub,
		clients: make(map[*session]struct{}),
		nicks:   make(map[string]*session),
		rooms:   make(map[string]map[*session]string),
	}
	if s.hub == nil {
		s.hub = NewLocalHub()
	}
	if s.cfg.History == nil {
		s.cfg.History = &MemoryHistory{}
	}
	return s
}

// Stats is a snapshot of a server's counters.
type Stats struct {
	Clients      int64 // clients connected now
	Rooms        int64 // rooms with at least one client of this server
	Received     int64 // lines received from clients, commands included
	Published    int64 // lines published to rooms (messages and notices)
	Delivered    int64 // lines written to clients
	BytesOut     int64 // bytes written to clients
	QueuedBytes  int64 // bytes waiting in send queues now
	DroppedSlow  int64 // clients disconnected because their send queue was full
	DroppedFlood int64 // clients disconnected for flooding
	// PublishFailed counts lines the hub refused (a backplane that is
	// down); the sender of a message is told.
	PublishFailed int64
}

type counters struct {
	received, published, delivered, bytesOut, queued atomic.Int64
	droppedSlow, droppedFlood                        atomic.Int64
	publishFailed                                    atomic.Int64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	clients, rooms := len(s.clients), len(s.rooms)
	s.mu.Unlock()
	return Stats{
		Clients:      int64(clients),
		Rooms:        int64(rooms),
		Received:     s.st.received.Load(),
		Published:    s.st.published.Load(),
		Delivered:    s.st.delivered.Load(),
		BytesOut:     s.st.bytesOut.Load(),
		QueuedBytes:  s.st.queued.Load(),
		DroppedSlow:  s.st.droppedSlow.Load(),
		DroppedFlood: s.st.droppedFlood.Load(),

		PublishFailed: s.st.publishFailed.Load(),
	}
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	if s.cfg.Logger != nil {
		s.cfg.Logger.Log(context.Background(), level, msg, args...)
	}
}

// peerName is a client's name before its nickname, as Python's asyncio
// server forms it: f"{addr[0]}:{addr[1]}", so an IPv6
// peer is "::1:50000", not "[::1]:50000".
func peerName(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host + ":" + port
}

// ending says how and why a client's session ends.
type ending struct {
	reason   string // for the room's quit notice; "" announces nothing
	farewell []byte // last line for the client itself, or nil
	err      error  // returned to tcpserver
}

// ServeConn implements tcpserver.Handler: it runs one client's session.
func (s *Server) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	ss := newSession(s, c)
	n := s.clusterClients(s.register(ss))
	// The welcome is queued before the client joins its room, and the
	// writer starts after it has joined: the welcome is the first line the
	// client reads, and by then it is in the room.
	ss.Deliver(welcome(ss.addr, n))
	if err := s.certNick(ctx, ss); err != nil {
		s.unregister(ss)
		ss.close()
		ss.writeLoop() // sends the welcome and why, then stops
		return err
	}
	if err := s.join(ctx, ss, s.cfg.DefaultRoom, false); err != nil {
		s.unregister(ss)
		ss.close()
		ss.writeLoop() // sends the welcome, then stops
		return err
	}
	go ss.writeLoop()
	end := ss.readLoop(ctx)
	s.finish(ctx, ss, end)
	return end.err
}

// certNick names a client of a mutual TLS listener after its verified
// certificate: its nickname is the certificate's common name, which it
// cannot change, and which a second client with the same name cannot
// take (it is refused).
func (s *Server) certNick(ctx context.Context, ss *session) error {
	name := certName(ss.conn)
	if name == "" {
		return nil
	}
	if ValidNick(name) != nil {
		ss.Deliver(formatError(s.cfg.Now(), fmt.Sprintf("your certificate's name %q is no valid nickname; closing", name)))
		return fmt.Errorf("chat: certificate name %q is no valid nickname", name)
	}
	if _, err := s.setNick(ctx, ss, name); err != nil {
		ss.Deliver(formatError(s.cfg.Now(), "nickname "+name+" (your certificate's) is in use; closing"))
		return fmt.Errorf("chat: certificate name %q: %w", name, err)
	}
	ss.certified = true
	return nil
}

// certName is the verified client certificate's common name of a mutual
// TLS connection: from the TLS state of a TCP connection, or from a
// gateway's connection that knows its client's (PeerName).
func certName(c *tcpserver.Conn) string {
	if st := c.TLS(); st != nil {
		return tlsconf.PeerName(*st)
	}
	if p, ok := c.NetConn().(interface{ PeerName() string }); ok {
		return p.PeerName()
	}
	return ""
}

func (s *Server) register(ss *session) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[ss] = struct{}{}
	return len(s.clients)
}

func (s *Server) unregister(ss *session) {
	s.mu.Lock()
	delete(s.clients, ss)
	var released string
	if ss.nick {
		released = foldNick(ss.name)
		delete(s.nicks, released)
	}
	s.mu.Unlock()
	if released != "" && s.cfg.Directory != nil {
		s.cfg.Directory.ReleaseNick(released)
	}
}

// finish takes the client out of its room and the server, sends what is
// left in its queue and its farewell, and waits for its writer to end.
func (s *Server) finish(ctx context.Context, ss *session, end ending) {
	shuttingDown := ctx.Err() != nil
	if dr := ss.dropReason(); dr != "" {
		end = ending{reason: dr}
	}
	notice := ""
	if end.reason != "" && !shuttingDown {
		// Every client hears the shutdown notice itself; a quit notice
		// for each would cost the room a line per leaving client.
		notice = ss.name + " quit (" + end.reason + ")"
	}
	s.leave(context.WithoutCancel(ctx), ss, notice)
	s.unregister(ss)
	if end.farewell != nil {
		ss.Deliver(end.farewell)
	}
	ss.close()
	<-ss.done
}

// join puts ss in room. With announceToSelf the joining client reads its
// own join notice (a /join's confirmation); without (on connect), the
// notice is published before it subscribes, so only the others read it.
func (s *Server) join(ctx context.Context, ss *session, room string, announceToSelf bool) error {
	s.mu.Lock()
	members := s.rooms[room]
	if members == nil {
		members = make(map[*session]string)
		s.rooms[room] = members
	}
	members[ss] = ss.name
	ss.room = room
	name := ss.name
	s.mu.Unlock()

	notice := formatNotice(s.cfg.Now(), name+" joined "+room)
	if !announceToSelf {
		s.publish(ctx, room, notice)
	}
	unsub, err := s.hub.Subscribe(ctx, room, ss)
	if err != nil {
		s.mu.Lock()
		s.removeMember(ss)
		s.mu.Unlock()
		return fmt.Errorf("chat: join %s: %w", room, err)
	}
	ss.unsub = unsub
	if announceToSelf {
		s.publish(ctx, room, notice)
	}
	return nil
}

// leave takes ss out of its room and publishes notice there if it is not
// empty.
func (s *Server) leave(ctx context.Context, ss *session, notice string) {
	if ss.unsub != nil {
		ss.unsub()
		ss.unsub = nil
	}
	s.mu.Lock()
	room := ss.room
	s.removeMember(ss)
	s.mu.Unlock()
	if notice != "" && room != "" {
		s.publish(ctx, room, formatNotice(s.cfg.Now(), notice))
	}
}

// removeMember takes ss out of the presence table; the caller holds s.mu.
func (s *Server) removeMember(ss *session) {
	if members := s.rooms[ss.room]; members != nil {
		delete(members, ss)
		if len(members) == 0 {
			delete(s.rooms, ss.room)
		}
	}
	ss.room = ""
}

// publish hands line to the hub. A hub on a message bus can fail (its
// connection down and its reconnect buffer full): the failure is logged and
// returned, so that the sender of a message can be told rather than its
// line vanishing.
func (s *Server) publish(ctx context.Context, room string, line []byte) error {
	if err := s.hub.Publish(ctx, room, line); err != nil {
		s.st.publishFailed.Add(1)
		s.logf(slog.LevelWarn, "publish failed", "room", room, "err", err)
		return err
	}
	s.st.published.Add(1)
	s.cfg.History.Record(room, line)
	return nil
}

// setNick gives ss the nickname nick and returns its previous name. On a
// cluster the name is claimed in the Directory too, so that two clients on
// two nodes cannot both have it.
func (s *Server) setNick(ctx context.Context, ss *session, nick string) (old string, err error) {
	key := foldNick(nick)
	s.mu.Lock()
	if other, taken := s.nicks[key]; taken && other != ss {
		s.mu.Unlock()
		return "", ErrNickTaken
	}
	// Reserve the name locally while the directory is asked, so that a
	// second client of this node waits for nobody and is refused at once.
	s.nicks[key] = ss
	oldKey := ""
	if ss.nick {
		oldKey = foldNick(ss.name)
	}
	s.mu.Unlock()

	dir := s.cfg.Directory
	if dir != nil && key != oldKey {
		if err := dir.ClaimNick(ctx, key); err != nil {
			s.mu.Lock()
			if s.nicks[key] == ss {
				delete(s.nicks, key)
			}
			s.mu.Unlock()
			return "", err
		}
	}

	s.mu.Lock()
	old = ss.name
	if oldKey != "" && oldKey != key {
		delete(s.nicks, oldKey)
	}
	ss.name, ss.nick = nick, true
	if members := s.rooms[ss.room]; members != nil {
		members[ss] = nick
	}
	s.mu.Unlock()
	if dir != nil && oldKey != "" && oldKey != key {
		dir.ReleaseNick(oldKey)
	}
	return old, nil
}

// maxListed bounds the names a /who reply lists, so that its line stays
// short in a room of thousands.
const maxListed = 100

// who describes the members of ss's room.
func (s *Server) who(ss *session) string {
	s.mu.Lock()
	room := ss.room
	names := make([]string, 0, len(s.rooms[room]))
	for _, name := range s.rooms[room] {
		names = append(names, name)
	}
	s.mu.Unlock()
	total := len(names)
	lists := [][]string{names}
	var perNode []string // "n2 1", on a cluster
	for _, p := range s.others() {
		if rp, ok := p.Rooms[room]; ok {
			total += rp.Members
			lists = append(lists, rp.Names)
			perNode = append(perNode, fmt.Sprintf("%s %d", p.Node, rp.Members))
		}
	}
	names = mergeNames(total, lists...)
	more := ""
	if total > maxListed {
		more = fmt.Sprintf(" and %d more", total-maxListed)
		names = names[:min(len(names), maxListed)]
	}
	nodes := ""
	if len(perNode) > 0 {
		self := s.cfg.Node
		if self == "" {
			self = "this node"
		}
		slices.Sort(perNode)
		nodes = fmt.Sprintf("; by node: %s %d, %s", self, len(lists[0]), strings.Join(perNode, ", "))
	}
	return fmt.Sprintf("%s (%d): %s%s%s", room, total, strings.Join(names, ", "), more, nodes)
}

// roomList describes the rooms and their sizes.
func (s *Server) roomList() string {
	type room struct {
		name string
		n    int
	}
	counts := make(map[string]int)
	s.mu.Lock()
	for name, members := range s.rooms {
		counts[name] += len(members)
	}
	s.mu.Unlock()
	for _, p := range s.others() {
		for name, rp := range p.Rooms {
			counts[name] += rp.Members
		}
	}
	rooms := make([]room, 0, len(counts))
	for name, n := range counts {
		rooms = append(rooms, room{name, n})
	}
	slices.SortFunc(rooms, func(a, b room) int { return strings.Compare(a.name, b.name) })
	more := ""
	if len(rooms) > maxListed {
		more = fmt.Sprintf(" and %d more", len(rooms)-maxListed)
		rooms = rooms[:maxListed]
	}
	parts := make([]string, len(rooms))
	for i, r := range rooms {
		parts[i] = fmt.Sprintf("%s (%d)", r.name, r.n)
	}
	return "rooms: " + strings.Join(parts, ", ") + more
}

// Alert sends text as an error line to every client of this server, for
// what concerns them all, such as an outage of the message bus that may
// have cost them lines.
func (s *Server) Alert(text string) {
	line := formatError(s.cfg.Now(), text)
	s.mu.Lock()
	clients := make([]*session, 0, len(s.clients))
	for ss := range s.clients {
		clients = append(clients, ss)
	}
	s.mu.Unlock()
	for _, ss := range clients {
		ss.Deliver(line)
	}
}

// newLimiter returns the client's token bucket, nil for no limit.
func (s *Server) newLimiter() *rate.Limiter {
	if s.cfg.Rate < 0 {
		return nil
	}
	// The bucket starts full; it is always read with the injected clock
	// (AllowN, TokensAt), never with time.Now.
	return rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
}

// isTooLong reports a line longer than the tcpserver's MaxRequest.
func isTooLong(err error) bool { return errors.Is(err, stream.ErrTooLong) }
