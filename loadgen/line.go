package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// connSlot holds a session's connection so that interrupt, from another
// goroutine, can reach it.
type connSlot struct {
	st *runState
	c  atomic.Pointer[net.Conn]
}

// set publishes c; it reports false (and closes c) when the run has
// stopped meanwhile, so that no read starts after the interruption.
func (s *connSlot) set(c net.Conn) bool {
	s.c.Store(&c)
	if s.st.stopped.Load() {
		c.Close()
		return false
	}
	return true
}

func (s *connSlot) get() net.Conn {
	if p := s.c.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *connSlot) drop() {
	if p := s.c.Swap(nil); p != nil {
		(*p).Close()
	}
}

func (s *connSlot) interrupt() {
	if c := s.get(); c != nil {
		c.SetDeadline(time.Unix(1, 0))
	}
}

// lineSession sends a line and reads one line back on a persistent
// connection: the echo service, a Redis server's inline commands, any
// line protocol.
type lineSession struct {
	connSlot
	d        *dialer
	req      []byte
	expect   []byte
	timeout  time.Duration
	maxReply int
	br       *bufio.Reader
	deadline time.Time
}

func newLineSession(st *runState, d *dialer) *lineSession {
	return &lineSession{
		connSlot: connSlot{st: st},
		d:        d,
		req:      []byte(st.cfg.message() + "\n"),
		expect:   []byte(st.cfg.Expect),
		timeout:  st.cfg.timeout(),
		maxReply: st.cfg.maxReply(),
	}
}

func (s *lineSession) connect(ctx context.Context) error {
	c, err := s.d.dial(ctx, s.st.cfg.Addr)
	if err != nil {
		return err
	}
	if !s.set(c) {
		return net.ErrClosed
	}
	s.deadline = time.Time{}
	if s.br == nil {
		s.br = bufio.NewReaderSize(c, 4096)
	} else {
		s.br.Reset(c)
	}
	return nil
}

func (s *lineSession) do(ctx context.Context, now, _ time.Time) error {
	c := s.get()
	if c == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
		c = s.get()
	}
	// Refresh the deadline only when half of it is used up: one
	// SetDeadline per request would cost the generator a timer update for
	// every round trip.
	if now.Add(s.timeout / 2).After(s.deadline) {
		s.deadline = now.Add(s.timeout)
		c.SetDeadline(s.deadline)
		if s.st.stopped.Load() {
			return net.ErrClosed
		}
	}
	if _, err := c.Write(s.req); err != nil {
		return reqErr("write", err)
	}
	line, err := readLine(s.br, s.maxReply)
	if err != nil {
		return reqErr("read", err)
	}
	return checkExpect(line, s.expect)
}

// checkExpect fails a reply that does not start with Config.Expect (when
// set): a server answering something else is not serving the request.
func checkExpect(reply, expect []byte) error {
	if len(expect) > 0 && !bytes.HasPrefix(reply, expect) {
		return reqErr("read", fmt.Errorf("%w: reply %.40q does not start with %q", ErrProtocol, reply, expect))
	}
	return nil
}

func (s *lineSession) reset() { s.drop() }
func (s *lineSession) close() { s.drop() }

var errReplyTooLong = fmt.Errorf("%w: reply longer than the maximum", ErrProtocol)

// readLine reads up to and including '\n', at most max bytes. The
// returned slice is valid until the next read.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == nil {
		if len(line) > max {
			return nil, errReplyTooLong
		}
		return line, nil
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for {
		if len(long) > max {
			return nil, errReplyTooLong
		}
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
		if err == nil {
			if len(long) > max {
				return nil, errReplyTooLong
			}
			return long, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return long, err
		}
	}
}

// connectSession opens a new connection for every request, sends a line
// and reads a line back, or everything up to the server's close: the
// pattern of a server that takes one request per connection (a counting
// server answers "OK\n", a thread-per-connection server "OK" and
// closes).
type connectSession struct {
	connSlot
	d      *dialer
	req    []byte
	expect []byte
	buf    [512]byte
	reply  []byte // the reply's first bytes, to check Config.Expect
}

func newConnectSession(st *runState, d *dialer) *connectSession {
	return &connectSession{
		connSlot: connSlot{st: st},
		d:        d,
		req:      []byte(st.cfg.message() + "\n"),
		expect:   []byte(st.cfg.Expect),
	}
}

func (s *connectSession) connect(context.Context) error { return nil }

func (s *connectSession) do(ctx context.Context, now, _ time.Time) error {
	c, err := s.d.dial(ctx, s.st.cfg.Addr)
	if err != nil {
		return err
	}
	defer s.drop()
	if !s.set(c) {
		return net.ErrClosed
	}
	c.SetDeadline(now.Add(s.st.cfg.timeout()))
	if _, err := c.Write(s.req); err != nil {
		return reqErr("write", err)
	}
	max := s.st.cfg.maxReply()
	reply := s.reply[:0]
	n := 0 // reply bytes read so far
	for {
		m, err := c.Read(s.buf[:])
		if len(reply) < len(s.expect) {
			reply = append(reply, s.buf[:min(m, len(s.expect)-len(reply))]...)
		}
		n += m
		done := bytes.IndexByte(s.buf[:m], '\n') >= 0 || err == io.EOF && n > 0
		if done {
			s.reply = reply
			return checkExpect(reply, s.expect)
		}
		if err != nil {
			return reqErr("read", err)
		}
		if n > max {
			return reqErr("read", errReplyTooLong)
		}
	}
}

func (s *connectSession) reset() {}
func (s *connectSession) close() {}
