package httpclient

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
)

// Class names the kind of failure behind an error, the way a caller
// decides what to do about it.
type Class string

const (
	ClassDNS          Class = "dns"            // the host name did not resolve
	ClassRefused      Class = "refused"        // nothing listens on the port
	ClassReset        Class = "reset"          // the connection broke, also in the middle of a body
	ClassTimeout      Class = "timeout"        // an attempt or the whole call ran out of time
	ClassTLS          Class = "tls"            // handshake or certificate failure
	ClassStatus       Class = "status"         // the server answered with a 4xx or 5xx status
	ClassCanceled     Class = "canceled"       // the caller canceled the context
	ClassRedirects    Class = "redirects"      // too many redirects
	ClassBodyTooLarge Class = "body-too-large" // the response body exceeded the cap
	ClassOther        Class = "other"          // anything else
)

var (
	// ErrBodyTooLarge: a response body exceeded Client.MaxBody. The body
	// is never truncated silently.
	ErrBodyTooLarge = errors.New("httpclient: response body too large")
	// ErrTooManyRedirects: the request was redirected more than
	// Client.MaxRedirects times.
	ErrTooManyRedirects = errors.New("httpclient: too many redirects")
)

// StatusError is the cause of a ClassStatus error: the server answered, with
// a status of 400 or more.
type StatusError struct {
	StatusCode int
	Status     string // the reason phrase as sent, or Go's for the code
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Status)
}

// Error is the error every Client call returns: what was requested, the
// class of the failure, the status code for ClassStatus, the number of
// attempts made, and the cause.
type Error struct {
	Op         string // the method
	URL        string
	Class      Class
	StatusCode int // for ClassStatus
	Attempts   int // attempts made, the first included
	Err        error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s: %v", e.Op, e.URL, e.Class, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the failure is worth another attempt (see
// Retryable).
func (e *Error) Retryable() bool { return retryableClass(e.Class, e.StatusCode, e.Err) }

// Retryable reports whether err is a transient failure worth another
// attempt: refused connections, resets, timeouts, DNS failures other than
// "no such host", and the statuses 429, 500, 502, 503 and 504. Whether the
// request may be repeated at all (its method, its Idempotency-Key) is a
// separate question the Client asks first.
func Retryable(err error) bool {
	class := Classify(err)
	var se *StatusError
	code := 0
	if errors.As(err, &se) {
		code = se.StatusCode
	}
	return retryableClass(class, code, err)
}

func retryableClass(class Class, code int, err error) bool {
	switch class {
	case ClassRefused, ClassReset, ClassTimeout:
		return true
	case ClassDNS:
		// NXDOMAIN is an answer, not a transient failure: asking again
		// gets the same one.
		var de *net.DNSError
		return !(errors.As(err, &de) && de.IsNotFound)
	case ClassStatus:
		return StatusRetryable(code)
	}
	return false
}

// Classify returns the class of err, found with errors.As and errors.Is on
// the errors net, net/http, crypto/tls and crypto/x509 return: never by
// matching message text, nor by the deprecated Temporary method. A nil
// error has the class "".
func Classify(err error) Class {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	var (
		se   *StatusError
		de   *net.DNSError
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		he   x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		ae   tls.AlertError
		ne   net.Error
		mbe  *http.MaxBytesError
		tlsE = func() bool {
			return errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &he) ||
				errors.As(err, &cie) || errors.As(err, &rhe) || errors.As(err, &ae)
		}
	)
	switch {
	case errors.As(err, &se):
		return ClassStatus
	case errors.Is(err, ErrBodyTooLarge), errors.As(err, &mbe):
		return ClassBodyTooLarge
	case errors.Is(err, ErrTooManyRedirects):
		return ClassRedirects
	case errors.Is(err, context.Canceled):
		return ClassCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout
	case errors.As(err, &de):
		if de.IsTimeout {
			return ClassTimeout
		}
		return ClassDNS
	case tlsE():
		return ClassTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// net/http reports a connection closed before the response as
		// io.EOF, and one closed inside a body with a Content-Length or
		// chunked framing as io.ErrUnexpectedEOF.
		return ClassReset
	case errors.As(err, &ne) && ne.Timeout():
		// http.Client.Timeout and net/http's own header timeouts.
		return ClassTimeout
	}
	return ClassOther
}
