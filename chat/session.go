package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/netkit-dev/netkit/stream"
	"github.com/netkit-dev/netkit/tcpserver"
)

// errNotDelivered answers a message that the hub refused: on a message
// bus, its connection is down and its buffer for the outage is full.
const errNotDelivered = "not delivered: the chat backplane is unavailable; try again"

// Reasons a client is disconnected, as its room's quit notice gives them.
const (
	reasonSlow   = "send queue exceeded"
	reasonFlood  = "flooding"
	reasonClosed = "connection closed"
)

// aLongTimeAgo is a deadline in the past, used to wake a blocked write.
var aLongTimeAgo = time.Unix(1, 0)

// session is one connected client. The handler goroutine reads and runs
// its commands; the writer goroutine (writeLoop) sends its queue.
type session struct {
	srv  *Server
	conn *tcpserver.Conn
	nc   net.Conn
	addr string // HOST:PORT

	// Guarded by srv.mu; written only by the handler goroutine, which may
	// read them without the lock.
	name      string // the nickname, else addr
	nick      bool
	certified bool // name is the client certificate's: it cannot change
	room      string

	// Handler goroutine only.
	unsub   func()
	lim     *rate.Limiter
	strikes int // lines over the rate since the bucket was last full

	mu       sync.Mutex
	cond     sync.Cond // signalled when the writer has work or must stop
	queue    [][]byte
	queued   int    // bytes in queue
	inflight int    // bytes of the write in progress
	writing  bool   // a write is in progress with the deadline set under mu
	closing  bool   // the handler is done: flush the queue and stop
	drop     string // why the client is dropped; the writer says goodbye and closes
	dead     bool   // the writer has stopped
	partial  bool   // the last write stopped inside a line

	done chan struct{} // closed when the writer has stopped
}

func newSession(s *Server, c *tcpserver.Conn) *session {
	addr := peerName(c.RemoteAddr())
	ss := &session{
		srv:  s,
		conn: c,
		nc:   c.NetConn(),
		addr: addr,
		name: addr,
		lim:  s.newLimiter(),
		done: make(chan struct{}),
	}
	ss.cond.L = &ss.mu
	if tc, ok := ss.nc.(*net.TCPConn); ok && s.cfg.SendBuffer > 0 {
		tc.SetWriteBuffer(s.cfg.SendBuffer)
	}
	return ss
}

var _ Subscriber = (*session)(nil)

// Deliver implements Subscriber: it queues line without blocking. A line
// that would take the queue past MaxQueue drops the client instead: its
// queue is discarded, a write in progress is interrupted, and the writer
// says goodbye and closes the connection. This is IRC's "SendQ exceeded"
// and NATS's slow consumer: a client that does not read cannot make the
// room wait or the server's memory grow.
func (ss *session) Deliver(line []byte) {
	s := ss.srv
	ss.mu.Lock()
	if ss.dead || ss.closing || ss.drop != "" {
		ss.mu.Unlock()
		return
	}
	if ss.queued+ss.inflight+len(line) > s.cfg.MaxQueue {
		ss.drop = reasonSlow
		s.st.queued.Add(-int64(ss.queued))
		clear(ss.queue)
		ss.queue, ss.queued = nil, 0
		if ss.writing {
			ss.nc.SetWriteDeadline(aLongTimeAgo)
		}
		ss.cond.Signal()
		ss.mu.Unlock()
		s.st.droppedSlow.Add(1)
		s.logf(slog.LevelInfo, "slow client disconnected", "client", ss.addr, "max_queue", s.cfg.MaxQueue)
		return
	}
	ss.queue = append(ss.queue, line)
	ss.queued += len(line)
	s.st.queued.Add(int64(len(line)))
	ss.cond.Signal()
	ss.mu.Unlock()
}

func (ss *session) dropReason() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.drop
}

// close tells the writer to send what is queued and stop.
func (ss *session) close() {
	ss.mu.Lock()
	ss.closing = true
	ss.cond.Signal()
	ss.mu.Unlock()
}

// writeBufs holds the buffers a writer joins a batch of lines into; they go
// back after each write so that idle clients hold none.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeLoop sends the queue, one write per batch of queued lines, until the
// handler closes the session, the client is dropped, or a write fails; a
// failed write closes the connection, which ends the handler's read.
func (ss *session) writeLoop() {
	s := ss.srv
	defer close(ss.done)
	for {
		ss.mu.Lock()
		for len(ss.queue) == 0 && !ss.closing && ss.drop == "" {
			ss.cond.Wait()
		}
		if ss.drop != "" {
			ss.dead = true
			partial := ss.partial
			ss.mu.Unlock()
			ss.sayGoodbye(partial)
			return
		}
		if len(ss.queue) == 0 { // closing, and everything is sent
			ss.dead = true
			ss.mu.Unlock()
			return
		}
		batch := ss.queue
		ss.queue = nil
		ss.inflight, ss.queued = ss.queued, 0
		timeout := s.cfg.WriteTimeout
		if ss.closing {
			timeout = s.cfg.CloseTimeout
		}
		// The deadline is set under mu so that Deliver, which shortens it
		// to interrupt this write, cannot be overwritten by it.
		ss.nc.SetWriteDeadline(time.Now().Add(timeout))
		ss.writing = true
		ss.mu.Unlock()

		bufp := writeBufs.Get().(*[]byte)
		buf := (*bufp)[:0]
		for _, line := range batch {
			buf = append(buf, line...)
		}
		clear(batch)
		// Conn.Write counts the bytes in the tcpserver's stats. The write
		// is bounded by the deadline set above and also by the tcpserver's
		// WriteTimeout, whose sweeper cuts off a write that outlasts it.
		n, err := ss.conn.Write(buf)
		partial := n > 0 && n < len(buf) && buf[n-1] != '\n'
		if cap(buf) <= 64<<10 {
			*bufp = buf[:0]
			writeBufs.Put(bufp)
		}
		s.st.bytesOut.Add(int64(n))
		s.st.queued.Add(-int64(ss.inflight))

		ss.mu.Lock()
		ss.writing = false
		ss.inflight = 0
		ss.partial = partial
		// Reusing the slice (its lines are cleared) saves an allocation
		// per batch, but a large one would stay with an idle session.
		if ss.queue == nil && ss.drop == "" && cap(batch) <= 64 {
			ss.queue = batch[:0]
		}
		if err == nil {
			s.st.delivered.Add(int64(len(batch)))
			ss.mu.Unlock()
			continue
		}
		if ss.drop != "" {
			ss.mu.Unlock()
			continue // say goodbye at the top of the loop
		}
		ss.dead = true
		s.st.queued.Add(-int64(ss.queued))
		clear(ss.queue)
		ss.queue, ss.queued = nil, 0
		ss.mu.Unlock()
		ss.nc.Close()
		return
	}
}

// sayGoodbye tries, briefly, to tell a dropped client why, and closes the
// connection. A client that does not read will usually not get the line;
// one that was merely slow may.
func (ss *session) sayGoodbye(partial bool) {
	s := ss.srv
	msg := formatError(s.cfg.Now(), fmt.Sprintf("disconnected: %s (%d bytes)", ss.dropReason(), s.cfg.MaxQueue))
	if partial {
		msg = append([]byte{'\n'}, msg...)
	}
	ss.nc.SetWriteDeadline(time.Now().Add(min(s.cfg.CloseTimeout, 200*time.Millisecond)))
	ss.conn.Write(msg) // through Conn, so the tcpserver counts the bytes
	ss.nc.Close()
}

// reply queues a notice for this client alone.
func (ss *session) reply(text string) { ss.Deliver(formatNotice(ss.srv.cfg.Now(), text)) }

// replyError queues an error line for this client alone.
func (ss *session) replyError(text string) { ss.Deliver(formatError(ss.srv.cfg.Now(), text)) }

// readLoop reads and handles the client's lines until the session ends.
func (ss *session) readLoop(ctx context.Context) ending {
	c := ss.conn
	r := c.Reader()
	for c.Next() {
		line, err := r.ReadLine()
		last := false
		if err != nil {
			var ie *stream.IncompleteError
			switch {
			case errors.As(err, &ie):
				// asyncio's readline returns a last line without its
				// newline, and Python's asyncio server answers it.
				line, last = ie.Partial, true
			case isTooLong(err):
				return ending{
					reason:   "line too long",
					farewell: formatError(ss.srv.cfg.Now(), fmt.Sprintf("line too long (over %d bytes); closing", r.Max())),
				}
			case errors.Is(err, io.EOF):
				return ending{reason: reasonClosed}
			default:
				return ss.readError(ctx, err)
			}
		}
		if end := ss.handleLine(ctx, line); end != nil {
			return *end
		}
		if last {
			return ending{reason: reasonClosed}
		}
	}
	if ctx.Err() != nil {
		return ending{farewell: formatNotice(ss.srv.cfg.Now(), "server shutting down")}
	}
	return ss.readError(ctx, c.Err())
}

func (ss *session) readError(ctx context.Context, err error) ending {
	switch {
	case err == nil:
		return ending{reason: reasonClosed}
	case ctx.Err() != nil:
		return ending{farewell: formatNotice(ss.srv.cfg.Now(), "server shutting down")}
	case errors.Is(err, tcpserver.ErrIdleTimeout):
		return ending{reason: "idle timeout", farewell: formatNotice(ss.srv.cfg.Now(), "idle timeout; closing")}
	case ss.dropReason() != "":
		return ending{reason: ss.dropReason()}
	}
	ss.srv.logf(slog.LevelDebug, "read error", "client", ss.addr, "err", err)
	return ending{reason: reasonClosed, err: err}
}

// handleLine runs one line from the client; a non-nil ending ends the
// session.
func (ss *session) handleLine(ctx context.Context, b []byte) *ending {
	s := ss.srv
	s.st.received.Add(1)
	now := s.cfg.Now()
	if ss.lim != nil {
		if !ss.lim.AllowN(now, 1) {
			ss.strikes++
			if ss.strikes > s.cfg.FloodLimit {
				s.st.droppedFlood.Add(1)
				s.logf(slog.LevelInfo, "flooding client disconnected", "client", ss.addr)
				return &ending{reason: reasonFlood, farewell: formatError(now, "disconnected: flooding")}
			}
			if ss.strikes == 1 {
				ss.replyError(fmt.Sprintf("slow down: more than %g lines a second; lines are dropped, and the connection closed if it goes on", s.cfg.Rate))
			}
			return nil
		}
		if ss.strikes > 0 && ss.lim.TokensAt(now) >= float64(s.cfg.Burst)-1 {
			ss.strikes = 0
		}
	}
	if len(b) > s.cfg.MaxLine {
		ss.replyError(fmt.Sprintf("line too long (over %d bytes); not sent", s.cfg.MaxLine))
		return nil
	}
	text := sanitize(b)
	if text == "" {
		return nil
	}
	cmd := parseCommand(text)
	switch cmd.name {
	case "":
		if s.publish(ctx, ss.room, formatMessage(now, ss.name, cmd.arg)) != nil {
			ss.replyError(errNotDelivered)
		}
	case "me":
		if cmd.arg == "" {
			ss.replyError("usage: /me ACTION")
			return nil
		}
		if s.publish(ctx, ss.room, formatNotice(now, ss.name+" "+cmd.arg)) != nil {
			ss.replyError(errNotDelivered)
		}
	case "nick":
		ss.nickCmd(ctx, now, cmd.arg)
	case "join":
		return ss.joinCmd(ctx, cmd.arg)
	case "history":
		ss.historyCmd(ctx, cmd.arg)
	case "rooms":
		ss.reply(s.roomList())
	case "who":
		ss.reply(s.who(ss))
	case "help":
		for _, h := range helpLines {
			ss.reply(h)
		}
	case "quit":
		reason := "quit"
		if cmd.arg != "" {
			reason = cmd.arg
		}
		return &ending{reason: reason, farewell: formatNotice(now, "bye")}
	default:
		ss.replyError("unknown command /" + cmd.name + "; try /help")
	}
	return nil
}

var helpLines = []string{
	"commands:",
	"/nick NAME    take a nickname",
	"/join ROOM    move to ROOM",
	"/rooms        list the rooms",
	"/who          list the clients of your room",
	"/history [N]  the room's last N lines (20; at most 100)",
	"/me ACTION    say what you do",
	"/quit [TEXT]  leave",
	"/help         this list",
	"other lines are sent to your room; start a line with // to send one beginning with /",
}

func (ss *session) nickCmd(ctx context.Context, now time.Time, nick string) {
	if nick == "" {
		ss.replyError("usage: /nick NAME")
		return
	}
	if ValidNick(nick) != nil {
		ss.replyError(fmt.Sprintf("invalid nickname %q: a letter, then letters, digits, - or _, at most %d", nick, MaxNickLen))
		return
	}
	if nick == ss.name {
		ss.reply("you are " + nick)
		return
	}
	if ss.certified {
		ss.replyError("your nickname is your certificate's name, " + ss.name + "; it cannot change")
		return
	}
	old, err := ss.srv.setNick(ctx, ss, nick)
	switch {
	case errors.Is(err, ErrNickTaken):
		ss.replyError("nickname " + nick + " is taken")
		return
	case err != nil:
		ss.srv.logf(slog.LevelWarn, "nickname claim failed", "client", ss.addr, "err", err)
		ss.replyError("nickname " + nick + " cannot be claimed now; try again")
		return
	}
	ss.srv.publish(ctx, ss.room, formatNotice(now, old+" is now known as "+nick))
}

// historyCmd sends the client its room's last lines, as they were
// delivered, oldest first.
func (ss *session) historyCmd(ctx context.Context, arg string) {
	n := DefaultHistoryLines
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			ss.replyError("usage: /history [N], N from 1 to " + strconv.Itoa(MaxHistoryLines))
			return
		}
		n = min(v, MaxHistoryLines)
	}
	lines, err := ss.srv.cfg.History.Last(ctx, ss.room, n)
	if err != nil {
		ss.srv.logf(slog.LevelWarn, "history unavailable", "room", ss.room, "err", err)
		ss.replyError("history is unavailable now; try again")
		return
	}
	// The reply goes through the client's send queue like any line: keep
	// it within half the queue, newest lines first, so that asking for
	// history never makes a client a slow consumer.
	budget, first := ss.srv.cfg.MaxQueue/2, len(lines)
	for first > 0 && budget >= len(lines[first-1]) {
		first--
		budget -= len(lines[first])
	}
	if first > 0 {
		ss.replyError(fmt.Sprintf("%d older lines not shown: they do not fit the send queue", first))
	}
	for _, line := range lines[first:] {
		ss.Deliver(line)
	}
}

// joinCmd moves the client to another room. If the hub cannot take it
// there (the backplane is down), it goes back to the room it left; if it
// cannot go back either, the session ends rather than leave the client
// in no room, where its lines would go nowhere.
func (ss *session) joinCmd(ctx context.Context, arg string) *ending {
	room := CanonicalRoom(arg)
	if arg == "" {
		ss.replyError("usage: /join ROOM")
		return nil
	}
	if ValidRoom(room) != nil {
		ss.replyError(fmt.Sprintf("invalid room %q: letters, digits, - or _, at most %d", arg, MaxRoomLen))
		return nil
	}
	if room == ss.room {
		ss.replyError("you are in " + room + " already")
		return nil
	}
	old := ss.room
	ss.srv.leave(ctx, ss, ss.name+" left "+old)
	err := ss.srv.join(ctx, ss, room, true)
	if err == nil {
		return nil
	}
	ss.srv.logf(slog.LevelWarn, "join failed", "remote", ss.addr, "room", room, "err", err)
	if ss.srv.join(ctx, ss, old, true) == nil {
		ss.replyError("cannot join " + room + " now; back in " + old)
		return nil
	}
	return &ending{reason: "", farewell: formatError(ss.srv.cfg.Now(), "cannot join a room now; try again later"), err: err}
}
