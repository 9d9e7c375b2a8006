// Package stream reads bounded units (exact byte counts, lines, records ended
// by a separator, whole streams) from byte streams such as TCP connections.
//
// It is the Go counterpart of asyncio's StreamReader (readexactly, readline,
// readuntil, read(-1)) with one difference that matters on a server: every
// method has a maximum (DefaultMax, 64 KiB, asyncio's own limit) and returns
// a *TooLongError when a unit would exceed it, without buffering more than
// the maximum. A Reader takes its buffer from a pool on the first read and
// can give it back whenever it holds no data (Release), so an idle
// connection costs no buffer memory.
package stream

import (
	"bytes"
	"io"
	"math/bits"
	"sync"
)

// DefaultMax is the longest unit a Reader returns when no maximum is given:
// 64 KiB, asyncio's default StreamReader limit.
const DefaultMax = 64 << 10

// Buffers come from pools of power-of-two sizes from 4 KiB to 1 MiB; larger
// buffers (readers with a large Max) are left to the garbage collector.
const (
	minBufShift = 12 // 4 KiB
	numPools    = 9  // 4 KiB .. 1 MiB
)

var pools [numPools]sync.Pool

// getBuf returns a buffer of at least n bytes, from a pool when one fits.
func getBuf(n int) *[]byte {
	c := 0
	if n > 1<<minBufShift {
		c = bits.Len(uint(n-1)) - minBufShift
	}
	if c >= numPools {
		b := make([]byte, n)
		return &b
	}
	if p, _ := pools[c].Get().(*[]byte); p != nil {
		return p
	}
	b := make([]byte, 1<<(minBufShift+c))
	return &b
}

func putBuf(p *[]byte) {
	n := len(*p)
	if n < 1<<minBufShift || n&(n-1) != 0 {
		return
	}
	if c := bits.Len(uint(n)) - 1 - minBufShift; c < numPools {
		pools[c].Put(p)
	}
}

// Reader reads bounded units from an io.Reader. Slices it returns alias its
// buffer and stay valid only until the next call on the Reader (as with
// bufio.Reader.ReadSlice); copy them to keep them. A Reader is not safe for
// concurrent use.
type Reader struct {
	rd   io.Reader
	max  int
	bufp *[]byte // nil while the reader holds no data and no buffer
	buf  []byte
	r, w int   // buf[r:w] is buffered, unread data
	err  error // sticky error from rd (io.EOF included)
}

// NewReader returns a Reader over rd whose units are at most max bytes
// (DefaultMax when max <= 0), separators included.
func NewReader(rd io.Reader, max int) *Reader {
	r := &Reader{}
	r.Reset(rd, max)
	return r
}

// Reset discards any buffered data and error and makes r read from rd with
// the given maximum (DefaultMax when max <= 0).
func (r *Reader) Reset(rd io.Reader, max int) {
	if max <= 0 {
		max = DefaultMax
	}
	r.r, r.w = 0, 0
	r.Release()
	r.rd, r.max, r.err = rd, max, nil
}

// Max returns the longest unit r returns.
func (r *Reader) Max() int { return r.max }

// Buffered returns the number of bytes that can be read without reading
// from the underlying reader.
func (r *Reader) Buffered() int { return r.w - r.r }

// Peek returns the buffered, unread data without consuming it, so a server
// can tell whether a complete request is already buffered (and answer a
// batch of pipelined requests with one write). The slice is valid until the
// next call on r.
func (r *Reader) Peek() []byte { return r.buf[r.r:r.w] }

// Discard consumes up to n buffered bytes, as a server does once it has
// answered the requests at the start of Peek, and returns how many it
// consumed. It never reads.
func (r *Reader) Discard(n int) int {
	n = max(min(n, r.w-r.r), 0)
	r.r += n
	return n
}

// Release gives r's buffer back to the pool if r holds no unread data.
// Servers call it before waiting for the next request so that idle
// connections hold no buffer. Slices returned earlier become invalid.
func (r *Reader) Release() {
	if r.r != r.w || r.bufp == nil {
		return
	}
	putBuf(r.bufp)
	r.bufp, r.buf, r.r, r.w = nil, nil, 0, 0
}

// limit is the most r ever buffers: one more byte than max, so that ReadAll
// can tell a stream of exactly max bytes from a longer one.
func (r *Reader) limit() int { return r.max + 1 }

// makeRoom ensures free space after r.w for at least one byte, taking a
// buffer from the pool, compacting, or growing up to the limit; it reports
// false when the buffer holds limit bytes already.
func (r *Reader) makeRoom(want int) bool {
	if want < 1 {
		want = 1
	}
	if r.bufp == nil {
		r.bufp = getBuf(min(max(want, 1<<minBufShift), r.limit()))
		r.buf = *r.bufp
		r.r, r.w = 0, 0
		return true
	}
	if r.r > 0 && (r.w == len(r.buf) || len(r.buf)-r.r < want) {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= r.r
		r.r = 0
	}
	if r.w < len(r.buf) && len(r.buf) >= min(want, r.limit()) {
		return true
	}
	if len(r.buf) >= r.limit() {
		return r.w < len(r.buf)
	}
	np := getBuf(min(max(want, 2*len(r.buf)), r.limit()))
	copy(*np, r.buf[r.r:r.w])
	r.w -= r.r
	r.r = 0
	putBuf(r.bufp)
	r.bufp, r.buf = np, *np
	return true
}

// fill reads once from the underlying reader, wanting room for want bytes.
func (r *Reader) fill(want int) {
	if r.err != nil || !r.makeRoom(want) {
		return
	}
	// A reader returning 0, nil repeatedly would spin; io.Reader's contract
	// discourages it, and bufio gives up after 100 tries: do the same.
	for i := 0; i < 100; i++ {
		n, err := r.rd.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			panic("stream: reader returned an invalid count")
		}
		r.w += n
		if err != nil {
			r.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.err = io.ErrNoProgress
}

// Fill is for servers that wait for readiness themselves: it takes a buffer
// from the pool if r holds none, calls read once with r's free space, keeps
// the n bytes read, and gives the buffer back if r is still empty, so that a
// read that would block costs no buffer while the caller waits. It returns
// read's results unchanged and does not record read's error.
func (r *Reader) Fill(read func(p []byte) (int, error)) (int, error) {
	if !r.makeRoom(1) {
		return 0, &TooLongError{Op: "fill", Max: r.max}
	}
	n, err := read(r.buf[r.w:])
	if n > 0 {
		r.w += n
	}
	r.Release()
	return n, err
}

// readErr returns the sticky error, consuming it unless it is io.EOF.
func (r *Reader) readErr() error {
	err := r.err
	if err != io.EOF {
		r.err = nil
	}
	return err
}

// incomplete consumes what is buffered and reports it as a partial unit.
func (r *Reader) incomplete(op string, expected int) error {
	err := r.readErr()
	if err != io.EOF {
		return err
	}
	if r.r == r.w {
		return io.EOF
	}
	partial := bytes.Clone(r.buf[r.r:r.w])
	r.r = r.w
	r.Release()
	return &IncompleteError{Op: op, Partial: partial, Expected: expected}
}

// tooLong discards the buffered data: the stream is out of step with its
// framing, and the caller should close it.
func (r *Reader) tooLong(op string) error {
	r.r = r.w
	r.Release()
	return &TooLongError{Op: op, Max: r.max}
}

// ReadLine reads through the next '\n' and returns the line with its
// newline, like asyncio's readline. At the end of the stream it returns
// io.EOF when nothing is left, or an *IncompleteError holding the last
// unterminated line. A line longer than Max gives a *TooLongError.
func (r *Reader) ReadLine() ([]byte, error) { return r.readUntil("readline", []byte{'\n'}) }

// ReadUntil reads through the first occurrence of sep (which may be several
// bytes, such as "\r\n\r\n") and returns the data with sep, like asyncio's
// readuntil. Errors are as for ReadLine.
func (r *Reader) ReadUntil(sep []byte) ([]byte, error) {
	if len(sep) == 0 {
		panic("stream: ReadUntil with an empty separator")
	}
	return r.readUntil("readuntil", sep)
}

func (r *Reader) readUntil(op string, sep []byte) ([]byte, error) {
	searched := 0 // bytes after r.r already searched without a match
	for {
		if i := bytes.Index(r.buf[r.r+searched:r.w], sep); i >= 0 {
			end := r.r + searched + i + len(sep)
			if end-r.r > r.max {
				return nil, r.tooLong(op)
			}
			line := r.buf[r.r:end]
			r.r = end
			return line, nil
		}
		if n := r.w - r.r; n >= r.max {
			return nil, r.tooLong(op)
		} else {
			searched = max(0, n-len(sep)+1)
		}
		if r.err != nil {
			return nil, r.incomplete(op, -1)
		}
		r.fill(0)
	}
}

// ReadExactly reads exactly n bytes, like asyncio's readexactly. When the
// stream ends first it returns an *IncompleteError with the partial data
// (io.EOF if there was none); n larger than Max gives a *TooLongError
// without reading.
func (r *Reader) ReadExactly(n int) ([]byte, error) {
	if n < 0 || n > r.max {
		return nil, &TooLongError{Op: "readexactly", Max: r.max}
	}
	for r.w-r.r < n {
		if r.err != nil {
			return nil, r.incomplete("readexactly", n)
		}
		r.fill(n)
	}
	b := r.buf[r.r : r.r+n]
	r.r += n
	return b, nil
}

// ReadAll reads until the end of the stream, like asyncio's read(-1), and
// returns everything read (an empty stream gives an empty slice and nil).
// A stream longer than Max gives a *TooLongError.
func (r *Reader) ReadAll() ([]byte, error) {
	for {
		if r.w-r.r > r.max {
			return nil, r.tooLong("readall")
		}
		if r.err != nil {
			if err := r.readErr(); err != io.EOF {
				return nil, err
			}
			b := r.buf[r.r:r.w]
			r.r = r.w
			return b, nil
		}
		r.fill(r.w - r.r + 1)
	}
}

// Read reads up to len(p) bytes, like asyncio's read(n): buffered data
// first, else one read of the underlying reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.r == r.w {
		if r.err != nil {
			return 0, r.readErr()
		}
		if len(p) >= 1<<minBufShift {
			// Large reads bypass the buffer, as bufio does.
			n, err := r.rd.Read(p)
			if n < 0 {
				panic("stream: reader returned a negative count")
			}
			if err != nil {
				r.err = err
				if n > 0 {
					err = nil
				} else {
					err = r.readErr()
				}
			}
			return n, err
		}
		r.fill(0)
		if r.r == r.w {
			r.Release()
			return 0, r.readErr()
		}
	}
	n := copy(p, r.buf[r.r:r.w])
	r.r += n
	return n, nil
}
