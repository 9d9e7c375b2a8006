// Package netclass classifies network errors into a small set of classes
// that callers act on.
//
// A class decides whether to retry, which exit status a command returns
// and which counter a load generator bumps. Every netkit package that
// classifies an error uses Of, so a refused connection is "refused" in the
// HTTP client, the load generator and the commands' exit statuses alike.
//
// Of finds the class with errors.Is and errors.As on the error values of
// the standard library (net, os, syscall, context, crypto/tls,
// crypto/x509, net/http), never by matching message text, nor by the
// deprecated Temporary method. An error of a higher package names its own
// class by implementing Classer, so this package imports none of them.
//
// # Classes
//
//	class           meaning
//	dns             the host name did not resolve (a DNS timeout is "timeout")
//	refused         nothing listens on the port (ECONNREFUSED)
//	reset           the peer or the network broke the connection: reset, aborted, broken pipe
//	eof             the peer closed the stream before the exchange was complete
//	closed          this side closed the connection while it was in use (net.ErrClosed)
//	timeout         a deadline passed: the caller's context, a socket deadline, a client timeout
//	tls             the TLS handshake or the certificate failed
//	canceled        the caller canceled the context
//	addr            no local address, port or file descriptor was left
//	protocol        the peer broke the protocol (a malformed or unexpected answer)
//	http-4xx        the server answered with a 4xx status
//	http-5xx        the server answered with a 5xx status
//	redirects       too many redirects
//	body-too-large  a response body passed its size limit
//	other           anything else
//
// Three classes say that a connection ended early, because each points to
// a different cause. "eof" (io.EOF, io.ErrUnexpectedEOF) is an orderly
// close by the peer: a server at its connection limit, an idle timeout, a
// handler that gave up. "reset" is an abortive one: a crash, a full
// backlog, a middlebox. "closed" is this process's own doing, most often
// the fallout of an earlier failure on a shared connection, so a load
// report does not count it as one more reset by the server. The HTTP
// client retries "eof" and "reset" alike and not "closed", as it did
// before the classes were unified.
package netclass

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"reflect"
	"syscall"
)

// Class is the kind of failure behind an error.
type Class string

// The classes; the package doc's table says what each means.
const (
	DNS          Class = "dns"
	Refused      Class = "refused"
	Reset        Class = "reset"
	EOF          Class = "eof"
	Closed       Class = "closed"
	Timeout      Class = "timeout"
	TLS          Class = "tls"
	Canceled     Class = "canceled"
	Addr         Class = "addr"
	Protocol     Class = "protocol"
	HTTP4xx      Class = "http-4xx"
	HTTP5xx      Class = "http-5xx"
	Redirects    Class = "redirects"
	BodyTooLarge Class = "body-too-large"
	Other        Class = "other"
)

// Classes lists every class, in the order of the package doc's table.
var Classes = []Class{DNS, Refused, Reset, EOF, Closed, Timeout, TLS, Canceled, Addr, Protocol, HTTP4xx, HTTP5xx, Redirects, BodyTooLarge, Other}

// Classer is implemented by errors that know their class: a status error
// of an HTTP client, a protocol error of a load generator. Of asks the
// first one in an error's chain.
type Classer interface {
	NetClass() Class
}

// Of returns the class of err, "" for a nil error.
func Of(err error) Class {
	if err == nil {
		return ""
	}
	var c Classer
	if errors.As(err, &c) {
		if class := c.NetClass(); class != "" {
			return class
		}
	}
	var (
		de  *net.DNSError
		ne  net.Error
		mbe *http.MaxBytesError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return Timeout
	case errors.As(err, &de):
		if de.IsTimeout {
			return Timeout
		}
		return DNS
	case isTLS(err):
		return TLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return Reset
	case errors.Is(err, net.ErrClosed):
		return Closed
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// net/http reports a connection closed before the response as
		// io.EOF, and one closed inside a body with a Content-Length or
		// chunked framing as io.ErrUnexpectedEOF.
		return EOF
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE),
		errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return Addr
	case errors.As(err, &mbe):
		return BodyTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		// http.Client.Timeout and net/http's own header timeouts.
		return Timeout
	}
	return Other
}

// isTLS reports a handshake or certificate failure.
func isTLS(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		he  x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
		ae  tls.AlertError
	)
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) ||
		errors.As(err, &cie) || errors.As(err, &rhe) || errors.As(err, &ae) {
		return true
	}
	_, ok := PeerAlert(err)
	return ok
}

// PeerAlert returns the TLS alert the peer sent, when err is one: a
// server refusing the client's certificate answers with "certificate
// required" (none given), "unknown certificate authority" or "bad
// certificate" (another CA's). Over TCP, crypto/tls reports such an
// alert as a *net.OpError whose Err has its unexported alert type, which
// errors.As cannot name and which carries no tls.AlertError (that one
// only wraps the QUIC API's errors); so the OpError's Err is recognised
// by its type, a one-byte integer type of crypto/tls, and its value is
// returned as the exported tls.AlertError.
func PeerAlert(err error) (tls.AlertError, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return ae, true
	}
	var oe *net.OpError
	for errors.As(err, &oe) {
		if oe.Err == nil {
			return 0, false
		}
		v := reflect.ValueOf(oe.Err)
		if t := v.Type(); t.PkgPath() == "crypto/tls" && t.Kind() == reflect.Uint8 {
			return tls.AlertError(v.Uint()), true
		}
		err = oe.Err
	}
	return 0, false
}

// ForStatus returns the class of an HTTP error status: HTTP4xx or HTTP5xx,
// and "" for a status below 400.
func ForStatus(code int) Class {
	switch {
	case code >= 500:
		return HTTP5xx
	case code >= 400:
		return HTTP4xx
	}
	return ""
}

// IsStatus reports whether c is the class of an HTTP error status: the
// server answered.
func IsStatus(c Class) bool { return c == HTTP4xx || c == HTTP5xx }

// New returns an error with message text whose class is c, for sentinel
// errors such as a client's "response body too large".
func New(c Class, text string) error { return &classed{c, text} }

type classed struct {
	class Class
	text  string
}

// Error returns the text given to New.
func (e *classed) Error() string { return e.text }

// NetClass returns the class given to New.
func (e *classed) NetClass() Class { return e.class }
