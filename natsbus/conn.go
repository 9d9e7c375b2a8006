package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netkit-dev/netkit/lifecycle"
)

// Defaults of the ConnConfig fields left zero.
const (
	// DefaultReconnectBuffer bounds the bytes published while the
	// connection is down, as nats.go's default does (8 MiB). A publish
	// that would pass it fails at once, so that the sender learns of it.
	DefaultReconnectBuffer = 8 << 20
	// DefaultReconnectWait is the pause between reconnection attempts to
	// one server. It is shorter than nats.go's 2 s because a node without
	// its bus is a node whose users cannot talk to the rest of the
	// cluster.
	DefaultReconnectWait = 250 * time.Millisecond
	// DefaultConnectTimeout bounds the first connection.
	DefaultConnectTimeout = 10 * time.Second
)

// ErrDisconnected is Ready's error while the connection is down and
// reconnecting.
var ErrDisconnected = errors.New("natsbus: disconnected from NATS")

// ConnConfig configures a connection to NATS.
type ConnConfig struct {
	// URLs are the servers to connect to, nats://HOST:PORT, any of them
	// (a cluster's nodes). Ignored when Server is set.
	URLs []string

	// Server, if set, is an embedded server to connect to, whose address
	// is known only once it has started.
	Server *Server

	// Name names the connection in the server's monitoring (netkit's node
	// name).
	Name string

	// ReconnectBuffer bounds the bytes held while reconnecting; 0 means
	// DefaultReconnectBuffer. Negative disables the buffer, so that a
	// publish while disconnected fails at once.
	ReconnectBuffer int

	// ReconnectWait is the pause between attempts; 0 means
	// DefaultReconnectWait. Reconnection never gives up.
	ReconnectWait time.Duration

	// ConnectTimeout bounds Start's first connection; 0 means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// Logger receives disconnections, reconnections and asynchronous
	// errors; nil is silent.
	Logger *slog.Logger
}

// Conn is a NATS connection that reconnects on its own: a
// lifecycle.Component whose Ready reports whether it is connected now.
type Conn struct {
	cfg ConnConfig

	mu        sync.Mutex
	nc        *nats.Conn
	stopping  bool
	closed    chan struct{}
	listeners []func(connected bool)
}

// OnStateChange adds f to the functions called when the connection goes
// down (false) and when it is back (true), in the connection's callback
// goroutine: f must not block.
func (c *Conn) OnStateChange(f func(connected bool)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listeners = append(c.listeners, f)
}

func (c *Conn) stateChanged(connected bool) {
	c.mu.Lock()
	ls := c.listeners
	c.mu.Unlock()
	for _, f := range ls {
		f(connected)
	}
}

var _ lifecycle.Component = (*Conn)(nil)

// NewConn returns a connection that Start opens.
func NewConn(cfg ConnConfig) *Conn {
	if cfg.ReconnectBuffer == 0 {
		cfg.ReconnectBuffer = DefaultReconnectBuffer
	}
	if cfg.ReconnectWait == 0 {
		cfg.ReconnectWait = DefaultReconnectWait
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	return &Conn{cfg: cfg, closed: make(chan struct{})}
}

// Start connects, trying the servers until one answers within
// ConnectTimeout or ctx ends.
func (c *Conn) Start(ctx context.Context) error {
	urls := c.cfg.URLs
	if c.cfg.Server != nil {
		urls = []string{c.cfg.Server.ClientURL()}
	}
	if len(urls) == 0 {
		return fmt.Errorf("%w: no NATS server to connect to", ErrConfig)
	}
	log := c.cfg.Logger
	opts := []nats.Option{
		nats.Name(c.cfg.Name),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if log != nil && err != nil {
				log.Warn("NATS connection lost; reconnecting", "err", err)
			}
			c.stateChanged(false)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			if log != nil {
				log.Info("NATS connection restored", "server", nc.ConnectedUrlRedacted(), "reconnects", nc.Stats().Reconnects)
			}
			c.stateChanged(true)
		}),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(c.cfg.ReconnectWait),
		nats.ReconnectBufSize(c.cfg.ReconnectBuffer),
		nats.Timeout(c.cfg.ConnectTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(c.closed) }),
	}
	if log != nil {
		opts = append(opts,
			nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
				subject := ""
				if sub != nil {
					subject = sub.Subject
				}
				log.Warn("NATS error", "subject", subject, "err", err)
			}),
		)
	}
	type result struct {
		nc  *nats.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		nc, err := nats.Connect(strings.Join(urls, ","), opts...)
		done <- result{nc, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return fmt.Errorf("natsbus: connect %s: %w", strings.Join(urls, ","), r.err)
		}
		c.mu.Lock()
		c.nc = r.nc
		c.mu.Unlock()
		if log != nil {
			log.Info("connected to NATS", "server", r.nc.ConnectedUrlRedacted())
		}
		return nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.nc != nil {
				r.nc.Close()
			}
		}()
		return ctx.Err()
	}
}

// NATS returns the underlying connection, nil before Start.
func (c *Conn) NATS() *nats.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

// Ready returns nil while connected, ErrDisconnected while reconnecting,
// and lifecycle.ErrNotStarted before Start and once Shutdown has begun.
func (c *Conn) Ready() error {
	c.mu.Lock()
	nc, stopping := c.nc, c.stopping
	c.mu.Unlock()
	if nc == nil || stopping {
		return lifecycle.ErrNotStarted
	}
	if !nc.IsConnected() {
		return ErrDisconnected
	}
	return nil
}

// Wait returns once the connection is closed: nil after Shutdown, an error
// if it closed on its own (which, since reconnection never gives up, means
// the server refused it for good, for example on authorization).
func (c *Conn) Wait() error {
	<-c.closed
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return nil
	}
	if err := c.nc.LastError(); err != nil {
		return fmt.Errorf("natsbus: connection closed: %w", err)
	}
	return errors.New("natsbus: connection closed")
}

// Shutdown drains the connection, so that messages already published reach
// the server and those already received are handled, then closes it. When
// ctx ends first it closes the connection at once and returns ctx.Err().
func (c *Conn) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	nc := c.nc
	c.stopping = true
	c.mu.Unlock()
	if nc == nil {
		return nil
	}
	if err := nc.Drain(); err != nil {
		nc.Close()
	}
	select {
	case <-c.closed:
		return nil
	case <-ctx.Done():
		nc.Close()
		<-c.closed
		return ctx.Err()
	}
}
