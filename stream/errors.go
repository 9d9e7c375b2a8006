package stream

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLong is matched (with errors.Is) by every *TooLongError.
var ErrTooLong = errors.New("stream: too long")

// TooLongError reports a unit (line, record, body, exact count) longer than
// the reader's maximum. It plays the part of asyncio's LimitOverrunError and
// of the ValueError readline raises: the reader stops at the limit instead of
// buffering an unbounded line, so memory stays at Max per connection.
type TooLongError struct {
	Op  string // "readline", "readuntil", "readexactly", "readall"
	Max int    // the limit that was exceeded
}

// Error names the operation and the limit the unit exceeded.
func (e *TooLongError) Error() string {
	return fmt.Sprintf("stream: %s: longer than %d bytes", e.Op, e.Max)
}

// Is makes errors.Is(err, ErrTooLong) true.
func (e *TooLongError) Is(target error) bool { return target == ErrTooLong }

// IncompleteError reports end of stream before a unit was complete, like
// asyncio's IncompleteReadError: Partial holds the bytes read so far.
// errors.Is(err, io.ErrUnexpectedEOF) holds for it.
type IncompleteError struct {
	Op       string // "readline", "readuntil" or "readexactly"
	Partial  []byte // bytes received before the end of stream
	Expected int    // bytes wanted by readexactly, or -1 when not known
}

// Error names the operation and how many bytes arrived before the end of
// stream, out of how many were expected when that is known.
func (e *IncompleteError) Error() string {
	if e.Expected >= 0 {
		return fmt.Sprintf("stream: %s: %d bytes read on a total of %d expected bytes", e.Op, len(e.Partial), e.Expected)
	}
	return fmt.Sprintf("stream: %s: end of stream after %d bytes of an incomplete unit", e.Op, len(e.Partial))
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *IncompleteError) Unwrap() error { return io.ErrUnexpectedEOF }
