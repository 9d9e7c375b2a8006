package tcpserver

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netkit-dev/netkit/stream"
)

type connState = uint32

const (
	stateBusy   connState = iota // reading or answering a request (the initial state)
	stateIdle                    // waiting in Next for the next request
	stateParked                  // waiting without a goroutine (Server.ParkIdle)
)

// Why the sweeper expired a connection.
const (
	expiredIdle  = 1 // waited longer than IdleTimeout in Next
	expiredRead  = 2 // a request took longer than ReadTimeout
	expiredWrite = 4 // a write took longer than WriteTimeout
	expiredPark  = 8 // idle longer than ParkIdle: give up the goroutine
)

// aLongTimeAgo is a deadline in the past, used to wake a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// Conn is a server connection as its Handler sees it.
//
// Its fields serve five jobs, each with the file that holds its code: the
// handle a Handler uses (this file), the timeouts the sweeper enforces
// (timeout.go), reads and writes through the raw descriptor (rawconn.go),
// the BytesHandler loop (bytesloop.go), and parking an idle connection
// without a goroutine (park.go).
type Conn struct {
	// The handle.
	srv *Server
	nc  net.Conn
	rd  stream.Reader
	eof bool  // the client closed its sending side
	err error // why Next returned false

	// Timeouts are enforced by the server's sweeper goroutine, which reads
	// state, since and writing and, when a limit passes, sets a deadline in
	// the past. No deadline is set per request, so the hot path makes no
	// timer calls and an idle goroutine's stack stays at its minimum size.
	mu          sync.Mutex    // orders state changes against Shutdown and the sweeper
	state       atomic.Uint32 // a connState; written under mu
	since       atomic.Int64  // server clock when the idle wait or request began
	writing     atomic.Int64  // server clock when the write in progress began, or 0
	expired     int           // expired* bits set by the sweeper, under mu
	interrupted bool          // Shutdown woke Next while idle, under mu
	closed      bool          // forceClose ran, under mu
	wmu         sync.Mutex    // serialises writes so that writing times one write

	// The raw descriptor's reads and writes, and the results their
	// RawConn callbacks hand back.
	rc      syscall.RawConn           // nil when nc has no file descriptor, or !rawFD
	ioFd    int                       // the descriptor RawConn lent to tryRead or tryWrite
	waitFn  func(uintptr) bool        // c.tryRead, bound once
	fillFn  func([]byte) (int, error) // c.readFd, bound once
	waitN   int                       // tryRead's results
	waitErr error
	writeFn func(uintptr) bool // c.tryWrite, bound once
	wbuf    []byte             // what tryWrite has still to write, under wmu
	wn      int                // what it has written
	wErr    error

	// The BytesHandler loop.
	bl bytesLoop

	// Parking.
	fd      int    // the descriptor, for parking; -1 when unknown
	release func() // gives the connection's place back to the per-address limits
	inEpoll bool   // registered with the server's parker, under its mutex
	parkReq bool   // Next gave up the wait so the connection can be parked
}

func (s *Server) newConn(nc net.Conn) *Conn {
	c := &Conn{srv: s, nc: nc}
	c.since.Store(s.now())
	c.fd = -1
	if sc, ok := nc.(syscall.Conn); ok && rawFD {
		c.rc, _ = sc.SyscallConn()
		if c.rc != nil && s.parker != nil {
			c.rc.Control(func(fd uintptr) { c.fd = int(fd) })
		}
	}
	c.rd.Reset((*connReader)(c), s.MaxRequest)
	return c
}

// connReader counts the bytes read from the connection.
type connReader Conn

// Read reads from the connection and adds what it read to the server's
// BytesIn.
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
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writing.Store(c.srv.now())
	var n int
	var err error
	if c.rc != nil {
		n, err = c.writeRaw(p)
	} else {
		n, err = c.nc.Write(p)
	}
	c.writing.Store(0)
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
		if c.checkExpired() {
			return false
		}
		c.begin()
		return true
	}
	if c.eof || c.err != nil || c.checkExpired() {
		return false
	}
	c.rd.Release()
	if !c.setIdle() {
		return false
	}
	n, err := c.wait()
	_, interrupted, expired := c.markBusy(n > 0)
	if n > 0 {
		s.st.bytesIn.Add(int64(n))
		s.st.requests.Add(1)
		return true
	}
	if err == nil || err == io.EOF {
		c.eof = true
	} else {
		c.err = c.waitError(err, interrupted, expired)
	}
	return false
}

// serve runs the handler and then closes or parks the connection.
func (c *Conn) serve(ctx context.Context) {
	s := c.srv
	parked := false
	defer func() {
		if p := recover(); p != nil {
			s.recovered(c, p)
		} else if parked {
			return
		}
		c.finish()
		s.trackConn(c, false)
	}()
	if tc, ok := c.nc.(*tls.Conn); ok && s.TLSConfig != nil && !c.handshake(ctx, tc) {
		return
	}
	var err error
	if bh, ok := s.Handler.(BytesHandler); ok && c.rc != nil {
		err = c.serveBytes(ctx, bh)
		if err == ErrStreaming {
			err = s.Handler.ServeConn(ctx, c)
		}
	} else {
		err = s.Handler.ServeConn(ctx, c)
	}
	if err != nil {
		s.st.errors.Add(1)
		s.logf(slog.LevelDebug, "connection error", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	if c.parkReq {
		c.parkReq = false
		parked = c.park()
	}
}

// finish closes the connection. If the client has not closed its side, it
// sends FIN first and discards what the client still sends until its FIN
// or the Linger time, so a request in flight makes the client read end of
// stream instead of a reset (RFC 1122 section 4.2.2.13: closing with unread
// data sends RST).
func (c *Conn) finish() {
	c.rd.Reset(nil, 0)
	if c.srv.parker != nil {
		c.srv.parker.drop(c)
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if c.eof || closed || c.srv.linger() < 0 {
		c.nc.Close()
		return
	}
	lingerClose(c.nc, c.srv.linger())
}

// lingerClose sends FIN on nc, discards what the peer still sends until
// its FIN, 256 KiB or d, and closes nc: what was written last (an answer,
// or a TLS alert) then reaches the peer, where closing with its data
// unread would send a reset that discards it.
func lingerClose(nc net.Conn, d time.Duration) {
	if stream.CloseWrite(nc) == nil {
		nc.SetReadDeadline(time.Now().Add(d))
		// A small buffer: thousands of connections may linger at once
		// when a timeout or shutdown closes them together.
		var buf [512]byte
		for total := 0; total < 256<<10; {
			n, err := nc.Read(buf[:])
			total += n
			if err != nil {
				break
			}
		}
	}
	nc.Close()
}
