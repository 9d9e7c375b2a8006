// Package frame reads and writes length-prefixed frames: a 4-byte big-endian
// payload length followed by the payload, as Python peers write them with
// struct.pack("!I", len(payload)).
//
// Unlike peers that allocate whatever length the other side declares
// (golang.org/x/tools' jsonrpc2 makes a buffer of the header's length;
// sourcegraph/jsonrpc2 never caps it), a Reader checks the declared length
// against its maximum before allocating anything, and grows its buffer only
// as payload bytes actually arrive.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// HeaderLen is the size of the length prefix.
const HeaderLen = 4

// DefaultMaxSize is the largest payload a Reader or Writer accepts when its
// maximum is not set.
const DefaultMaxSize = 4 << 20

// MaxSizeLimit is the largest payload the 4-byte header can describe.
const MaxSizeLimit = 1<<32 - 1

// ErrTooLarge is matched (with errors.Is) by the *SizeError a Reader or
// Writer returns for a frame above its maximum.
var ErrTooLarge = errors.New("frame: too large")

// SizeError reports a frame whose length exceeds the maximum.
type SizeError struct {
	Op   string // "read" or "write"
	Size uint64 // declared (read) or offered (write) payload length
	Max  int    // the maximum in force
}

// Error says how large the frame was and what the limit is.
func (e *SizeError) Error() string {
	return fmt.Sprintf("frame: %s: payload of %d bytes exceeds the maximum of %d", e.Op, e.Size, e.Max)
}

// Is reports whether target is ErrTooLarge.
func (e *SizeError) Is(target error) bool { return target == ErrTooLarge }

// limit returns max, or DefaultMaxSize when max <= 0, capped at what the
// header can express.
func limit(max int) int {
	if max <= 0 {
		return DefaultMaxSize
	}
	if uint64(max) > MaxSizeLimit {
		return MaxSizeLimit
	}
	return max
}

// growStep bounds how much a Reader allocates ahead of the bytes it has
// received: a peer declaring 4 MiB and sending 10 bytes costs 64 KiB, not
// 4 MiB, so idle connections with half-sent frames stay cheap.
const growStep = 64 << 10

// Reader reads frames from a stream. It is not safe for concurrent use.
type Reader struct {
	r   io.Reader
	max int
	hdr [HeaderLen]byte
}

// NewReader returns a Reader on r accepting payloads up to max bytes
// (DefaultMaxSize when max <= 0). Wrap r in a bufio.Reader when frames are
// small and arrive back to back: a Reader issues two reads per frame.
func NewReader(r io.Reader, max int) *Reader {
	return &Reader{r: r, max: limit(max)}
}

// Max returns the largest payload the Reader accepts.
func (fr *Reader) Max() int { return fr.max }

// ReadFrame reads the next frame and returns its payload in a new slice
// (empty, not nil, for a zero-length frame). It returns io.EOF when the
// stream ends cleanly between frames, io.ErrUnexpectedEOF when it ends inside
// one, and a *SizeError (errors.Is(err, ErrTooLarge)) when the declared
// length exceeds the maximum; the stream is then out of step and should be
// closed.
func (fr *Reader) ReadFrame() ([]byte, error) {
	n, err := fr.ReadHeader()
	if err != nil {
		return nil, err
	}
	return fr.ReadPayload(n)
}

// ReadHeader reads the next length prefix and checks it against the
// maximum. Callers that must know a frame has begun (to tell an idle
// connection from a busy one) call it, then ReadPayload.
func (fr *Reader) ReadHeader() (int, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return 0, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[:])
	if uint64(n) > uint64(fr.max) {
		return 0, &SizeError{Op: "read", Size: uint64(n), Max: fr.max}
	}
	return int(n), nil
}

// ReadPayload reads a payload of n bytes announced by ReadHeader.
func (fr *Reader) ReadPayload(n int) ([]byte, error) {
	if n < 0 || n > fr.max {
		return nil, &SizeError{Op: "read", Size: uint64(max(n, 0)), Max: fr.max}
	}
	if n <= growStep {
		buf := make([]byte, n)
		if _, err := io.ReadFull(fr.r, buf); err != nil {
			return nil, noEOF(err)
		}
		return buf, nil
	}
	buf := make([]byte, 0, growStep)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			// Double, but never past n: what is allocated stays within
			// twice what has been received, and within the maximum.
			buf = slices.Grow(buf, min(cap(buf), n-len(buf)))
		}
		want := min(cap(buf), n)
		m, err := io.ReadFull(fr.r, buf[len(buf):want])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, noEOF(err)
		}
	}
	return buf, nil
}

// noEOF turns a clean EOF inside a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Writer writes frames to a stream, each with a single Write call so frames
// from concurrent callers never interleave. It is safe for concurrent use.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	max int
	buf []byte
}

// NewWriter returns a Writer on w refusing payloads above max bytes
// (DefaultMaxSize when max <= 0).
func NewWriter(w io.Writer, max int) *Writer {
	return &Writer{w: w, max: limit(max)}
}

// WriteFrame writes p as one frame. A payload above the maximum is refused
// with a *SizeError before anything is written.
func (fw *Writer) WriteFrame(p []byte) error {
	if len(p) > fw.max {
		return &SizeError{Op: "write", Size: uint64(len(p)), Max: fw.max}
	}
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.buf = Append(fw.buf[:0], p)
	_, err := fw.w.Write(fw.buf)
	if cap(fw.buf) > growStep {
		fw.buf = nil // do not pin one large frame's buffer for the stream's life
	}
	return err
}

// Append appends p as a frame (header and payload) to dst and returns the
// extended slice. It does not check any maximum beyond the header's own.
func Append(dst, p []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
	return append(dst, p...)
}
