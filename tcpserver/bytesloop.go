package tcpserver

import (
	"context"
	"errors"
	"os"
	"sync"
	"syscall"

	"github.com/netkit-dev/netkit/stream"
)

// bytesLoop is the state of serveBytes's loop, which tryBytes, its
// RawConn.Read callback, keeps between calls: RawConn.Read takes a func
// with no room for arguments or results, so they live here.
type bytesLoop struct {
	h       BytesHandler
	ctx     context.Context
	fn      func(uintptr) bool        // c.tryBytes, bound once
	probeFn func([]byte) (int, error) // c.probeRead, bound once
	probe   *readProbe
	drained bool  // the last probeRead left the socket empty
	peerEOF bool  // the last probeRead saw the end of the stream
	done    bool  // tryBytes ended the loop, with err
	err     error // why the loop ended
}

func (c *Conn) probeRead(p []byte) (int, error) {
	n, drained, eof, err := c.bl.probe.readAndProbe(c.ioFd, p)
	c.bl.drained, c.bl.peerEOF = drained, eof
	return n, err
}

// serveBytes serves a BytesHandler's connection until it ends or hands
// over to ServeConn (ErrStreaming). The whole loop runs inside one
// RawConn.Read, so the runtime's poller remembers data that arrives while
// a batch is answered, and after a read that drained the socket the loop
// waits at once. (RawConn.Read begins by forgetting what the poller saw,
// which is why Next must try a read before it waits; and a short read
// alone cannot show a FIN that came with the data, which is what the
// probe of readAndProbe is for.)
func (c *Conn) serveBytes(ctx context.Context, h BytesHandler) error {
	if c.bl.fn == nil {
		c.bl.fn, c.bl.probeFn, c.bl.probe = c.tryBytes, c.probeRead, new(readProbe)
	}
	c.bl.h, c.bl.ctx, c.bl.done, c.bl.err = h, ctx, false, nil
	defer func() { c.bl.h, c.bl.ctx = nil, nil }()
	if c.rd.Buffered() == 0 && !c.setIdle() {
		return nil // shutting down
	}
	err := c.rc.Read(c.bl.fn)
	if c.bl.done {
		return c.bl.err
	}
	// The wait failed: a deadline set by the sweeper or Shutdown, or the
	// connection was closed. Shutdown's wake-up counts only for an idle
	// connection; a busy one was cut off by the read timeout.
	idle, interrupted, expired := c.markBusy(false)
	return c.waitError(err, idle && interrupted, expired)
}

// tryBytes is serveBytes's RawConn.Read callback: it reads, answers the
// whole requests, writes the replies, and repeats until the socket is
// drained (false: wait for the poller) or the connection must stop (true,
// with c.bl.done set).
func (c *Conn) tryBytes(fd uintptr) bool {
	c.ioFd = int(fd)
	s := c.srv
	for {
		c.bl.drained, c.bl.peerEOF = false, false
		n, err := c.rd.Fill(c.bl.probeFn)
		if err == syscall.EAGAIN {
			return false
		}
		if err == syscall.EINTR {
			continue
		}
		if n > 0 {
			s.st.bytesIn.Add(int64(n))
			if c.state.Load() == stateIdle {
				c.markBusy(true)
				s.st.requests.Add(1)
			}
		}
		if err != nil || n == 0 {
			var tl *stream.TooLongError
			switch {
			case errors.As(err, &tl):
				c.bl.err = ErrStreaming // a request as long as MaxRequest
			case err != nil:
				c.bl.err = os.NewSyscallError("read", err)
			default:
				c.bl.err = c.endOfStream()
			}
			c.bl.done = true
			return true
		}
		if herr := c.answer(); herr != nil {
			c.bl.err, c.bl.done = herr, true
			return true
		}
		if c.bl.peerEOF {
			c.bl.err, c.bl.done = c.endOfStream(), true
			return true
		}
		if c.rd.Buffered() == 0 {
			c.rd.Release() // an idle connection holds no read buffer
			if c.checkExpired() || !c.setIdle() {
				c.bl.err, c.bl.done = c.err, true // shutdown (nil) or a write timeout
				return true
			}
		}
		if c.bl.drained {
			return false // the poller reports what comes next
		}
	}
}

// endOfStream records the peer's FIN; part of a request left buffered
// goes to ServeConn (ErrStreaming), which answers or rejects it.
func (c *Conn) endOfStream() error {
	c.eof = true
	if c.rd.Buffered() > 0 {
		return ErrStreaming
	}
	return nil
}

// answer has the BytesHandler answer the whole requests buffered, at most
// MaxRequest bytes at a time, consumes them, and writes the replies. A
// request as long as MaxRequest goes to ServeConn (ErrStreaming), whose
// reads report it.
func (c *Conn) answer() error {
	outp := outPool.Get().(*[]byte)
	out := (*outp)[:0]
	limit := c.rd.Max()
	var err error
	for {
		in := c.rd.Peek()
		full := len(in) >= limit
		if full {
			in = in[:limit]
		}
		var advance int
		out, advance, err = c.bl.h.ServeBytes(c.bl.ctx, in, out)
		c.rd.Discard(advance)
		if err != nil || !full || c.rd.Buffered() == 0 {
			break
		}
		if advance == 0 {
			err = ErrStreaming
			break
		}
	}
	if len(out) > 0 {
		if _, werr := c.Write(out); werr != nil && (err == nil || err == ErrStreaming) {
			err = werr
		}
	}
	if cap(out) <= 64<<10 {
		*outp = out[:0] // keep a small buffer; let a large one go
		outPool.Put(outp)
	}
	return err
}

// outPool holds the buffers replies are built in, so that an idle
// connection holds none.
var outPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}
