package lifecycle

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
)

// Server is what net/http's Server and tcpserver's Server have in common:
// Serve blocks serving a listener until Shutdown.
type Server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
}

// Listener is a Component that binds a TCP address at Start and serves a
// Server on it. If the Server is also an io.Closer, a Shutdown that runs out
// of time closes it, so that nothing outlives the deadline.
type Listener struct {
	// Addr is the address to bind, as net.Listen takes it (port 0 for any
	// free port).
	Addr string

	// Server serves the listener.
	Server Server

	// Closed is the error Serve returns after Shutdown
	// (http.ErrServerClosed, tcpserver.ErrServerClosed); Wait reports it as
	// a clean stop.
	Closed error

	// Listen binds the address; nil means net.ListenConfig's Listen on
	// "tcp". It is where a listener gets wrapped, in TLS for example.
	Listen func(ctx context.Context, addr string) (net.Listener, error)

	// Logger, if set, gets one "listening" line with the bound address
	// once the listener is ready, with LogAttrs added to it.
	Logger   *slog.Logger
	LogAttrs []any

	// OnDrain, if set, is called when the group's shutdown begins.
	OnDrain func()

	mu      sync.Mutex
	ln      net.Listener
	stopped bool
	done    chan error
}

// Start binds Addr and serves it in a goroutine of the Listener's own.
func (l *Listener) Start(ctx context.Context) error {
	listen := l.Listen
	if listen == nil {
		listen = func(ctx context.Context, addr string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(ctx, "tcp", addr)
		}
	}
	ln, err := listen(ctx, l.Addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ln, l.done = ln, make(chan error, 1)
	l.mu.Unlock()
	go func() { l.done <- l.Server.Serve(ln) }()
	if l.Logger != nil {
		l.Logger.Info("listening", append([]any{"addr", ln.Addr().String()}, l.LogAttrs...)...)
	}
	return nil
}

// BoundAddr returns the bound address, or nil before Start.
func (l *Listener) BoundAddr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return nil
	}
	return l.ln.Addr()
}

// Wait returns once Serve has returned: nil after Shutdown, Serve's error
// otherwise.
func (l *Listener) Wait() error {
	err := <-l.done
	l.done <- err // for a second Wait
	if l.Closed != nil && errors.Is(err, l.Closed) {
		return nil
	}
	l.mu.Lock()
	stopped := l.stopped
	l.mu.Unlock()
	if stopped && errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Ready returns nil once the listener is bound, until Shutdown begins.
func (l *Listener) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil || l.stopped {
		return ErrNotStarted
	}
	return nil
}

// Drain calls OnDrain.
func (l *Listener) Drain() {
	if l.OnDrain != nil {
		l.OnDrain()
	}
}

// Shutdown shuts the Server down within ctx; if that fails and the Server
// is an io.Closer, it closes the Server.
func (l *Listener) Shutdown(ctx context.Context) error {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	err := l.Server.Shutdown(ctx)
	if err != nil {
		if c, ok := l.Server.(io.Closer); ok {
			c.Close()
		}
	}
	return err
}

var (
	_ Component = (*Listener)(nil)
	_ Drainer   = (*Listener)(nil)
)
