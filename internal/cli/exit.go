package cli

import (
	"errors"
	"fmt"

	"github.com/netkit-dev/netkit/netclass"
)

// Exit statuses shared by every command. Commands with richer statuses
// (netkit http) define theirs beside these.
const (
	ExitOK    = 0
	ExitError = 1 // usage errors and failures without a more specific status
)

// exitError carries the exit status a command wants. Its message, when not
// empty, has already been printed or is printed by Main.
type exitError struct {
	Code int
	Err  error
}

// Error returns the message of the cause, or the status when there is none.
func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *exitError) Unwrap() error { return e.Err }

// exitCode returns the status for err: its own for an *exitError, else 1.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitError
}

// Exit statuses of netkit http, as HTTPie uses them where it has one
// (2 timeout, 3/4/5 with --check-status, 6 too many redirects there,
// connection failures here).
const (
	exitHTTPTimeout = 2
	exitHTTP3xx     = 3
	exitHTTP4xx     = 4
	exitHTTP5xx     = 5
	exitHTTPConnect = 6
	exitTLS         = 7
)

// exitForClass is the one place where an error's class picks a command's
// exit status (docs/ERRORS.md has the same table):
//
//	timeout                  2
//	dns, refused, reset, eof 6 (the connection failed, or the peer broke it)
//	tls                      7
//	anything else            1 (closed, canceled, addr, protocol, redirects,
//	                           body-too-large, other)
//
// An HTTP error status exits 0, or 3, 4 or 5 with --check-status, which
// the http command decides from the response itself.
func exitForClass(c netclass.Class) int {
	switch c {
	case netclass.Timeout:
		return exitHTTPTimeout
	case netclass.DNS, netclass.Refused, netclass.Reset, netclass.EOF:
		return exitHTTPConnect
	case netclass.TLS:
		return exitTLS
	}
	return ExitError
}

// errSilent is returned by commands that have already reported every failure
// on stderr (a batch with bad inputs) and only need a non-zero status.
var errSilent = &exitError{Code: ExitError}
