package netclass_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/netclass"
)

// protocolError is a higher package's error that names its class.
type protocolError struct{}

func (protocolError) Error() string            { return "bad frame" }
func (protocolError) NetClass() netclass.Class { return netclass.Protocol }

// unclassed is an error that implements Classer but has no class of its
// own: Of looks at its cause instead.
type unclassed struct{ err error }

func (e unclassed) Error() string          { return "wrapped: " + e.err.Error() }
func (e unclassed) Unwrap() error          { return e.err }
func (unclassed) NetClass() netclass.Class { return "" }

func opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
}

// TestOf pins each class to real error values, wrapped as callers see them.
func TestOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want netclass.Class
	}{
		{"nil", nil, ""},
		{"no such host", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, netclass.DNS},
		{"dns server failure", &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, netclass.DNS},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, netclass.Timeout},
		{"refused", opErr("dial", syscall.ECONNREFUSED), netclass.Refused},
		{"reset", opErr("read", syscall.ECONNRESET), netclass.Reset},
		{"aborted", opErr("read", syscall.ECONNABORTED), netclass.Reset},
		{"broken pipe", opErr("write", syscall.EPIPE), netclass.Reset},
		{"closed on this side", &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}, netclass.Closed},
		{"end of stream", io.EOF, netclass.EOF},
		{"cut body", fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), netclass.EOF},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), netclass.Timeout},
		{"socket deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, netclass.Timeout},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), netclass.Canceled},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, netclass.TLS},
		{"hostname", x509.HostnameError{Host: "x"}, netclass.TLS},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, netclass.TLS},
		{"not tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, netclass.TLS},
		{"alert", fmt.Errorf("remote error: %w", tls.AlertError(42)), netclass.TLS},
		{"no port left", opErr("connect", syscall.EADDRNOTAVAIL), netclass.Addr},
		{"no descriptor left", opErr("socket", syscall.EMFILE), netclass.Addr},
		{"classer", fmt.Errorf("rpc: %w", protocolError{}), netclass.Protocol},
		{"classer without a class", unclassed{opErr("dial", syscall.ECONNREFUSED)}, netclass.Refused},
		{"classer before its cause", fmt.Errorf("%w: %w", protocolError{}, io.EOF), netclass.Protocol},
		{"sentinel", fmt.Errorf("get: %w", netclass.New(netclass.Redirects, "too many redirects")), netclass.Redirects},
		{"max bytes", &http.MaxBytesError{Limit: 10}, netclass.BodyTooLarge},
		{"status 404", netclass.New(netclass.ForStatus(404), "HTTP 404"), netclass.HTTP4xx},
		{"status 503", netclass.New(netclass.ForStatus(503), "HTTP 503"), netclass.HTTP5xx},
		{"message text is not read", errors.New("connection refused"), netclass.Other},
	}
	seen := map[netclass.Class]bool{}
	for _, tt := range tests {
		got := netclass.Of(tt.err)
		if got != tt.want {
			t.Errorf("%s: Of(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
		seen[got] = true
	}
	for _, c := range netclass.Classes {
		if !seen[c] {
			t.Errorf("class %q has no row in the table", c)
		}
	}
}

// TestOfSockets classifies the errors that real connections on the
// loopback interface return.
func TestOfSockets(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *net.TCPConn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c.(*net.TCPConn)
		}
	}()
	// connect returns a client connection after the server has acted on
	// its end.
	connect := func(t *testing.T, server func(*net.TCPConn)) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if server != nil {
			server(<-accepted)
		}
		return c
	}
	read := func(c net.Conn) error {
		_, err := c.Read(make([]byte, 1))
		return err
	}

	refusedAddr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		return l.Addr().String()
	}()

	tests := []struct {
		name string
		err  func(t *testing.T) error
		want netclass.Class
	}{
		{"refused", func(t *testing.T) error {
			_, err := net.Dial("tcp", refusedAddr)
			return err
		}, netclass.Refused},
		{"peer closed", func(t *testing.T) error {
			return read(connect(t, func(s *net.TCPConn) { s.Close() }))
		}, netclass.EOF},
		{"peer reset", func(t *testing.T) error {
			return read(connect(t, func(s *net.TCPConn) {
				s.SetLinger(0) // close with RST
				s.Close()
			}))
		}, netclass.Reset},
		{"closed on this side", func(t *testing.T) error {
			c := connect(t, func(s *net.TCPConn) { t.Cleanup(func() { s.Close() }) })
			c.Close()
			return read(c)
		}, netclass.Closed},
		{"read deadline", func(t *testing.T) error {
			c := connect(t, func(s *net.TCPConn) { t.Cleanup(func() { s.Close() }) })
			c.SetReadDeadline(time.Now())
			return read(c)
		}, netclass.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if got := netclass.Of(err); got != tt.want {
				t.Errorf("Of(%v) = %q, want %q", err, got, tt.want)
			}
		})
	}
}

func TestForStatus(t *testing.T) {
	for code, want := range map[int]netclass.Class{200: "", 302: "", 400: netclass.HTTP4xx, 429: netclass.HTTP4xx, 500: netclass.HTTP5xx, 599: netclass.HTTP5xx} {
		if got := netclass.ForStatus(code); got != want {
			t.Errorf("ForStatus(%d) = %q, want %q", code, got, want)
		}
		if netclass.IsStatus(want) != (want != "") {
			t.Errorf("IsStatus(%q) = %v", want, netclass.IsStatus(want))
		}
	}
}

func ExampleOf() {
	_, err := net.Dial("tcp", "127.0.0.1:1") // nothing listens on port 1
	fmt.Println(netclass.Of(err))
	fmt.Println(netclass.Of(fmt.Errorf("fetch: %w", context.DeadlineExceeded)))
	// Output:
	// refused
	// timeout
}

// TestPeerAlert: a server refusing the client's certificate (none, or
// another CA's) makes the client's handshake or first read fail with the
// server's alert, over TLS 1.2 and 1.3 alike; that is class tls, and
// PeerAlert reads the alert.
func TestPeerAlert(t *testing.T) {
	ca, other := testnet.NewCA(t), testnet.NewCA(t)
	cert, key := ca.Server("server")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	clientCert := func(ca *testnet.CA) []tls.Certificate {
		c, k := ca.Client("client")
		p, err := tls.LoadX509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return []tls.Certificate{p}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	testnet.Handle(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		c.(*tls.Conn).Handshake()
	})
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for name, certs := range map[string][]tls.Certificate{"none": nil, "another CA's": clientCert(other)} {
			c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
				RootCAs: ca.Pool(), Certificates: certs, MinVersion: version, MaxVersion: version,
			})
			if err == nil {
				// TLS 1.3 finishes the client's handshake first: the
				// refusal comes with the first read.
				c.SetDeadline(time.Now().Add(10 * time.Second))
				_, err = c.Read(make([]byte, 1))
				c.Close()
			}
			alert, ok := netclass.PeerAlert(err)
			if got := netclass.Of(err); got != netclass.TLS || !ok {
				t.Errorf("TLS %x, client certificate %s: Of(%v) = %q, PeerAlert ok %v; want tls", version, name, err, got, ok)
			}
			t.Logf("TLS %x, client certificate %s: %v (alert %d)", version, name, err, alert)
		}
	}
	if _, ok := netclass.PeerAlert(io.EOF); ok {
		t.Error("PeerAlert(io.EOF) reports an alert")
	}
	if _, ok := netclass.PeerAlert(opErr("read", syscall.ECONNRESET)); ok {
		t.Error("PeerAlert(a reset) reports an alert")
	}
}
