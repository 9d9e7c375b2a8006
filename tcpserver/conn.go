package tcpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/netkit-dev/netkit/stream"
)

type connState uint8

const (
	stateBusy connState = iota // reading or answering a request (the initial state)
	stateIdle                  // waiting in Next for the next request
)

// aLongTimeAgo is a deadline in the past, used to wake a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is a server connection as its Handler sees it.
type Conn struct {
	srv *Server
	nc  net.Conn
	rc  syscall.RawConn // nil when nc has no file descriptor
	rd  stream.Reader

	mu          sync.Mutex
	state       connState
	interrupted bool // Shutdown woke Next while idle
	closed      bool // forceClose ran

	eof bool  // the client closed its sending side
	err error // why Next returned false
}

func (s *Server) newConn(nc net.Conn) *Conn {
	c := &Conn{srv: s, nc: nc}
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := orDefault(s.KeepAlive, DefaultKeepAlive); ka > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: ka, Interval: ka, Count: 9})
		} else {
			tc.SetKeepAlive(false)
		}
	}
	if sc, ok := nc.(syscall.Conn); ok {
		c.rc, _ = sc.SyscallConn()
	}
	c.rd.Reset((*connReader)(c), s.MaxRequest)
	return c
}

// connReader counts the bytes read from the connection.
type connReader Conn

func (cr *connReader) Read(p []byte) (int, error) {
	n, err := cr.nc.Read(p)
	if n > 0 {
		cr.srv.st.bytesIn.Add(int64(n))
	}
	return n, err
}

// Reader returns the connection's bounded reader. Slices it returns stay
// valid until the next read or the next call of Next.
func (c *Conn) Reader() *stream.Reader { return &c.rd }

// Write writes p to the client within WriteTimeout. It is safe to call
// from several goroutines at once; each call's bytes stay together.
func (c *Conn) Write(p []byte) (int, error) {
	if wt := c.srv.writeTimeout(); wt > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(wt))
	}
	n, err := c.nc.Write(p)
	c.srv.st.bytesOut.Add(int64(n))
	return n, err
}

// CloseWrite sends FIN: the client reads end of stream, and the handler can
// still read.
func (c *Conn) CloseWrite() error { return stream.CloseWrite(c.nc) }

// RemoteAddr returns the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// LocalAddr returns the server's end of the connection.
func (c *Conn) LocalAddr() net.Addr { return c.nc.LocalAddr() }

// NetConn returns the underlying connection, for options this type does not
// cover. Reading from it directly bypasses the Reader's buffer and limits.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Err returns why Next returned false: nil after end of stream or shutdown,
// an error matching ErrIdleTimeout after the idle timeout, else the read
// error.
func (c *Conn) Err() error { return c.err }

// Next waits for the next request and reports whether one has begun; see
// the package doc. While it waits the connection is idle: it holds no read
// buffer, and Shutdown closes it.
func (c *Conn) Next() bool {
	s := c.srv
	if c.rd.Buffered() > 0 {
		// A pipelined request is already read: it is answered even during
		// shutdown.
		c.begin()
		return true
	}
	if c.eof || c.err != nil {
		return false
	}
	c.rd.Release()
	if !c.setIdle() {
		return false
	}
	n, err := c.wait()
	if n > 0 {
		s.st.bytesIn.Add(int64(n))
		c.mu.Lock()
		c.state = stateBusy
		c.mu.Unlock()
		c.begin()
		return true
	}
	c.mu.Lock()
	c.state = stateBusy
	interrupted := c.interrupted
	c.mu.Unlock()
	switch {
	case err == nil || err == io.EOF:
		c.eof = true
	case interrupted && errors.Is(err, os.ErrDeadlineExceeded):
		// Shutdown closed this idle connection: not an error.
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.st.timeouts.Add(1)
		c.err = &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: ErrIdleTimeout}
	default:
		c.err = err
	}
	return false
}

// begin starts a request: the read deadline becomes ReadTimeout from now.
func (c *Conn) begin() {
	s := c.srv
	s.st.requests.Add(1)
	if rt := s.readTimeout(); rt > 0 {
		c.nc.SetReadDeadline(time.Now().Add(rt))
	} else {
		c.nc.SetReadDeadline(time.Time{})
	}
}

// setIdle marks the connection idle and arms the idle deadline, unless the
// server is shutting down. The deadline is set under c.mu so that an
// interrupt from Shutdown cannot be overwritten.
func (c *Conn) setIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv.ShuttingDown() {
		return false
	}
	c.state = stateIdle
	if it := c.srv.idleTimeout(); it > 0 {
		c.nc.SetReadDeadline(time.Now().Add(it))
	} else {
		c.nc.SetReadDeadline(time.Time{})
	}
	return true
}

// interruptIfIdle wakes a Next waiting for a request; called by Shutdown.
func (c *Conn) interruptIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateIdle {
		c.interrupted = true
		c.nc.SetReadDeadline(aLongTimeAgo)
	}
}

func (c *Conn) forceClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.nc.Close()
}

// wait reads the first bytes of the next request. With a file descriptor it
// reads inside RawConn.Read, taking a buffer from the pool only for a read
// that returns data, so an idle connection holds no buffer; otherwise it
// reads with a buffer held while waiting.
func (c *Conn) wait() (int, error) {
	if c.rc == nil {
		n, err := c.rd.Fill(c.nc.Read)
		return max(n, 0), err
	}
	var n int
	var rerr error
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = c.rd.Fill(func(p []byte) (int, error) { return syscall.Read(int(fd), p) })
			if rerr != syscall.EINTR {
				break
			}
		}
		return rerr != syscall.EAGAIN
	})
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, os.NewSyscallError("read", rerr)
	}
	return max(n, 0), nil
}

// serve runs the handler and closes the connection.
func (c *Conn) serve(ctx context.Context) {
	s := c.srv
	defer func() {
		if p := recover(); p != nil {
			s.recovered(c, p)
		}
		c.finish()
		s.trackConn(c, false)
	}()
	if err := s.Handler.ServeConn(ctx, c); err != nil {
		s.st.errors.Add(1)
		s.logf(slog.LevelDebug, "connection error", "remote", c.RemoteAddr().String(), "err", err)
	}
}

// finish closes the connection. If the client has not closed its side, it
// sends FIN first and discards what the client still sends until its FIN
// or the Linger time, so a request in flight makes the client read end of
// stream instead of a reset (RFC 1122 section 4.2.2.13: closing with unread
// data sends RST).
func (c *Conn) finish() {
	c.rd.Reset(nil, 0)
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if c.eof || closed || c.srv.linger() < 0 {
		c.nc.Close()
		return
	}
	if c.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(c.srv.linger()))
		io.CopyN(io.Discard, c.nc, 256<<10)
	}
	c.nc.Close()
}
