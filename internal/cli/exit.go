package cli

import (
	"errors"
	"fmt"
)

// Exit statuses shared by every command. Commands with richer statuses
// (netkit http) define theirs beside these.
const (
	ExitOK    = 0
	ExitError = 1 // usage errors and failures without a more specific status
)

// ExitError carries the exit status a command wants. Its message, when not
// empty, has already been printed or is printed by Main.
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

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

// errSilent is returned by commands that have already reported every failure
// on stderr (a batch with bad inputs) and only need a non-zero status.
var errSilent = &exitError{Code: ExitError}
