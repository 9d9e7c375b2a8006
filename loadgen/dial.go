package loadgen

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/netclass"
)

// dialer opens the run's connections: bound in turn to each source
// address, and during set-up paced by RampRate and DialConcurrency.
type dialer struct {
	cfg     *Config
	dialers []*net.Dialer
	next    atomic.Uint64
	dials   atomic.Int64
	resumed atomic.Int64 // TLS handshakes that resumed a session
	tls     *tls.Config  // Config.TLS with the server name set; nil for plain TCP and HTTP
	sem     chan struct{}

	rampMu   sync.Mutex
	rampNext time.Time
}

func newDialer(cfg *Config) (*dialer, error) {
	d := &dialer{cfg: cfg, sem: make(chan struct{}, cfg.dialConcurrency())}
	if cfg.TLS != nil && cfg.Target != HTTP {
		d.tls = cfg.TLS
		if d.tls.ServerName == "" && !d.tls.InsecureSkipVerify {
			// What tls.Dialer would verify: the address's host. The
			// clone shares the session cache.
			host, _, err := net.SplitHostPort(cfg.Addr)
			if err != nil {
				return nil, err
			}
			d.tls = d.tls.Clone()
			d.tls.ServerName = host
		}
	}
	if len(cfg.SourceAddrs) == 0 {
		d.dialers = []*net.Dialer{{Timeout: cfg.timeout()}}
	}
	for _, a := range cfg.SourceAddrs {
		d.dialers = append(d.dialers, &net.Dialer{
			Timeout:   cfg.timeout(),
			LocalAddr: &net.TCPAddr{IP: a.AsSlice()},
			Control:   bindNoPort,
		})
	}
	return d, nil
}

// dial opens one connection to addr from the next source address.
func (d *dialer) dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := d.pick().DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &RequestError{Op: "dial", Class: netclass.Of(err), Err: err}
	}
	if d.tls != nil {
		tc := tls.Client(c, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return nil, &RequestError{Op: "handshake", Class: netclass.Of(err), Err: err}
		}
		if tc.ConnectionState().DidResume {
			d.resumed.Add(1)
		}
		return tc, nil
	}
	return c, nil
}

// pick counts a dial and returns the dialer of the next source address.
func (d *dialer) pick() *net.Dialer {
	d.dials.Add(1)
	return d.dialers[int(d.next.Add(1)-1)%len(d.dialers)]
}

// paced waits for a set-up dial slot (concurrency and ramp rate), then
// runs fn.
func (d *dialer) paced(ctx context.Context, fn func() error) error {
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-d.sem }()
	if r := d.cfg.RampRate; r > 0 {
		d.rampMu.Lock()
		now := time.Now()
		at := d.rampNext
		if at.Before(now) {
			at = now
		}
		d.rampNext = at.Add(time.Duration(float64(time.Second) / r))
		d.rampMu.Unlock()
		if wait := time.Until(at); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	return fn()
}

// openIdle opens up to n connections to the target's address and returns
// those that succeeded. A connection the server closes is not replaced.
func (d *dialer) openIdle(ctx context.Context, n int) []net.Conn {
	if n <= 0 {
		return nil
	}
	var (
		mu    sync.Mutex
		conns = make([]net.Conn, 0, n)
		wg    sync.WaitGroup
		fails atomic.Int64
	)
	for range n {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = d.paced(ctx, func() error {
				c, err := d.dial(ctx, d.cfg.Addr)
				if err != nil {
					fails.Add(1)
					return err
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				return nil
			})
		}()
	}
	wg.Wait()
	if f := fails.Load(); f > 0 {
		d.cfg.logf(slog.LevelWarn, "idle connections failed", "failed", f, "open", len(conns))
	}
	return conns
}

func reqErr(op string, err error) error {
	return &RequestError{Op: op, Class: netclass.Of(err), Err: err}
}
