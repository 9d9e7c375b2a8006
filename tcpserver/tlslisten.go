package tcpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netkit-dev/netkit/internal/ratelog"
)

// TLSListenerOptions configures a TLSListener.
type TLSListenerOptions struct {
	// HandshakeTimeout bounds each handshake; zero means
	// DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// Logger receives the failed handshakes, at most one line a second
	// per reason; nil is silent.
	Logger *slog.Logger
	// AnswerHTTP answers plaintext that begins an HTTP request with
	// net/http's "400 Bad Request: Client sent an HTTP request to an
	// HTTPS server" before closing it.
	AnswerHTTP bool
	// MaxHandshakes bounds the handshakes in progress at once; zero
	// means DefaultMaxConns. At the bound the listener stops accepting,
	// leaving new connections in the kernel's backlog, until one ends:
	// each handshake holds a goroutine and a socket for up to the
	// handshake timeout, and the per-address limits do not bound their
	// sum over many addresses.
	MaxHandshakes int
}

// TLSListener serves TLS on the connections of another listener the way
// Server does on its own, for listeners that Server does not serve (the
// HTTP ones): each connection's handshake runs in a goroutine of its
// own, within the handshake timeout, and Accept returns only connections
// whose handshake succeeded. A failure is counted in TLSStats and logged
// at most once a second per reason; plaintext is closed as soon as its
// first byte arrives. (tls.NewListener leaves the handshake to
// http.Server, which bounds it by its header timeout and logs every
// failure.)
type TLSListener struct {
	ln     net.Listener
	config *tls.Config
	opts   TLSListenerOptions

	ctx       context.Context // cancelled by Close: ends the handshakes
	cancel    context.CancelFunc
	ready     chan net.Conn
	errs      chan error
	closeOnce sync.Once
	wg        sync.WaitGroup // the accept loop and the handshakes
	slots     chan struct{}  // one per handshake in progress, up to MaxHandshakes

	st  tlsCounters
	log ratelog.Limiter
}

// NewTLSListener returns a listener that accepts ln's connections and
// serves TLS with config on them.
func NewTLSListener(ln net.Listener, config *tls.Config, opts TLSListenerOptions) *TLSListener {
	max := opts.MaxHandshakes
	if max <= 0 {
		max = DefaultMaxConns
	}
	l := &TLSListener{ln: ln, config: config, opts: opts, ready: make(chan net.Conn), errs: make(chan error),
		slots: make(chan struct{}, max)}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// acceptLoop accepts connections and starts their handshakes. Accept
// errors go to Accept's caller, which decides whether to go on (as
// http.Server does for temporary ones) or to Close.
func (l *TLSListener) acceptLoop() {
	defer l.wg.Done()
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		nc, err := l.ln.Accept()
		if err != nil {
			<-l.slots
			select {
			case l.errs <- err:
			case <-l.ctx.Done():
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		l.wg.Add(1)
		go l.handshake(nc)
	}
}

func (l *TLSListener) handshake(nc net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()
	tc := tls.Server(&sniffConn{Conn: nc}, l.config)
	timeout := orDefault(l.opts.HandshakeTimeout, DefaultHandshakeTimeout)
	reason, err := runHandshake(l.ctx, tc, timeout, &l.st, &l.log, l.opts.Logger)
	if err != nil {
		if reason == tlsRefused && l.ctx.Err() == nil {
			// As Server does: the alert of a refused TLS peer must not
			// be lost to a reset.
			lingerClose(nc, DefaultLinger)
			return
		}
		var nte *NotTLSError
		if l.opts.AnswerHTTP && errors.As(err, &nte) && looksLikeHTTP(nte.Prefix) {
			// net/http's own answer, which it gives when it runs the
			// handshake itself; bounded so that a client that reads
			// nothing cannot hold the goroutine.
			nc.SetWriteDeadline(time.Now().Add(timeout))
			io.WriteString(nc, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
		}
		nc.Close()
		return
	}
	select {
	case l.ready <- tc:
	case <-l.ctx.Done():
		tc.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *TLSListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.ctx.Done():
		return nil, net.ErrClosed
	}
}

// Close closes the listener, ends the handshakes in progress and waits
// for their goroutines. Connections already accepted stay open.
func (l *TLSListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.ln.Close()
		l.cancel()
		l.wg.Wait()
	})
	return err
}

// Addr returns the listener's address.
func (l *TLSListener) Addr() net.Addr { return l.ln.Addr() }

// TLSStats returns the listener's handshake counters.
func (l *TLSListener) TLSStats() TLSStats { return l.st.stats() }

// TLSCollector exports a TLSListener's handshake counters under the
// same metrics as Collector's, labelled service=NAME.
type TLSCollector struct {
	l *TLSListener
	d tlsDescs
}

// NewTLSCollector returns a collector of l's handshakes.
func NewTLSCollector(l *TLSListener, service string) *TLSCollector {
	return &TLSCollector{l: l, d: newTLSDescs(service)}
}

// Describe implements prometheus.Collector.
func (c *TLSCollector) Describe(ch chan<- *prometheus.Desc) { c.d.describe(ch) }

// Collect implements prometheus.Collector.
func (c *TLSCollector) Collect(ch chan<- prometheus.Metric) { c.d.collect(ch, c.l.TLSStats()) }
