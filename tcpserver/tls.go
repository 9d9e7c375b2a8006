package tcpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/internal/ratelog"
	"github.com/netkit-dev/netkit/stream"
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

// tlsCounters are the TLSStats of a Server or a TLSListener.
type tlsCounters struct {
	ok, resumed, plaintext, timeout, refused atomic.Int64
}

func (t *tlsCounters) stats() TLSStats {
	return TLSStats{
		Handshakes: t.ok.Load(),
		Resumed:    t.resumed.Load(),
		Plaintext:  t.plaintext.Load(),
		Timeouts:   t.timeout.Load(),
		Refused:    t.refused.Load(),
	}
}

// TLSStats returns the TLS handshake counters; all zero without
// TLSConfig.
func (s *Server) TLSStats() TLSStats { return s.st.tls.stats() }

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
	reason, err := runHandshake(ctx, tc, s.handshakeTimeout(), &s.st.tls, &s.tlsLog, s.Logger)
	if err != nil {
		if reason == tlsRefused && ctx.Err() == nil && s.linger() >= 0 {
			// A TLS peer refused, say for its client certificate: under
			// TLS 1.3 it has finished its side of the handshake and may
			// already be sending, so the alert must not be lost to a
			// reset.
			lingerClose(tc.NetConn(), s.linger())
		}
		c.eof = true // close without lingering: the handshake is over
		return false
	}
	return true
}

// runHandshake runs tc's server handshake within timeout and counts it
// in st. A failure is logged through lim, at most once a second per
// reason, unless ctx ended (the server is closing); it returns the
// reason with the error.
func runHandshake(ctx context.Context, tc *tls.Conn, timeout time.Duration, st *tlsCounters, lim *ratelog.Limiter, logger *slog.Logger) (reason string, err error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	err = tc.HandshakeContext(hctx)
	cancel()
	if err == nil {
		st.ok.Add(1)
		if tc.ConnectionState().DidResume {
			st.resumed.Add(1)
		}
		return "", nil
	}
	var rhe tls.RecordHeaderError
	var nte *NotTLSError
	reason = tlsRefused
	switch {
	case errors.As(err, &nte) || errors.As(err, &rhe):
		reason = tlsPlaintext
		st.plaintext.Add(1)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		reason = tlsTimeout
		st.timeout.Add(1)
	default:
		st.refused.Add(1)
	}
	if ctx.Err() == nil {
		lim.Warn(logger, reason, "TLS handshake failed; connection closed", "remote", tc.RemoteAddr().String(), "reason", reason, "err", err)
	}
	return reason, err
}

// recordTypeHandshake is the content type of a TLS handshake record.
// A TLS client's first record carries its ClientHello, so every TLS
// connection's first byte is this one.
const recordTypeHandshake = 0x16

// NotTLSError is the handshake error of a connection whose first byte
// is no TLS handshake record: plaintext sent to a TLS port.
type NotTLSError struct {
	// Prefix is what the first read returned, which starts with the
	// offending byte.
	Prefix []byte
}

func (e *NotTLSError) Error() string {
	return fmt.Sprintf("first byte %#02x is no TLS handshake record: plaintext sent to a TLS port", e.Prefix[0])
}

// sniffTLS reports whether p, the first bytes a client sent, may begin
// a TLS connection. One byte decides: crypto/tls itself only gives up
// once it has a whole 5-byte record header, so a plaintext line shorter
// than that ("hi\n") would wait for the handshake timeout.
func sniffTLS(p []byte) bool {
	return len(p) == 0 || p[0] == recordTypeHandshake
}

// sniffConn sits under a server's tls.Conn and fails its first read
// with a *NotTLSError when the client's first byte cannot begin a TLS
// connection, so that the handshake ends at once.
type sniffConn struct {
	net.Conn
	checked bool // only the handshake reads before it is set: no lock needed
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.checked && n > 0 {
		c.checked = true
		if !sniffTLS(p[:n]) {
			return 0, &NotTLSError{Prefix: bytes.Clone(p[:n])}
		}
	}
	return n, err
}

// CloseWrite sends FIN on the connection underneath, so that a refused
// TLS peer's connection can be closed with a lingering close.
func (c *sniffConn) CloseWrite() error { return stream.CloseWrite(c.Conn) }

// httpMethodPrefixes are the record headers net/http takes for an HTTP
// request sent to an HTTPS server (tlsRecordHeaderLooksLikeHTTP).
var httpMethodPrefixes = []string{"GET /", "HEAD ", "POST ", "PUT /", "OPTIO"}

// looksLikeHTTP reports whether p, the first bytes of a plaintext
// client, begin an HTTP request the way net/http recognises one. Fewer
// than 5 bytes match when they begin one of its prefixes: the first read
// may end early, and the sniffing does not wait for more.
func looksLikeHTTP(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	p = p[:min(len(p), 5)]
	for _, m := range httpMethodPrefixes {
		if bytes.HasPrefix([]byte(m), p) {
			return true
		}
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
