package tcpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/internal/ratelog"
)

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("tcpserver: server closed")

// Timeout errors, matched with errors.Is on Conn.Err and on the errors
// of reads and writes the server cut off.
var (
	// ErrIdleTimeout means that no request began within IdleTimeout.
	ErrIdleTimeout = errors.New("tcpserver: idle timeout")
	// ErrReadTimeout means that a request took longer than ReadTimeout.
	ErrReadTimeout = errors.New("tcpserver: read timeout")
	// ErrWriteTimeout means that a write took longer than WriteTimeout.
	ErrWriteTimeout = errors.New("tcpserver: write timeout")
)

// Defaults for the zero fields of Server.
const (
	// DefaultMaxConns is the MaxConns of a Server that leaves it zero.
	DefaultMaxConns = 10000
	// DefaultIdleTimeout is the IdleTimeout of a Server that leaves it zero.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultWriteTimeout is the WriteTimeout of a Server that leaves it
	// zero.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultKeepAlive is the KeepAlive of a Server that leaves it zero.
	DefaultKeepAlive = 15 * time.Second
	// DefaultLinger is the Linger of a Server that leaves it zero.
	DefaultLinger = 500 * time.Millisecond
)

// A Handler serves one connection. ServeConn runs in the connection's own
// goroutine; ctx is cancelled when Shutdown or Close begins. The server
// closes the connection when ServeConn returns; a non-nil error is counted
// in Stats().Errors and logged at debug level.
type Handler interface {
	ServeConn(ctx context.Context, c *Conn) error
}

// A BytesHandler is a Handler that can answer its requests from the bytes
// already received, without blocking. Echo is one.
//
// The server serves a BytesHandler's connection in one loop around the
// socket. The loop waits for data, reads it, calls ServeBytes, and writes
// the replies in one write. It does not go through Next, as a plain
// Handler does before each request. On Linux it also skips the read that
// only learns that nothing more has come. That saves a third of the system
// calls per request. A connection without a file descriptor (as on
// Windows) is served by ServeConn alone.
//
// ServeBytes gets in: the bytes received and not yet consumed, at most
// MaxRequest of them. It answers the whole requests at the start of in. It
// appends their replies to out and returns the extended slice. It also
// returns advance: how many bytes of in those requests took. The rest of
// in comes again in the next call, followed by the bytes that arrived
// since. ServeBytes must not block. It must not keep in or out after it
// returns.
//
// ServeBytes returns ErrStreaming to hand the connection to ServeConn. It
// does so before it consumes a request that it cannot answer from in. The
// server hands the connection over by itself in two cases: a request fills
// MaxRequest, or the stream ends in the middle of a request. ServeConn's
// own limits and errors then apply. Any other error closes the connection
// once out is written.
type BytesHandler interface {
	Handler
	ServeBytes(ctx context.Context, in, out []byte) (reply []byte, advance int, err error)
}

// ErrStreaming is returned by BytesHandler.ServeBytes to hand the
// connection to the handler's ServeConn.
var ErrStreaming = errors.New("tcpserver: serve with ServeConn")

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Conn) error

// ServeConn calls f(ctx, c).
func (f HandlerFunc) ServeConn(ctx context.Context, c *Conn) error { return f(ctx, c) }

// Server accepts TCP connections and serves each with Handler. The zero
// value (with a Handler) is ready to use; its fields must not change once
// Serve has been called.
type Server struct {
	// Handler serves each connection. Required.
	Handler Handler

	// MaxConns is the most connections served at once; more are accepted
	// and closed at once (see the package doc). Zero means
	// DefaultMaxConns (10,000); negative means no limit.
	MaxConns int

	// IdleTimeout bounds the wait in Conn.Next for the next request. Zero
	// means DefaultIdleTimeout (2 minutes); negative means no limit.
	IdleTimeout time.Duration

	// ReadTimeout bounds one request, from its first byte (Next returning
	// true) to the next call of Next, so a client that dribbles a byte a
	// second is cut off: reads then fail with os.ErrDeadlineExceeded and
	// Next returns false with Err matching ErrReadTimeout. A handler that
	// never calls Next is under ReadTimeout from the accept. Zero means the
	// IdleTimeout value; negative means no limit.
	ReadTimeout time.Duration

	// WriteTimeout bounds each Conn.Write, so a client that stops reading
	// cannot hold a handler forever; a write cut off returns an error
	// matching os.ErrDeadlineExceeded, and later writes fail too. Zero
	// means DefaultWriteTimeout (30 s); negative means no limit.
	WriteTimeout time.Duration

	// KeepAlive is the TCP keep-alive period of accepted connections. Zero
	// means DefaultKeepAlive (15 s, Go's own default); negative disables
	// keep-alive probes.
	KeepAlive time.Duration

	// MaxRequest is the maximum unit of each connection's Reader (a line, a
	// frame, an exact read). Zero means stream.DefaultMax (64 KiB).
	MaxRequest int

	// Linger bounds how long the server reads and discards after sending
	// FIN on a connection it closes, waiting for the client's FIN. Zero
	// means DefaultLinger (500 ms); negative closes at once.
	Linger time.Duration

	// ParkIdle, when positive, lets connections wait without a goroutine:
	// a new connection, and one idle in Next for longer than ParkIdle, is
	// handed to an epoll set of the server's own and its goroutine ends
	// (the handler sees Next return false with a nil Err and returns
	// nil); when data arrives, a new goroutine calls ServeConn again. An
	// idle connection then costs no goroutine stack. Only for handlers
	// that keep no state across requests besides the Conn, such as echo
	// and JSON-RPC; chat, which greets on connect and keeps a writer
	// goroutine, must not use it. Linux only; zero (the default) never
	// parks.
	ParkIdle time.Duration

	// TLSConfig, if set, serves TLS on every connection: the handshake
	// runs before the handler sees the connection, within
	// HandshakeTimeout, and a connection that fails it (plaintext to the
	// TLS port, a bad ClientHello, a refused client certificate) is
	// closed at once, counted in TLSStats and logged at most once a
	// second. Plaintext fails as soon as its first byte arrives: every
	// TLS connection begins with a handshake record (0x16). TLS connections take the general read and write path: no
	// BytesHandler loop and no parking.
	TLSConfig *tls.Config

	// HandshakeTimeout bounds a TLS handshake. Zero means
	// DefaultHandshakeTimeout (10 s).
	HandshakeTimeout time.Duration

	// PerIP bounds the connections of one client address, open at once
	// and opened per second; a connection over them is closed at once,
	// before any read, counted in Stats.RefusedPerIP and logged at most
	// once a second. The zero value sets no limit.
	PerIP IPLimits

	// Logger receives connection errors and recovered panics; nil is
	// silent.
	Logger *slog.Logger

	initOnce  sync.Once
	ctx       context.Context // handlers' context, cancelled by Shutdown/Close
	cancel    context.CancelFunc
	epoch     time.Time // origin of the server clock (monotonic)
	sweepOnce sync.Once
	parker    *parker // nil unless ParkIdle > 0 on Linux

	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[*Conn]struct{}
	inShutdown atomic.Bool
	drained    chan struct{} // closed when shutting down and no conns remain
	drainedSet bool

	st     counters
	tlsLog ratelog.Limiter
	ipl    *IPLimiter // nil without PerIP limits

	maxSet   atomic.Bool // SetMaxConns was called: maxLive overrides MaxConns
	maxLive  atomic.Int64
	idleSet  atomic.Bool // SetIdleTimeout was called: idleLive overrides IdleTimeout
	idleLive atomic.Int64
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.epoch = time.Now()
		s.listeners = make(map[*net.Listener]struct{})
		if s.PerIP.enabled() {
			s.ipl = NewIPLimiter(s.PerIP)
		}
		s.conns = make(map[*Conn]struct{})
		s.drained = make(chan struct{})
	})
}

func (s *Server) maxConns() int64 {
	n := s.MaxConns
	if s.maxSet.Load() {
		n = int(s.maxLive.Load())
	}
	switch {
	case n == 0:
		return DefaultMaxConns
	case n < 0:
		return 1<<63 - 1
	}
	return int64(n)
}

// SetMaxConns changes MaxConns while the server runs (a configuration
// reload), with MaxConns's meaning of 0 and negative values. Raising it
// admits new connections at once; lowering it closes none of those open,
// and new ones are refused until the count falls below it.
func (s *Server) SetMaxConns(n int) {
	s.maxLive.Store(int64(n))
	s.maxSet.Store(true)
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func (s *Server) idleTimeout() time.Duration {
	if s.idleSet.Load() {
		return orDefault(time.Duration(s.idleLive.Load()), DefaultIdleTimeout)
	}
	return orDefault(s.IdleTimeout, DefaultIdleTimeout)
}

// SetIdleTimeout changes IdleTimeout while the server runs (a
// configuration reload); the connections already waiting are held to the
// new limit from the next check on. A server started with no timeout at
// all (every one negative) keeps none.
func (s *Server) SetIdleTimeout(d time.Duration) {
	s.idleLive.Store(int64(d))
	s.idleSet.Store(true)
}
func (s *Server) readTimeout() time.Duration { return orDefault(s.ReadTimeout, s.idleTimeout()) }
func (s *Server) writeTimeout() time.Duration {
	return orDefault(s.WriteTimeout, DefaultWriteTimeout)
}
func (s *Server) linger() time.Duration { return orDefault(s.Linger, DefaultLinger) }

// ShuttingDown reports whether Shutdown or Close has begun; readiness
// probes fail from then on so that load balancers drain the instance.
func (s *Server) ShuttingDown() bool { return s.inShutdown.Load() }

// Serve accepts connections on ln and serves each in a new goroutine. It
// blocks until ln fails or the server shuts down, and then returns
// ErrServerClosed (after Shutdown or Close) or the accept error. Serve takes
// ownership of ln and closes it. Serve may be called for several listeners.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	if s.Handler == nil {
		ln.Close()
		return errors.New("tcpserver: nil Handler")
	}
	if !s.trackListener(&ln, true) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.trackListener(&ln, false)
	s.sweepOnce.Do(func() {
		if s.ParkIdle > 0 {
			if p, err := newParker(&s.st.parked); err == nil {
				s.mu.Lock()
				s.parker = p
				s.mu.Unlock()
				go p.run(s.unpark)
			} else {
				s.logf(slog.LevelWarn, "cannot park idle connections", "err", err)
			}
		}
		go s.sweeper()
	})

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ShuttingDown() {
				return ErrServerClosed
			}
			// Too many open files and other resource errors pass; back off
			// as net/http does rather than spin.
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf(slog.LevelWarn, "accept error; retrying", "err", err, "delay", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.st.accepted.Add(1)
		if s.st.active.Load() >= s.maxConns() {
			// Turned away before any goroutine or buffer exists for it.
			s.st.rejected.Add(1)
			nc.Close()
			continue
		}
		release, err := s.ipl.Admit(nc.RemoteAddr())
		if err != nil {
			s.ipl.refuse(nc, err, s.Logger, "")
			continue
		}
		s.keepAlive(nc)
		if s.TLSConfig != nil {
			nc = tls.Server(&sniffConn{Conn: nc}, s.TLSConfig)
		}
		c := s.newConn(nc)
		c.release = release
		if !s.trackConn(c, true) {
			s.st.rejected.Add(1)
			release()
			nc.Close()
			continue
		}
		if s.parker != nil && c.fd >= 0 {
			// Wait for the first request without a goroutine.
			c.state.Store(stateParked)
			if s.parkOrClose(c) {
				continue
			}
		}
		go c.serve(s.ctx)
	}
}

// now reads the server clock: monotonic nanoseconds since init.
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

// sweepEvery is how often the sweeper checks timeouts: an eighth of the
// shortest, between 10 ms and 1 s, so a timeout fires at most 12.5% late.
func (s *Server) sweepEvery() time.Duration {
	d := time.Second * 8
	for _, t := range []time.Duration{s.idleTimeout(), s.readTimeout(), s.writeTimeout(), s.ParkIdle} {
		if t > 0 && t < d {
			d = t
		}
	}
	return min(max(d/8, 10*time.Millisecond), time.Second)
}

// sweeper enforces the idle, read and write timeouts of every connection
// until the server shuts down. One goroutine and one ticker serve all
// connections, instead of two timer updates per request.
func (s *Server) sweeper() {
	idle, read, write := s.idleTimeout(), s.readTimeout(), s.writeTimeout()
	if idle <= 0 && read <= 0 && write <= 0 && s.ParkIdle <= 0 {
		return
	}
	every := s.sweepEvery()
	t := time.NewTicker(every)
	defer t.Stop()
	var batch []*Conn
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		// The idle timeout may have changed (SetIdleTimeout).
		if i := s.idleTimeout(); i != idle {
			idle, read = i, s.readTimeout()
			if e := s.sweepEvery(); e != every {
				every = e
				t.Reset(every)
			}
		}
		// Copy the set so connections can come and go while it is swept.
		s.mu.Lock()
		batch = batch[:0]
		for c := range s.conns {
			batch = append(batch, c)
		}
		s.mu.Unlock()
		now := s.now()
		for _, c := range batch {
			c.sweep(now, idle, read, write)
		}
		clear(batch)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

func (s *Server) trackListener(ln *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		s.listeners[ln] = struct{}{}
	} else {
		delete(s.listeners, ln)
	}
	return true
}

func (s *Server) trackConn(c *Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.inShutdown.Load() {
			return false
		}
		s.conns[c] = struct{}{}
		s.st.active.Add(1)
		return true
	}
	delete(s.conns, c)
	s.st.active.Add(-1)
	if c.release != nil {
		c.release()
	}
	s.checkDrained()
	return true
}

// checkDrained closes s.drained once shutting down with no connections; the
// caller holds s.mu.
func (s *Server) checkDrained() {
	if s.inShutdown.Load() && len(s.conns) == 0 && !s.drainedSet {
		s.drainedSet = true
		close(s.drained)
	}
}

// beginShutdown stops accepting, cancels handler contexts, and returns the
// first listener close error.
func (s *Server) beginShutdown() error {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inShutdown.Store(true)
	s.cancel()
	if s.parker != nil {
		s.parker.stop()
	}
	var err error
	for ln := range s.listeners {
		if cerr := (*ln).Close(); cerr != nil && err == nil {
			err = cerr
		}
		delete(s.listeners, ln)
	}
	s.checkDrained()
	return err
}

// Shutdown shuts the server down gracefully: it closes the listeners,
// cancels the handlers' context, closes idle connections, lets busy ones
// finish their current request, and waits for all handlers to return. If
// ctx ends first, Shutdown closes the remaining connections and returns
// ctx.Err(); otherwise it returns the error of closing the listeners.
// Serve returns ErrServerClosed at once. Shutdown may be called more than
// once.
func (s *Server) Shutdown(ctx context.Context) error {
	lnErr := s.beginShutdown()
	s.mu.Lock()
	for c := range s.conns {
		c.interruptIfIdle()
	}
	s.mu.Unlock()
	select {
	case <-s.drained:
		return lnErr
	case <-ctx.Done():
		s.closeConns()
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, cancelling the
// handlers' context. Handlers see their reads and writes fail and return.
func (s *Server) Close() error {
	err := s.beginShutdown()
	s.closeConns()
	return err
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.forceClose()
	}
}

// Wait blocks until Shutdown or Close has begun and every connection
// handler has returned, or ctx ends.
func (s *Server) Wait(ctx context.Context) error {
	s.init()
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	if s.Logger != nil {
		s.Logger.Log(context.Background(), level, msg, args...)
	}
}

func (s *Server) recovered(c *Conn, p any) {
	s.st.panics.Add(1)
	s.st.errors.Add(1)
	if s.Logger != nil {
		s.Logger.Error("panic serving connection", "remote", c.RemoteAddr().String(), "panic", p, "stack", string(debug.Stack()))
	}
}
