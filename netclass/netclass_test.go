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

	"github.com/netkit-dev/netkit/netclass"
)

// protocolError is a higher package's error that names its class.
type protocolError struct{}

func (protocolError) Error() string            { return "bad frame" }
func (protocolError) NetClass() netclass.Class { return netclass.Protocol }

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
		{"closed under the caller", fmt.Errorf("read: %w", net.ErrClosed), netclass.Reset},
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
