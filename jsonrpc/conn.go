package jsonrpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/frame"
)

// ServeConn serves framed JSON-RPC on conn, then closes it. Requests run
// concurrently, up to MaxInFlight at once, and each response is written as
// soon as its call ends, carrying its request's id (pipelining).
//
// ServeConn returns nil when the peer closes the connection between frames
// or when ctx is done; it returns an error when a frame is too large (after
// answering it with a CodeTooLarge error), when a frame stops arriving
// within ReadTimeout, or when a write fails.
//
// Cancelling ctx is a graceful stop, as a server's Shutdown asks of its
// connections: ServeConn stops reading at once if it is waiting for a new
// frame (an idle connection), or after the frame it is receiving (a busy
// one); it then lets the calls already read finish, writes their responses
// and returns. No request that was read goes unanswered. Calls get a context
// that carries ctx's values but not its cancellation; it is cancelled when
// a write fails (the peer is gone) and when ServeConn returns.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) error {
	c := &serverConn{
		srv:  s,
		conn: conn,
		w:    frame.NewWriter(conn, s.maxFrame()),
		sem:  make(chan struct{}, s.maxInFlight()),
	}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	defer c.cancel()
	stop := context.AfterFunc(ctx, c.stopReading)
	defer stop()

	err := c.readLoop()
	c.calls.Wait()
	if werr := c.writeErr(); werr != nil {
		err = werr // the read loop only stopped because of it
	}
	conn.Close()
	if err != nil && s.Logger != nil {
		s.Logger.Debug("jsonrpc: connection ended", "remote", conn.RemoteAddr().String(), "err", err)
	}
	return err
}

type serverConn struct {
	srv    *Server
	conn   net.Conn
	w      *frame.Writer
	sem    chan struct{}
	calls  sync.WaitGroup
	ctx    context.Context // the calls' context
	cancel context.CancelFunc

	mu       sync.Mutex
	idle     bool // waiting for the first byte of a frame
	stopping bool // ctx is done: read no new frame
	werr     error
}

// stopReading runs when ServeConn's ctx is done.
func (c *serverConn) stopReading() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopping = true
	if c.idle {
		// Unblock the wait for a frame that has not begun.
		c.conn.SetReadDeadline(time.Unix(1, 0))
	}
}

// waitFrame marks the connection idle and waits for a frame to begin. It
// reports false when ServeConn must stop reading.
func (c *serverConn) waitFrame(br *bufio.Reader) (bool, error) {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return false, nil
	}
	c.idle = true
	c.mu.Unlock()
	_, err := br.Peek(1)
	c.mu.Lock()
	c.idle = false
	stopping := c.stopping
	c.mu.Unlock()
	switch {
	case err == nil:
		if stopping {
			// The frame began before the stop: lift the deadline set to
			// interrupt the wait, and read it whole.
			c.conn.SetReadDeadline(time.Time{})
		}
		return true, nil
	case stopping, err == io.EOF:
		return false, nil
	}
	return false, fmt.Errorf("jsonrpc: read: %w", err)
}

func (c *serverConn) readLoop() error {
	br := bufio.NewReaderSize(c.conn, 64<<10)
	fr := frame.NewReader(br, c.srv.maxFrame())
	readTimeout := durDefault(c.srv.ReadTimeout, DefaultReadTimeout)
	for {
		ok, err := c.waitFrame(br)
		if !ok {
			return err
		}
		// A frame has begun: it must now arrive whole within readTimeout.
		// Skip the deadline when it is already buffered, as it is with
		// pipelined requests.
		deadline := false
		if readTimeout > 0 && !frameBuffered(br) {
			c.conn.SetReadDeadline(time.Now().Add(readTimeout))
			deadline = true
		}
		msg, err := fr.ReadFrame()
		if deadline {
			c.conn.SetReadDeadline(time.Time{})
		}
		if errors.Is(err, frame.ErrTooLarge) {
			// The stream is out of step now: answer, then close.
			c.write(errorResponse(nil, nil, NewError(CodeTooLarge, "Request too large", err.Error())))
			return fmt.Errorf("jsonrpc: %w", err)
		}
		if err != nil {
			return fmt.Errorf("jsonrpc: read: %w", err)
		}
		if cap(c.sem) == 1 {
			// One call at a time: run it here, in order, with no goroutine.
			c.serve(msg)
			continue
		}
		c.sem <- struct{}{}
		c.calls.Add(1)
		go func() {
			defer func() { <-c.sem; c.calls.Done() }()
			c.serve(msg)
		}()
	}
}

// frameBuffered reports whether br holds a whole frame.
func frameBuffered(br *bufio.Reader) bool {
	n := br.Buffered()
	if n < frame.HeaderLen {
		return false
	}
	h, _ := br.Peek(frame.HeaderLen)
	size := int(h[0])<<24 | int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	return n-frame.HeaderLen >= size
}

func (c *serverConn) serve(msg []byte) {
	if resp := c.srv.HandleMessage(c.ctx, msg); resp != nil {
		if len(resp) > c.srv.maxFrame() {
			// A batch whose responses add up past the frame size.
			resp = errorResponse(nil, nil, NewError(CodeTooLarge, "Response too large", nil))
		}
		c.write(resp)
	}
}

// write sends one response frame; after a failed write the connection is
// dead and the calls still running are cancelled.
func (c *serverConn) write(resp []byte) {
	c.mu.Lock()
	if c.werr != nil {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if t := durDefault(c.srv.WriteTimeout, DefaultWriteTimeout); t > 0 {
		c.conn.SetWriteDeadline(time.Now().Add(t))
	}
	if err := c.w.WriteFrame(resp); err != nil {
		c.mu.Lock()
		if c.werr == nil {
			c.werr = fmt.Errorf("jsonrpc: write: %w", err)
		}
		c.mu.Unlock()
		c.cancel()
		c.conn.SetReadDeadline(time.Unix(1, 0)) // stop the read loop too
	}
}

func (c *serverConn) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}
