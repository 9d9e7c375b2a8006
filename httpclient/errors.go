package httpclient

import (
	"errors"
	"fmt"
	"net"

	"github.com/netkit-dev/netkit/netclass"
)

var (
	// ErrBodyTooLarge is returned when a response body exceeds
	// Client.MaxBody; the body is never truncated silently. Its class is
	// netclass.BodyTooLarge.
	ErrBodyTooLarge = netclass.New(netclass.BodyTooLarge, "httpclient: response body too large")
	// ErrTooManyRedirects is returned when the request was redirected more
	// than Client.MaxRedirects times. Its class is netclass.Redirects.
	ErrTooManyRedirects = netclass.New(netclass.Redirects, "httpclient: too many redirects")
)

// StatusError is the cause of an error for an HTTP status of 400 or more:
// the server answered. Its class is netclass.HTTP4xx or netclass.HTTP5xx.
type StatusError struct {
	StatusCode int    // 400 or more
	Status     string // the reason phrase as sent, or Go's for the code
}

// Error returns the code and the reason phrase.
func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.StatusCode, e.Status)
}

// NetClass implements netclass.Classer.
func (e *StatusError) NetClass() netclass.Class { return netclass.ForStatus(e.StatusCode) }

// Error is the error every Client call returns: what was requested, the
// class of the failure, the status code for an HTTP error status, the
// number of attempts made, and the cause.
type Error struct {
	Op         string         // the method
	URL        string         // the request's URL, resolved against Client.BaseURL when it could be
	Class      netclass.Class // the class of the failure
	StatusCode int            // for netclass.HTTP4xx and netclass.HTTP5xx
	Attempts   int            // attempts made, the first included
	Err        error          // the cause; errors.As finds a *StatusError for an error status
}

// Error returns the method, the URL, the class and the cause.
func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %s: %v", e.Op, e.URL, e.Class, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NetClass implements netclass.Classer.
func (e *Error) NetClass() netclass.Class { return e.Class }

// Retryable reports whether the failure is worth another attempt (see
// Retryable).
func (e *Error) Retryable() bool { return retryableClass(e.Class, e.StatusCode, e.Err) }

// Retryable reports whether err is a transient failure worth another
// attempt: the classes refused, reset, eof (a connection closed before the
// response was complete) and timeout, DNS failures other than "no such
// host", and the statuses 429, 500, 502, 503 and 504. Whether the
// request may be repeated at all (its method, its Idempotency-Key) is a
// separate question the Client asks first.
func Retryable(err error) bool {
	class := netclass.Of(err)
	var se *StatusError
	code := 0
	if errors.As(err, &se) {
		code = se.StatusCode
	}
	return retryableClass(class, code, err)
}

func retryableClass(class netclass.Class, code int, err error) bool {
	switch class {
	case netclass.Refused, netclass.Reset, netclass.EOF, netclass.Timeout:
		return true
	case netclass.DNS:
		// NXDOMAIN is an answer, not a transient failure: asking again
		// gets the same one.
		var de *net.DNSError
		return !(errors.As(err, &de) && de.IsNotFound)
	case netclass.HTTP4xx, netclass.HTTP5xx:
		return StatusRetryable(code)
	}
	return false
}
