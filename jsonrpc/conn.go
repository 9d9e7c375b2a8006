package jsonrpc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/tcpserver"
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
// that carries ctx's values but not its cancellation. It is cancelled when
// the peer closes the connection or reading fails, as net/http cancels a
// request's context when its client goes (a call that ends anyway still has
// its response written, which a half-closed peer receives), and when a
// write fails.
//
// To serve with tcpserver's limits, timeouts and Shutdown instead, use
// TCPHandler.
func (s *Server) ServeConn(ctx context.Context, conn net.Conn) error {
	writeTimeout := durDefault(s.WriteTimeout, DefaultWriteTimeout)
	core := newConnCore(ctx, s, func(frames []byte) error {
		if writeTimeout > 0 {
			conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		_, err := conn.Write(frames)
		if err != nil {
			conn.SetReadDeadline(time.Unix(1, 0)) // stop reading a dead peer
		}
		return err
	})
	defer core.cancel()
	c := &serverConn{core: core, conn: conn}
	stop := context.AfterFunc(ctx, c.stopReading)
	defer stop()

	err := c.readLoop()
	if ctx.Err() == nil {
		core.cancel() // the peer is gone (or going): stop its calls
	}
	core.wait()
	if werr := core.writeErr(); werr != nil {
		err = werr // the read loop only stopped because of it
	}
	conn.Close()
	if err != nil && s.Logger != nil {
		s.Logger.Debug("jsonrpc: connection ended", "remote", conn.RemoteAddr().String(), "err", err)
	}
	return err
}

// TCPHandler returns a tcpserver.Handler serving framed JSON-RPC on each
// connection, as ServeConn does but with tcpserver's request cycle: the
// connection is idle while it waits for a frame (Conn.Next) and busy from a
// frame's first byte, so Shutdown closes it only between frames, and the
// calls already read are answered before the handler returns. The frame
// limit is MaxFrameSize, whatever the tcpserver's MaxRequest; read, write
// and idle timeouts are the tcpserver's. The handler keeps nothing between
// frames once their calls have ended (it waits for them before returning),
// so it suits tcpserver's ParkIdle.
//
// The handler is a tcpserver.BytesHandler: while a connection calls only
// Inline methods, in frames no larger than the tcpserver's MaxRequest, its
// calls run on the server's read loop, and the responses to the frames of
// one read leave in one write. The first other call, batch or larger frame
// moves the connection to the concurrent path above, where it stays until
// it ends or, with ParkIdle, is parked and served afresh.
func (s *Server) TCPHandler() tcpserver.Handler {
	if s.CallRate > 0 {
		// The fast path keeps no state per connection, where the call
		// rate's bucket lives.
		return tcpHandlerFunc{s}
	}
	return tcpHandler{s}
}

// tcpHandlerFunc is TCPHandler without the BytesHandler fast path.
type tcpHandlerFunc struct{ s *Server }

func (h tcpHandlerFunc) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	return h.s.serveTCP(ctx, c)
}

type tcpHandler struct{ s *Server }

func (h tcpHandler) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	return h.s.serveTCP(ctx, c)
}

// ServeBytes answers the whole frames at the start of in whose calls are
// all of Inline methods, and hands the connection to ServeConn at the
// first that is not, or that is larger than MaxFrameSize (which ServeConn
// answers with an error).
func (h tcpHandler) ServeBytes(ctx context.Context, in, out []byte) ([]byte, int, error) {
	s := h.s
	max := s.maxFrame()
	var callCtx context.Context // made at the first whole frame
	advance := 0
	for len(in)-advance >= frame.HeaderLen {
		size := binary.BigEndian.Uint32(in[advance:])
		if uint64(size) > uint64(max) {
			return out, advance, tcpserver.ErrStreaming
		}
		end := advance + frame.HeaderLen + int(size)
		if end > len(in) {
			break // the rest of the frame is still to come
		}
		if callCtx == nil {
			// Calls do not see Shutdown's cancellation, as on the
			// concurrent path; an Inline call ends at once anyway.
			callCtx = context.WithoutCancel(ctx)
		}
		resp, ok := s.handleMessage(callCtx, in[advance+frame.HeaderLen:end], handling{inlineOnly: true})
		if !ok {
			return out, advance, tcpserver.ErrStreaming
		}
		if resp != nil {
			out = frame.Append(out, resp)
		}
		advance = end
	}
	return out, advance, nil
}

func (s *Server) serveTCP(ctx context.Context, c *tcpserver.Conn) error {
	core := newConnCore(ctx, s, func(frames []byte) error {
		_, err := c.Write(frames)
		return err
	})
	defer core.cancel()
	lim := s.callLimiter()
	fr := frame.NewReader(c.Reader(), s.maxFrame())
	var err error
	for core.writeErr() == nil && core.yield(c.Reader().Buffered()) && c.Next() {
		var msg []byte
		msg, err = fr.ReadFrame()
		if errors.Is(err, frame.ErrTooLarge) {
			core.write(errorResponse(nil, NewError(CodeTooLarge, "Request too large", err.Error())))
		}
		if err != nil {
			err = fmt.Errorf("jsonrpc: read: %w", err)
			break
		}
		if lim != nil && !lim.Allow() {
			core.dispatchLimited(msg)
			continue
		}
		core.dispatch(msg)
	}
	if ctx.Err() == nil {
		core.cancel() // the peer is gone (or going), not a shutdown: stop its calls
	}
	core.wait()
	if werr := core.writeErr(); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	return c.Err()
}

// connCore runs the calls of one connection and writes their responses.
//
// Responses are coalesced: a call that finds no write in progress writes
// its frame, and every frame that other calls queue meanwhile, in one
// Write. Each frame stays whole within one Write, and with many calls in
// flight the server makes far fewer system calls than responses.
type connCore struct {
	srv        *Server
	send       func(frames []byte) error // one Write of whole frames
	max        int                       // MaxInFlight
	work       chan []byte               // messages for idle workers; closed at the end
	workers    int                       // started, at most max; read loop only
	dispatched bool                      // a message went to a worker since the last yield; read loop only
	calls      sync.WaitGroup            // the workers
	ctx        context.Context           // the calls' context
	cancel     context.CancelFunc

	mu      sync.Mutex
	taken   *sync.Cond // on mu: the queue was taken for sending, or writing failed
	freed   *sync.Cond // on mu: a call ended and gave back its request's bytes
	reqs    int        // bytes of the requests dispatched and not yet answered
	writing bool       // a call is in send
	queue   []byte     // frames waiting for the write in progress
	spare   []byte     // the other buffer, reused
	werr    error
}

// maxQueued bounds the response bytes queued behind a write in progress.
// A peer that sends requests and stops reading its responses then holds up
// the calls, the calls hold up the read loop (all MaxInFlight of them
// busy), and TCP pushes back on the peer; without it the server kept every
// response in memory for as long as the blocked write lasted: 210 MiB
// within seconds from one connection.
const maxQueued = 1 << 20

// requestBudget returns the bytes of requests a connection may have in
// flight: twice the frame size. MaxInFlight alone would let 64 calls of
// 4 MiB each, and their responses, hold 512 MiB for one connection; small
// calls never come near the budget.
func (c *connCore) requestBudget() int { return 2 * c.srv.maxFrame() }

func newConnCore(ctx context.Context, s *Server, send func([]byte) error) *connCore {
	c := &connCore{srv: s, send: send, max: s.maxInFlight(), work: make(chan []byte)}
	c.taken = sync.NewCond(&c.mu)
	c.freed = sync.NewCond(&c.mu)
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	return c
}

// dispatch runs the message's calls: here when one call at a time is
// allowed, else on an idle worker, a new one while fewer than MaxInFlight
// run, or the first worker to become free. Workers live as long as the
// connection: a goroutine per call would grow a fresh stack for every
// JSON decode, which cost a quarter of the server's CPU time.
func (c *connCore) dispatch(msg []byte) {
	if c.max == 1 {
		c.serve(msg)
		return
	}
	c.dispatched = true
	c.acquire(len(msg))
	select {
	case c.work <- msg:
		return
	default:
	}
	if c.workers < c.max {
		c.workers++
		c.calls.Add(1)
		go c.worker(msg)
		return
	}
	c.work <- msg // all busy: stop reading until one is free
}

func (c *connCore) worker(msg []byte) {
	defer c.calls.Done()
	for ok := true; ok; msg, ok = <-c.work {
		c.serve(msg)
		c.release(len(msg))
	}
}

// acquire waits until n more bytes of requests fit in the budget (or none
// are in flight: a request as large as the budget still runs, alone).
func (c *connCore) acquire(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.reqs > 0 && c.reqs+n > c.requestBudget() {
		c.freed.Wait()
	}
	c.reqs += n
}

func (c *connCore) release(n int) {
	c.mu.Lock()
	c.reqs -= n
	c.mu.Unlock()
	c.freed.Signal() // only the read loop waits
}

// yield lets the calls just dispatched run before the read loop reads the
// connection again, when nothing is left buffered: their responses then
// leave in one write, and the requests that came meanwhile arrive in one
// read, instead of a system call for each. It always reports true.
func (c *connCore) yield(buffered int) bool {
	if buffered == 0 && c.dispatched {
		c.dispatched = false
		runtime.Gosched()
	}
	return true
}

// wait ends the workers once they have finished the calls read so far.
func (c *connCore) wait() {
	close(c.work)
	c.calls.Wait()
}

// dispatchLimited answers a message over the call rate on the read loop:
// its calls fail at once without running, so it needs no worker.
func (c *connCore) dispatchLimited(msg []byte) {
	if resp := c.srv.HandleMessage(context.WithValue(c.ctx, limitedKey{}, true), msg); resp != nil {
		c.write(resp)
	}
}

func (c *connCore) serve(msg []byte) {
	if resp := c.srv.HandleMessage(c.ctx, msg); resp != nil {
		c.write(resp)
	}
}

// write sends one response, or queues it for the write in progress,
// waiting while the queue holds maxQueued bytes already. After a failed
// write the connection is dead and the calls still running are cancelled.
func (c *connCore) write(resp []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.writing && c.werr == nil && len(c.queue) > 0 && len(c.queue)+len(resp) > maxQueued {
		c.taken.Wait()
	}
	if c.werr != nil {
		return
	}
	c.queue = frame.Append(c.queue, resp)
	if c.writing {
		return // the call writing now sends it too
	}
	c.writing = true
	if c.max > 1 {
		// Let the other calls that are ready run first and queue their
		// responses: on a busy connection they then share this write.
		c.mu.Unlock()
		runtime.Gosched()
		c.mu.Lock()
	}
	for len(c.queue) > 0 && c.werr == nil {
		buf := c.queue
		c.queue = c.spare[:0]
		c.taken.Broadcast()
		c.mu.Unlock()
		err := c.send(buf)
		c.mu.Lock()
		c.spare = nil
		if cap(buf) <= 64<<10 {
			c.spare = buf[:0] // keep a small buffer; let a large one go
		}
		if err != nil {
			c.werr = fmt.Errorf("jsonrpc: write: %w", err)
			c.queue = nil
			c.cancel()
			c.taken.Broadcast()
		}
	}
	c.writing = false
}

func (c *connCore) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}

// serverConn is ServeConn's reading side.
type serverConn struct {
	core *connCore
	conn net.Conn

	mu       sync.Mutex
	idle     bool // waiting for the first byte of a frame
	stopping bool // ctx is done: read no new frame
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
	case c.core.writeErr() != nil:
		return false, nil // the peer is gone; ServeConn reports the write error
	}
	return false, fmt.Errorf("jsonrpc: read: %w", err)
}

func (c *serverConn) readLoop() error {
	br := bufio.NewReaderSize(c.conn, 64<<10)
	fr := frame.NewReader(br, c.core.srv.maxFrame())
	readTimeout := durDefault(c.core.srv.ReadTimeout, DefaultReadTimeout)
	for c.core.writeErr() == nil && c.core.yield(br.Buffered()) {
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
			c.core.write(errorResponse(nil, NewError(CodeTooLarge, "Request too large", err.Error())))
			return fmt.Errorf("jsonrpc: %w", err)
		}
		if err != nil {
			return fmt.Errorf("jsonrpc: read: %w", err)
		}
		c.core.dispatch(msg)
	}
	return nil
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
