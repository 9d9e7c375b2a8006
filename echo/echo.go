// Package echo implements a line echo service: each line "msg\n" is
// answered "ECHO: msg\n", msg stripped of surrounding whitespace as
// Python's str.strip does.
package echo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/netkit-dev/netkit/stream"
	"github.com/netkit-dev/netkit/tcpserver"
)

// Prefix starts every reply.
const Prefix = "ECHO: "

// Handler serves the echo protocol on a tcpserver.Server. Connections
// persist until the client closes them; pipelined lines are answered in
// order, with one write per batch of lines that arrived together. The bytes
// of a message pass through unchanged (no decoding), so any encoding
// round-trips. A line longer than the server's MaxRequest is answered
// "ERR line too long" and the connection is closed. The zero value is ready
// to use.
type Handler struct{}

var _ tcpserver.BytesHandler = Handler{}

var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// ServeConn implements tcpserver.Handler.
func (Handler) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	r := c.Reader()
	for c.Next() {
		outp := outPool.Get().(*[]byte)
		out := (*outp)[:0]
		var err error
		for {
			var line []byte
			line, err = r.ReadLine()
			if err != nil {
				var ie *stream.IncompleteError
				if errors.As(err, &ie) {
					// asyncio's readline returns a last line without its
					// newline, and Python's asyncio server answers it.
					out = AppendReply(out, ie.Partial)
					err = nil
				} else if errors.Is(err, stream.ErrTooLong) {
					out = append(out, "ERR line too long\n"...)
				}
				break
			}
			out = AppendReply(out, line)
			if !bytes.Contains(r.Peek(), []byte{'\n'}) {
				break // nothing more ready: answer the batch
			}
		}
		if len(out) > 0 {
			if _, werr := c.Write(out); werr != nil && err == nil {
				err = werr
			}
		}
		if cap(out) <= 64<<10 {
			*outp = out
			outPool.Put(outp)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return c.Err()
}

// ServeBytes implements tcpserver.BytesHandler: it answers every whole
// line in in. The server hands a line longer than its MaxRequest, and a
// last line without a newline, to ServeConn.
func (Handler) ServeBytes(_ context.Context, in, out []byte) ([]byte, int, error) {
	advance := 0
	for {
		i := bytes.IndexByte(in[advance:], '\n')
		if i < 0 {
			return out, advance, nil
		}
		out = AppendReply(out, in[advance:advance+i+1])
		advance += i + 1
	}
}

// AppendReply appends the reply to one received line (with or without its
// newline) to dst.
func AppendReply(dst, line []byte) []byte {
	dst = append(dst, Prefix...)
	dst = append(dst, Strip(line)...)
	return append(dst, '\n')
}

// Strip removes leading and trailing whitespace as Python's str.strip()
// does after decoding UTF-8: Unicode White_Space plus the separators
// U+001C..U+001F. Bytes that are not valid UTF-8 are kept.
func Strip(b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || !isPySpace(r) {
			break
		}
		b = b[n:]
	}
	for len(b) > 0 {
		r, n := utf8.DecodeLastRune(b)
		if r == utf8.RuneError && n <= 1 || !isPySpace(r) {
			break
		}
		b = b[:len(b)-n]
	}
	return b
}

// isPySpace reports whether Python's str.isspace holds for r.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}
