package tcpserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"time"
)

// DefaultHandshakeTimeout bounds a TLS handshake when
// Server.HandshakeTimeout is zero.
const DefaultHandshakeTimeout = 10 * time.Second

// Why a TLS handshake failed, the reason label of
// netkit_tls_handshake_failures_total.
const (
	tlsPlaintext = "plaintext" // the first bytes were no TLS record: plaintext to a TLS port
	tlsTimeout   = "timeout"   // not finished within HandshakeTimeout
	tlsRefused   = "handshake" // anything else: a bad ClientHello, no common version, a client certificate refused
)

// TLSStats counts TLS handshakes.
type TLSStats struct {
	Handshakes int64 // completed
	Resumed    int64 // of them, resumed sessions
	Plaintext  int64 // failed: plaintext to a TLS port
	Timeouts   int64 // failed: not finished within HandshakeTimeout
	Refused    int64 // failed otherwise
}

// TLSStats returns the TLS handshake counters; all zero without
// TLSConfig.
func (s *Server) TLSStats() TLSStats {
	return TLSStats{
		Handshakes: s.st.tlsOK.Load(),
		Resumed:    s.st.tlsResumed.Load(),
		Plaintext:  s.st.tlsPlaintext.Load(),
		Timeouts:   s.st.tlsTimeout.Load(),
		Refused:    s.st.tlsRefused.Load(),
	}
}

func (s *Server) handshakeTimeout() time.Duration {
	return orDefault(s.HandshakeTimeout, DefaultHandshakeTimeout)
}

// handshake runs the TLS handshake of a connection that TLSConfig
// serves, within HandshakeTimeout and before the handler sees it. A
// failure is counted and logged (at most once a second per reason, so
// that a flood of bad clients cannot flood the log), and the connection
// is closed at once.
func (c *Conn) handshake(ctx context.Context, tc *tls.Conn) bool {
	s := c.srv
	hctx, cancel := context.WithTimeout(ctx, s.handshakeTimeout())
	err := tc.HandshakeContext(hctx)
	cancel()
	if err == nil {
		s.st.tlsOK.Add(1)
		if tc.ConnectionState().DidResume {
			s.st.tlsResumed.Add(1)
		}
		return true
	}
	c.eof = true // close without lingering: the client is no TLS peer
	var rhe tls.RecordHeaderError
	reason := tlsRefused
	switch {
	case errors.As(err, &rhe):
		reason = tlsPlaintext
		s.st.tlsPlaintext.Add(1)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		reason = tlsTimeout
		s.st.tlsTimeout.Add(1)
	default:
		s.st.tlsRefused.Add(1)
	}
	if ctx.Err() == nil {
		s.tlsLog.Warn(s.Logger, reason, "TLS handshake failed; connection closed", "remote", c.RemoteAddr().String(), "reason", reason, "err", err)
	}
	return false
}

// TLS returns the connection's TLS state, or nil when it is no TLS
// connection. With mutual TLS, tlsconf.PeerName reads the client's name
// from it.
func (c *Conn) TLS() *tls.ConnectionState {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	return &st
}

// keepAlive sets TCP keep-alive on an accepted connection.
func (s *Server) keepAlive(nc net.Conn) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	if ka := orDefault(s.KeepAlive, DefaultKeepAlive); ka > 0 {
		tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: ka, Interval: ka, Count: 9})
	} else {
		tc.SetKeepAlive(false)
	}
}
