package tcpserver

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/internal/ratelog"
)

// Defaults of netkit serve's per-address limits.
const (
	DefaultMaxConnsPerIP   = 256
	DefaultAcceptRatePerIP = 50  // connections a second
	DefaultAcceptBurst     = 100 // at once
)

// IPLimits bounds what one client address may do. IPv6 clients are
// counted by /64, the block one host or home gets, so that a client
// cannot escape the limits by changing its address within it.
type IPLimits struct {
	// MaxConns is the most connections open at once from one address;
	// 0 means no limit.
	MaxConns int
	// Rate is how many connections a second one address may open on
	// average, and Burst how many at once (a token bucket); a zero Rate
	// means no limit, a zero Burst means 2×Rate.
	Rate  float64
	Burst int
	// Loopback applies the limits to loopback clients too; without it
	// they are exempt, so that local load tests keep their thousands of
	// connections.
	Loopback bool
}

func (l IPLimits) enabled() bool { return l.MaxConns > 0 || l.Rate > 0 }

// Errors of IPLimiter.Admit.
var (
	ErrIPConns = errors.New("tcpserver: too many connections from this address")
	ErrIPRate  = errors.New("tcpserver: connections from this address too fast")
)

// IPLimiter applies IPLimits to accepted connections.
type IPLimiter struct {
	limits IPLimits

	mu      sync.Mutex
	clients map[netip.Prefix]*ipClient
	admits  int // since the last prune

	refusedConns, refusedRate atomic.Int64
	log                       ratelog.Limiter
}

type ipClient struct {
	conns  int
	tokens float64
	last   time.Time
}

// NewIPLimiter returns a limiter for limits.
func NewIPLimiter(limits IPLimits) *IPLimiter {
	if limits.Rate > 0 && limits.Burst <= 0 {
		limits.Burst = int(2 * limits.Rate)
	}
	return &IPLimiter{limits: limits, clients: map[netip.Prefix]*ipClient{}}
}

// Refused returns the connections refused so far, over MaxConns and over
// the rate.
func (l *IPLimiter) Refused() (conns, rate int64) {
	return l.refusedConns.Load(), l.refusedRate.Load()
}

// key is the client's address, or its /64 for IPv6; false for an address
// the limits leave alone (loopback, unless Loopback, or not IP).
func (l *IPLimiter) key(a net.Addr) (netip.Prefix, bool) {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Prefix{}, false
	}
	ip := ap.Addr().Unmap()
	if ip.IsLoopback() && !l.limits.Loopback {
		return netip.Prefix{}, false
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p, true
}

// Admit decides on a connection from addr: nil and the function to call
// when the connection closes, or ErrIPConns or ErrIPRate.
func (l *IPLimiter) Admit(addr net.Addr) (release func(), err error) {
	if l == nil || !l.limits.enabled() {
		return func() {}, nil
	}
	k, ok := l.key(addr)
	if !ok {
		return func() {}, nil
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.clients[k]
	if c == nil {
		c = &ipClient{tokens: float64(l.limits.Burst), last: now}
		l.clients[k] = c
	}
	if l.limits.Rate > 0 {
		c.tokens = min(float64(l.limits.Burst), c.tokens+now.Sub(c.last).Seconds()*l.limits.Rate)
		c.last = now
		if c.tokens < 1 {
			l.refusedRate.Add(1)
			return nil, ErrIPRate
		}
	}
	if l.limits.MaxConns > 0 && c.conns >= l.limits.MaxConns {
		l.refusedConns.Add(1)
		return nil, ErrIPConns
	}
	if l.limits.Rate > 0 {
		c.tokens--
	}
	c.conns++
	if l.admits++; l.admits >= 4096 {
		l.prune(now)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			c.conns--
			l.mu.Unlock()
		})
	}, nil
}

// prune forgets the addresses with no connection whose bucket has
// refilled, so that the map holds only clients that matter; the caller
// holds mu.
func (l *IPLimiter) prune(now time.Time) {
	l.admits = 0
	refill := time.Duration(0)
	if l.limits.Rate > 0 {
		refill = time.Duration(float64(l.limits.Burst) / l.limits.Rate * float64(time.Second))
	}
	for k, c := range l.clients {
		if c.conns == 0 && now.Sub(c.last) >= refill {
			delete(l.clients, k)
		}
	}
}

// refuse closes a connection Admit refused, and logs it at most once a
// second per reason.
func (l *IPLimiter) refuse(nc net.Conn, err error, logger *slog.Logger, service string) {
	nc.Close()
	if logger == nil {
		return
	}
	reason := "conns"
	if errors.Is(err, ErrIPRate) {
		reason = "rate"
	}
	l.log.Warn(logger, reason, "connection refused: per-address limit", "service", service, "remote", nc.RemoteAddr().String(), "reason", reason)
}

// LimitListener wraps ln so that it applies l to the connections it
// accepts, for listeners that tcpserver does not serve (the HTTP ones):
// a refused connection is closed at once, before any read.
func LimitListener(ln net.Listener, l *IPLimiter, logger *slog.Logger, service string) net.Listener {
	return &limitListener{Listener: ln, l: l, logger: logger, service: service}
}

type limitListener struct {
	net.Listener
	l       *IPLimiter
	logger  *slog.Logger
	service string
}

func (ll *limitListener) Accept() (net.Conn, error) {
	for {
		nc, err := ll.Listener.Accept()
		if err != nil {
			return nil, err
		}
		release, err := ll.l.Admit(nc.RemoteAddr())
		if err != nil {
			ll.l.refuse(nc, err, ll.logger, ll.service)
			continue
		}
		return &releaseConn{Conn: nc, release: release}, nil
	}
}

// releaseConn gives its place back to the limiter when closed.
type releaseConn struct {
	net.Conn
	release func()
}

func (c *releaseConn) Close() error {
	c.release()
	return c.Conn.Close()
}
