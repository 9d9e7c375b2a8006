package tcpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
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
type Conn struct {
	srv *Server
	nc  net.Conn
	rc  syscall.RawConn // nil when nc has no file descriptor, or !rawFD
	rd  stream.Reader

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

	wmu sync.Mutex // serialises writes so that writing times one write

	waitFn  func(uintptr) bool        // c.tryRead, bound once
	fillFn  func([]byte) (int, error) // c.readFd, bound once
	ioFd    int                       // the descriptor RawConn lent to tryRead or tryWrite
	waitN   int                       // tryRead's results
	waitErr error

	// serveBytes's state, for its RawConn.Read callback tryBytes.
	bh      BytesHandler
	bctx    context.Context
	bytesFn func(uintptr) bool        // c.tryBytes, bound once
	probeFn func([]byte) (int, error) // c.probeRead, bound once
	probe   *readProbe
	drained bool // the last probeRead left the socket empty
	peerEOF bool // the last probeRead saw the end of the stream
	bDone   bool // tryBytes ended the loop, with bErr
	bErr    error

	writeFn func(uintptr) bool // c.tryWrite, bound once
	wbuf    []byte             // what tryWrite has still to write, under wmu
	wn      int                // what it has written
	wErr    error

	fd      int  // the descriptor, for parking; -1 when unknown
	inEpoll bool // registered with the server's parker, under its mutex
	parkReq bool // Next gave up the wait so the connection can be parked

	eof bool  // the client closed its sending side
	err error // why Next returned false
}

func (s *Server) newConn(nc net.Conn) *Conn {
	c := &Conn{srv: s, nc: nc}
	c.since.Store(s.now())
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := orDefault(s.KeepAlive, DefaultKeepAlive); ka > 0 {
			tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: ka, Interval: ka, Count: 9})
		} else {
			tc.SetKeepAlive(false)
		}
	}
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

// markBusy ends a wait for a request: the connection is busy from now.
// data reports that the wait read the request's first bytes: they are
// served even if Shutdown or the sweeper set a deadline meanwhile, which is
// lifted. It returns the state the wait ended in and what the wakers set.
func (c *Conn) markBusy(data bool) (wasIdle, interrupted bool, expired int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wasIdle = c.state.Load() == stateIdle
	c.state.Store(stateBusy)
	c.since.Store(c.srv.now())
	interrupted, expired = c.interrupted, c.expired
	if data && (interrupted || expired != 0) {
		c.expired = 0
		c.nc.SetReadDeadline(time.Time{})
	}
	return wasIdle, interrupted, expired
}

// waitError tells why a wait for data failed with err: nil when Shutdown
// closed the idle connection (interrupted) or the sweeper asks it to park
// (serve parks it once the handler returns), a timeout error when the
// sweeper expired it, else err.
func (c *Conn) waitError(err error, interrupted bool, expired int) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	switch {
	case interrupted:
		return nil
	case expired == expiredPark:
		c.mu.Lock()
		c.expired = 0
		c.parkReq = true
		c.mu.Unlock()
		return nil
	case expired != 0:
		return c.timeoutError(expired)
	}
	return err
}

// timeoutError describes the expiry in bits.
func (c *Conn) timeoutError(bits int) error {
	bits &^= expiredPark
	err := ErrIdleTimeout
	switch {
	case bits&expiredRead != 0:
		err = ErrReadTimeout
	case bits&expiredWrite != 0:
		err = ErrWriteTimeout
	}
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// checkExpired reports whether the sweeper expired the connection during
// the request that just ended, recording the error for Err.
func (c *Conn) checkExpired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired&^expiredPark == 0 {
		c.expired = 0
		return false
	}
	c.err = c.timeoutError(c.expired)
	return true
}

// begin starts a request already buffered.
func (c *Conn) begin() {
	c.since.Store(c.srv.now())
	c.srv.st.requests.Add(1)
}

// setIdle marks the connection idle unless the server is shutting down.
func (c *Conn) setIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv.ShuttingDown() {
		return false
	}
	c.since.Store(c.srv.now())
	c.state.Store(stateIdle)
	return true
}

// interruptIfIdle wakes a Next waiting for a request; called by Shutdown.
func (c *Conn) interruptIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Load() {
	case stateIdle:
		c.interrupted = true
		c.nc.SetReadDeadline(aLongTimeAgo)
	case stateParked:
		if c.srv.parker.take(c) {
			go c.srv.closeParked(c)
		}
	}
}

// sweep applies the timeouts at server clock now; called by the sweeper
// every few milliseconds to a second (see Server.sweepEvery).
func (c *Conn) sweep(now int64, idle, read, write time.Duration) {
	since := c.since.Load()
	switch c.state.Load() {
	case stateIdle:
		if idle > 0 && now-since > int64(idle) {
			c.expire(stateIdle, since, expiredIdle)
		} else if park := c.srv.ParkIdle; park > 0 && c.fd >= 0 && now-since > int64(park) {
			c.expire(stateIdle, since, expiredPark)
		}
	case stateParked:
		if idle > 0 && now-since > int64(idle) && c.srv.parker.take(c) {
			c.srv.st.timeouts.Add(1)
			go c.srv.closeParked(c)
		}
	case stateBusy:
		if read > 0 && now-since > int64(read) {
			c.expire(stateBusy, since, expiredRead)
		}
	}
	if w := c.writing.Load(); w != 0 && write > 0 && now-w > int64(write) {
		c.mu.Lock()
		if c.expired&expiredWrite == 0 {
			c.expired |= expiredWrite
			c.srv.st.timeouts.Add(1)
			c.nc.SetWriteDeadline(aLongTimeAgo)
		}
		c.mu.Unlock()
	}
}

// expire wakes the connection's reads if it is still in state since since.
func (c *Conn) expire(state connState, since int64, bit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() != state || c.since.Load() != since || c.expired&bit != 0 || c.interrupted {
		return
	}
	c.expired |= bit
	if bit != expiredPark {
		c.srv.st.timeouts.Add(1)
	}
	c.nc.SetReadDeadline(aLongTimeAgo)
}

// forceClose closes the connection at once, for Close and for Shutdown
// at its deadline.
func (c *Conn) forceClose() {
	c.mu.Lock()
	c.closed = true
	parked := c.state.Load() == stateParked && c.srv.parker.take(c)
	c.mu.Unlock()
	if parked {
		go c.srv.closeParked(c)
		return
	}
	// Not under mu: Close waits for a RawConn.Read callback in progress to
	// return, and serveBytes's callback takes mu (markBusy, setIdle).
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
	// RawRead resets the poller's readiness flag before calling f, so f
	// must try the read first; waiting first could miss an edge.
	if c.waitFn == nil {
		c.waitFn, c.fillFn = c.tryRead, c.readFd // one closure per connection, not per request
	}
	c.waitN, c.waitErr = 0, nil
	err := c.rc.Read(c.waitFn)
	n, rerr := c.waitN, c.waitErr
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, os.NewSyscallError("read", rerr)
	}
	return max(n, 0), nil
}

// tryRead is wait's RawConn.Read callback: one non-blocking read into the
// Reader's buffer (taken from the pool, and given back if nothing came); it
// reports false, to wait for readiness, on EAGAIN.
func (c *Conn) tryRead(fd uintptr) bool {
	c.ioFd = int(fd)
	for {
		c.waitN, c.waitErr = c.rd.Fill(c.fillFn)
		if c.waitErr != syscall.EINTR {
			return c.waitErr != syscall.EAGAIN
		}
	}
}

func (c *Conn) readFd(p []byte) (int, error) { return rawRead(c.ioFd, p) }

func (c *Conn) probeRead(p []byte) (int, error) {
	n, drained, eof, err := c.probe.readAndProbe(c.ioFd, p)
	c.drained, c.peerEOF = drained, eof
	return n, err
}

// serveBytes serves a BytesHandler's connection until it ends or hands
// over to ServeConn (ErrStreaming). The whole loop runs inside one
// RawConn.Read, so the runtime's poller remembers data that arrives while
// a batch is answered, and after a read that drained the socket the loop
// waits at once. (RawConn.Read begins by forgetting what the poller saw,
// which is why Next must try a read before it waits; and a short read
// alone cannot show a FIN that came with the data, which is what the
// probe of readAndProbe is for.)
func (c *Conn) serveBytes(ctx context.Context, h BytesHandler) error {
	if c.bytesFn == nil {
		c.bytesFn, c.probeFn, c.probe = c.tryBytes, c.probeRead, new(readProbe)
	}
	c.bh, c.bctx, c.bDone, c.bErr = h, ctx, false, nil
	defer func() { c.bh, c.bctx = nil, nil }()
	if c.rd.Buffered() == 0 && !c.setIdle() {
		return nil // shutting down
	}
	err := c.rc.Read(c.bytesFn)
	if c.bDone {
		return c.bErr
	}
	// The wait failed: a deadline set by the sweeper or Shutdown, or the
	// connection was closed. Shutdown's wake-up counts only for an idle
	// connection; a busy one was cut off by the read timeout.
	idle, interrupted, expired := c.markBusy(false)
	return c.waitError(err, idle && interrupted, expired)
}

// tryBytes is serveBytes's RawConn.Read callback: it reads, answers the
// whole requests, writes the replies, and repeats until the socket is
// drained (false: wait for the poller) or the connection must stop (true,
// with bDone set).
func (c *Conn) tryBytes(fd uintptr) bool {
	c.ioFd = int(fd)
	s := c.srv
	for {
		c.drained, c.peerEOF = false, false
		n, err := c.rd.Fill(c.probeFn)
		if err == syscall.EAGAIN {
			return false
		}
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			s.st.bytesIn.Add(int64(n))
			if c.state.Load() == stateIdle {
				c.markBusy(true)
				s.st.requests.Add(1)
			}
		}
		if err != nil || n == 0 {
			var tl *stream.TooLongError
			switch {
			case errors.As(err, &tl):
				c.bErr = ErrStreaming // a request as long as MaxRequest
			case err != nil:
				c.bErr = os.NewSyscallError("read", err)
			default:
				c.bErr = c.endOfStream()
			}
			c.bDone = true
			return true
		}
		if herr := c.answer(); herr != nil {
			c.bErr, c.bDone = herr, true
			return true
		}
		if c.peerEOF {
			c.bErr, c.bDone = c.endOfStream(), true
			return true
		}
		if c.rd.Buffered() == 0 {
			c.rd.Release() // an idle connection holds no read buffer
			if c.checkExpired() || !c.setIdle() {
				c.bErr, c.bDone = c.err, true // shutdown (nil) or a write timeout
				return true
			}
		}
		if c.drained {
			return false // the poller reports what comes next
		}
	}
}

// endOfStream records the peer's FIN; part of a request left buffered
// goes to ServeConn (ErrStreaming), which answers or rejects it.
func (c *Conn) endOfStream() error {
	c.eof = true
	if c.rd.Buffered() > 0 {
		return ErrStreaming
	}
	return nil
}

// answer has the BytesHandler answer the whole requests buffered, at most
// MaxRequest bytes at a time, consumes them, and writes the replies. A
// request as long as MaxRequest goes to ServeConn (ErrStreaming), whose
// reads report it.
func (c *Conn) answer() error {
	outp := outPool.Get().(*[]byte)
	out := (*outp)[:0]
	max := c.rd.Max()
	var err error
	for {
		in := c.rd.Peek()
		full := len(in) >= max
		if full {
			in = in[:max]
		}
		var advance int
		out, advance, err = c.bh.ServeBytes(c.bctx, in, out)
		c.rd.Discard(advance)
		if err != nil || !full || c.rd.Buffered() == 0 {
			break
		}
		if advance == 0 {
			err = ErrStreaming
			break
		}
	}
	if len(out) > 0 {
		if _, werr := c.Write(out); werr != nil && (err == nil || err == ErrStreaming) {
			err = werr
		}
	}
	if cap(out) <= 64<<10 {
		*outp = out[:0] // keep a small buffer; let a large one go
		outPool.Put(outp)
	}
	return err
}

// outPool holds the buffers replies are built in, so that an idle
// connection holds none.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// writeRaw writes p through RawConn.Write, which waits for the socket to
// take more and applies the write deadline, with rawWrite for the system
// calls. Errors are those of net.Conn.Write.
func (c *Conn) writeRaw(p []byte) (int, error) {
	if c.writeFn == nil {
		c.writeFn = c.tryWrite
	}
	c.wbuf, c.wn, c.wErr = p, 0, nil
	err := c.rc.Write(c.writeFn)
	n, werr := c.wn, c.wErr
	c.wbuf = nil
	if err == nil && werr != nil {
		err = os.NewSyscallError("write", werr)
	}
	if err != nil {
		// RawConn says "raw-write"; callers see what net.Conn.Write says.
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// tryWrite is writeRaw's RawConn.Write callback: it writes until all of
// c.wbuf is written or the socket is full (false: wait until writable).
func (c *Conn) tryWrite(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, err := rawWrite(int(fd), c.wbuf[c.wn:])
		switch err {
		case nil:
			c.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.wErr = err
			return true
		}
	}
	return true
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

// park hands an idle connection to the server's parker; its goroutine then
// ends, and a new one calls the Handler when data arrives. It reports
// false when the connection must be closed instead.
func (c *Conn) park() bool {
	s := c.srv
	if c.rd.Buffered() > 0 || s.parker == nil {
		return false
	}
	c.rd.Release()
	c.nc.SetReadDeadline(time.Time{})
	c.mu.Lock()
	if s.ShuttingDown() || c.closed {
		c.mu.Unlock()
		return false
	}
	c.since.Store(s.now())
	c.state.Store(stateParked)
	c.mu.Unlock()
	return s.parkOrClose(c)
}

// parkOrClose hands c, in state parked, to the parker. It reports false,
// with c busy again, when the parker refused it. Shutdown may have begun
// while c was being parked and found it in neither state: then c is taken
// back and closed, rather than left to Shutdown's deadline.
func (s *Server) parkOrClose(c *Conn) bool {
	if !s.parker.park(c) {
		c.state.Store(stateBusy)
		return false
	}
	if s.ShuttingDown() && s.parker.take(c) {
		c.state.Store(stateBusy)
		go s.closeParked(c)
	}
	return true
}

// unpark starts a goroutine for a parked connection that became readable
// (or was closed by the client); the Handler is called again.
func (s *Server) unpark(c *Conn) {
	c.mu.Lock()
	c.since.Store(s.now())
	c.state.Store(stateBusy)
	c.mu.Unlock()
	go c.serve(s.ctx)
}

// closeParked closes a connection taken from the parker.
func (s *Server) closeParked(c *Conn) {
	c.finish()
	s.trackConn(c, false)
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
	if c.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(c.srv.linger()))
		// A small buffer: thousands of connections may linger at once
		// when a timeout or shutdown closes them together.
		var buf [512]byte
		for total := 0; total < 256<<10; {
			n, err := c.nc.Read(buf[:])
			total += n
			if err != nil {
				break
			}
		}
	}
	c.nc.Close()
}
