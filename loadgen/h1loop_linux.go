package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/netkit-dev/netkit/netclass"
)

// The HTTP engine's event loop, for the closed model on plain HTTP: one
// epoll set per core, each driving its share of the connections, as wrk
// does. A goroutine per connection costs, per request, a read that finds
// nothing yet (the answer is not back when the goroutine first asks) and
// a pass through Go's poller and scheduler; the loop reads only sockets
// that epoll reports readable, and a short read tells it a socket is
// drained. Unlike wrk it registers each socket once, level-triggered, and
// never re-arms it: no epoll_ctl per request.

const loopSupported = true

// loopWait bounds each epoll_wait, so that the loop notices the end of
// the run and the requests that time out.
const loopWait = 20 * time.Millisecond

// spinPolls is how many more times the loop polls, about 1 µs each,
// before it blocks in epoll_wait. Under load the answers come a few
// microseconds apart, and a loop that blocks as soon as none is waiting
// must be woken for the next one, on a core that may have gone idle
// meanwhile; the server under test waits for that too, with every
// request the loop has yet to send. Measured by bench/compare-http.sh
// against a Go server (docs/BENCHMARKS.md), blocking at once gave 0.96x
// wrk's requests per second; polling 8 or 10 times first gave 1.08x and
// 1.16x, at 0.99x its CPU per request, and the server's own cost per
// request fell by a tenth. 3 polls were too few to bridge the gaps.
const spinPolls = 8

// Phases of a connection's current answer.
const (
	phaseHead = iota
	phaseLength
	phaseChunked
	phaseToClose
)

type loopConn struct {
	idx     int32 // its index in the loop, epoll's key for it
	fd      int   // -1: none
	next    int   // index of the next request in the engine's list
	req     *h1Request
	wpos    int       // bytes of req written; below len: waiting to write more
	start   time.Time // when the request was sent
	busy    bool      // a request is in flight
	reused  bool      // the connection has carried a request before this one
	retried bool      // the request was sent again after an idle close
	idle    bool      // the run's budget is spent: no more requests
	retryAt time.Time // when to reconnect after a failure
	backoff time.Duration

	buf     []byte // received and not yet consumed
	off     int    // consumed prefix of buf
	scanned int    // bytes after off searched for the end of a head
	eof     bool
	phase   int
	first   bool // no interim answer read yet for this request
	remain  int64
	resp    h1Response
	writing bool // EPOLLOUT is armed
	// connecting: a non-blocking connect is in progress, its request
	// to be written once the socket is writable.
	connecting bool
}

// h1Loop drives a share of a run's connections from one goroutine.
type h1Loop struct {
	st      *runState
	d       *dialer
	eng     *h1Engine
	index   int
	epfd    int
	conns   []loopConn
	timeout time.Duration
	max     int
	counts  h1Counts
	events  []syscall.EpollEvent
	rd      bytes.Reader
	br      *bufio.Reader
	sa      syscall.Sockaddr // where reconnects go (connectAddr)

	closeOnce sync.Once
}

// newH1Loops splits n connections over up to loops event loops.
func newH1Loops(st *runState, d *dialer, eng *h1Engine, n, loops int) ([]*h1Loop, error) {
	loops = max(1, min(loops, n))
	out := make([]*h1Loop, loops)
	for i := range out {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			for _, l := range out[:i] {
				l.close()
			}
			return nil, err
		}
		share := n / loops
		if i < n%loops {
			share++
		}
		l := &h1Loop{
			st: st, d: d, eng: eng, index: i, epfd: epfd,
			conns:   make([]loopConn, share),
			timeout: st.cfg.timeout(),
			max:     st.cfg.maxReply(),
			events:  make([]syscall.EpollEvent, min(share, 256)),
			br:      bufio.NewReaderSize(nil, h1BufSize),
		}
		for j := range l.conns {
			c := &l.conns[j]
			c.fd, c.idx = -1, int32(j)
			// Connections start at different places in a mixed workload.
			c.next = (i + j*loops) % len(eng.reqs)
		}
		out[i] = l
	}
	return out, nil
}

// dialFd opens a connection with the run's dialer (source addresses,
// timeout) and takes its descriptor out of Go's poller: a duplicate,
// after which the net.Conn is closed, and Go deregisters and closes its
// own. The socket stays non-blocking, with TCP_NODELAY set.
func (l *h1Loop) dialFd(ctx context.Context, origin int) (int, error) {
	c, err := l.d.dial(ctx, l.eng.origins[origin].addr)
	if err != nil {
		return -1, err
	}
	defer c.Close()
	l.eng.learnAddr(c)
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, errors.New("loadgen: connection without a descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(s uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	return fd, nil
}

// attach opens connection j and registers it with the loop's epoll set.
func (l *h1Loop) attach(ctx context.Context, j int) error {
	c := &l.conns[j]
	fd, err := l.dialFd(ctx, 0)
	if err != nil {
		return err
	}
	return l.register(c, fd, false)
}

// register adds fd, a new connection, to the loop's epoll set as c's;
// writable says whether to watch for writability too (a connect in
// progress).
func (l *h1Loop) register(c *loopConn, fd int, writable bool) error {
	events := uint32(syscall.EPOLLIN | syscall.EPOLLRDHUP)
	if writable {
		events |= syscall.EPOLLOUT
	}
	ev := syscall.EpollEvent{Events: events, Fd: c.idx}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		syscall.Close(fd)
		return reqErr("dial", err)
	}
	c.fd, c.reused, c.eof, c.writing, c.connecting = fd, false, false, writable, writable
	c.buf, c.off, c.scanned = c.buf[:0], 0, 0
	return nil
}

func (l *h1Loop) detach(c *loopConn) {
	if c.fd >= 0 {
		// Closing removes it from the epoll set.
		syscall.Close(c.fd)
		c.fd = -1
	}
	c.busy, c.connecting = false, false
}

// setup opens every connection of the loop before the clock starts,
// paced as the other targets' set-up is; it returns how many opened and
// the first failure.
func (l *h1Loop) setup(ctx context.Context) (int, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok       int
		firstErr error
	)
	for j := range l.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.d.paced(ctx, func() error { return l.attach(ctx, j) })
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return ok, firstErr
}

// run drives the loop until the run ends.
func (l *h1Loop) run(ctx context.Context) {
	sh := l.st.rec.shard(l.index)
	now := time.Now()
	for j := range l.conns {
		l.send(ctx, sh, &l.conns[j], now)
	}
	nextScan := now.Add(loopWait)
	for {
		if l.st.stopped.Load() || ctx.Err() != nil {
			return
		}
		// Under load events are waiting: take them without entering the
		// scheduler's blocking-syscall path, which costs a wake-up when
		// the call returns; block only when there are none.
		n, err := epollPoll(l.epfd, l.events)
		for i := 0; n == 0 && err == nil && i < spinPolls; i++ {
			n, err = epollPoll(l.epfd, l.events)
		}
		if n == 0 && err == nil {
			n, err = syscall.EpollWait(l.epfd, l.events, int(loopWait/time.Millisecond))
		}
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return
		}
		now = time.Now()
		if !now.Before(l.st.end) {
			return // answers from now on do not count
		}
		for _, ev := range l.events[:max(n, 0)] {
			c := &l.conns[ev.Fd]
			if c.fd < 0 {
				continue
			}
			if c.connecting {
				if ev.Events&(syscall.EPOLLOUT|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
					l.connected(ctx, sh, c)
				}
				continue
			}
			if ev.Events&syscall.EPOLLOUT != 0 && c.busy && c.wpos < len(c.req.bytes) {
				l.write(ctx, sh, c, now)
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.read(ctx, sh, c, now)
			}
		}

		if now.After(nextScan) {
			nextScan = now.Add(loopWait)
			active := false
			for j := range l.conns {
				c := &l.conns[j]
				switch {
				case c.busy && c.connecting && now.Sub(c.start) > l.timeout:
					l.fail(ctx, sh, c, now, &RequestError{Op: "dial", Class: netclass.Timeout,
						Err: fmt.Errorf("not connected within %v", l.timeout)})
				case c.busy && now.Sub(c.start) > l.timeout:
					l.fail(ctx, sh, c, now, &RequestError{Op: "read", Class: netclass.Timeout,
						Err: fmt.Errorf("no response within %v", l.timeout)})
				case !c.busy && !c.idle && !c.retryAt.IsZero() && !now.Before(c.retryAt):
					c.retryAt = time.Time{}
					l.send(ctx, sh, c, now)
				}
				active = active || !c.idle
			}
			if !active {
				return // every connection has spent the budget
			}
		}
	}
}

// send starts the connection's next request, reconnecting first if it
// has no connection.
func (l *h1Loop) send(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	if !l.st.claim() {
		c.idle = true
		return
	}
	c.req = &l.eng.reqs[c.next]
	if c.next++; c.next == len(l.eng.reqs) {
		c.next = 0
	}
	c.retried = false
	l.start(ctx, sh, c, now)
}

// start writes the current request on the connection, once it has one:
// a reconnect that cannot complete at once writes it when it does
// (connected).
func (l *h1Loop) start(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	if c.fd < 0 {
		sa := l.connectAddr()
		if sa == nil {
			// No connection has opened yet to say where to: dial as
			// the set-up does.
			if err := l.attach(ctx, int(c.idx)); err != nil {
				c.busy = true // so that fail counts it
				l.fail(ctx, sh, c, now, err)
				return
			}
			now = time.Now()
		} else {
			fd, done, err := l.connect(sa)
			if err == nil {
				err = l.register(c, fd, !done)
			}
			if err != nil {
				c.busy = true
				l.fail(ctx, sh, c, now, reqErr("dial", err))
				return
			}
			if !done {
				// The timeout counts from here, as a dial's does.
				c.busy, c.start = true, now
				return
			}
		}
	}
	l.begin(ctx, sh, c, now)
}

// connected goes on once a connect in progress has ended: the request
// is written, or the dial's failure counted.
func (l *h1Loop) connected(ctx context.Context, sh *shard, c *loopConn) {
	c.connecting = false
	now := time.Now()
	if err := connectResult(c.fd); err != nil {
		l.fail(ctx, sh, c, now, reqErr("dial", err))
		return
	}
	// Latency counts from the request's first byte, as after a dial at
	// set-up.
	l.begin(ctx, sh, c, now)
}

// begin writes the current request on c's open connection.
func (l *h1Loop) begin(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	c.busy, c.start, c.wpos = true, now, 0
	c.phase, c.first, c.resp, c.scanned = phaseHead, true, h1Response{}, 0
	l.write(ctx, sh, c, now)
}

// write writes what is left of the request; a full socket buffer arms
// EPOLLOUT until it drains.
func (l *h1Loop) write(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	for c.wpos < len(c.req.bytes) {
		n, err := rawWrite(c.fd, c.req.bytes[c.wpos:])
		if err == syscall.EAGAIN {
			if !c.writing {
				c.writing = true
				l.mod(c, syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLOUT)
			}
			return
		}
		if err != nil {
			l.fail(ctx, sh, c, now, reqErr("write", err))
			return
		}
		c.wpos += n
	}
	if c.writing {
		c.writing = false
		l.mod(c, syscall.EPOLLIN|syscall.EPOLLRDHUP)
	}
}

func (l *h1Loop) mod(c *loopConn, events uint32) {
	ev := syscall.EpollEvent{Events: events, Fd: c.idx}
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev)
}

// read takes what the socket has and parses as far as it goes.
func (l *h1Loop) read(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	for !c.eof {
		if c.off > 0 && c.off == len(c.buf) {
			c.buf, c.off = c.buf[:0], 0
		}
		if cap(c.buf)-len(c.buf) < 1024 {
			if c.off > 0 {
				c.buf, c.off = append(c.buf[:0], c.buf[c.off:]...), 0
			}
			if cap(c.buf)-len(c.buf) < 1024 {
				if len(c.buf) > max(MaxResponseHeader, l.max)+64<<10 {
					l.fail(ctx, sh, c, now, reqErr("read", errReplyTooLong))
					return
				}
				nb := make([]byte, len(c.buf), max(2*cap(c.buf), h1BufSize))
				copy(nb, c.buf)
				c.buf = nb
			}
		}
		space := c.buf[len(c.buf):cap(c.buf)]
		n, err := rawRead(c.fd, space)
		if err == syscall.EAGAIN {
			break
		}
		if err != nil {
			if c.busy {
				if c.phase == phaseHead && c.first && len(c.buf) == c.off {
					// Not a byte of the answer: as readH1Head says of
					// an end of input, so that a reused connection's
					// request is sent again.
					err = fmt.Errorf("%w: %w", errNoAnswer, err)
				}
				l.fail(ctx, sh, c, now, reqErr("read", err))
			} else {
				l.detach(c)
			}
			return
		}
		if n == 0 {
			c.eof = true
			break
		}
		c.buf = c.buf[:len(c.buf)+n]
		if n < len(space) {
			break // a short read: the socket is drained
		}
	}
	if !c.busy {
		// Bytes or a close with no request in flight: the connection is
		// of no more use.
		if c.eof || len(c.buf) > c.off {
			l.detach(c)
		}
		return
	}
	l.parse(ctx, sh, c, now)
}

// parse advances the current answer over the buffered bytes.
func (l *h1Loop) parse(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	for {
		data := c.buf[c.off:]
		switch c.phase {
		case phaseHead:
			// Parse only once the head's end has arrived (or the head is
			// over its limit), so that a head arriving in many reads is
			// searched once, not parsed again from its start each time.
			// Something that is not HTTP is refused at once.
			if !c.eof && len(data) <= MaxResponseHeader && looksHTTP(data) {
				from := min(max(c.scanned-2, 0), len(data))
				if !bytes.Contains(data[from:], []byte("\n\r\n")) && !bytes.Contains(data[from:], []byte("\n\n")) {
					c.scanned = len(data)
					return
				}
			}
			c.scanned = 0
			l.rd.Reset(data)
			l.br.Reset(&l.rd)
			budget := MaxResponseHeader
			r, f, err := readH1Head(l.br, &budget, c.first)
			if err != nil {
				if !c.eof && (errors.Is(err, errNoAnswer) || errors.Is(err, io.ErrUnexpectedEOF)) {
					return // more to come
				}
				l.fail(ctx, sh, c, now, err)
				return
			}
			c.off += len(data) - l.rd.Len() - l.br.Buffered()
			c.first = false
			if r.status == 101 {
				l.fail(ctx, sh, c, now, errSwitching)
				return
			}
			if r.status < 200 {
				continue
			}
			c.resp = r
			switch {
			case c.req.head || r.status == 204 || r.status == 304:
				l.done(ctx, sh, c, now)
				return
			case f.chunked:
				c.phase = phaseChunked
			case f.length >= 0:
				if f.length > int64(l.max) {
					l.fail(ctx, sh, c, now, errReplyTooLong)
					return
				}
				c.phase, c.remain = phaseLength, f.length
			default:
				c.phase, c.resp.close = phaseToClose, true
			}
		case phaseLength:
			take := min(c.remain, int64(len(data)))
			c.off += int(take)
			c.remain -= take
			c.resp.bodyBytes += take
			if c.remain == 0 {
				l.done(ctx, sh, c, now)
				return
			}
			if c.eof {
				l.fail(ctx, sh, c, now, reqErr("read", io.ErrUnexpectedEOF))
			}
			return
		case phaseChunked:
			l.rd.Reset(data)
			l.br.Reset(&l.rd)
			budget := MaxResponseHeader
			n, err := readChunked(l.br, &budget, l.max)
			if err != nil {
				if !c.eof && errors.Is(err, io.ErrUnexpectedEOF) {
					return
				}
				l.fail(ctx, sh, c, now, err)
				return
			}
			c.off += len(data) - l.rd.Len() - l.br.Buffered()
			c.resp.bodyBytes = n
			l.done(ctx, sh, c, now)
			return
		case phaseToClose:
			c.resp.bodyBytes += int64(len(data))
			c.off += len(data)
			if c.resp.bodyBytes > int64(l.max) {
				l.fail(ctx, sh, c, now, errReplyTooLong)
				return
			}
			if c.eof {
				l.done(ctx, sh, c, now)
			}
			return
		}
	}
}

// done records the answer and sends the next request.
func (l *h1Loop) done(ctx context.Context, sh *shard, c *loopConn, now time.Time) {
	c.busy = false
	c.reused = true
	c.backoff = 0
	lat := now.Sub(c.start)
	sh.success(lat, lat)
	l.counts.status(c.resp.status)
	l.counts.bodyBytes += c.resp.bodyBytes
	// An answer that came before the whole request was written (a 405
	// or 413 to a large upload) leaves the rest of the body unsent: the
	// connection cannot carry the next request, which would land inside
	// that body (RFC 9112 asks a client to finish it or to close).
	if c.resp.close || c.eof || c.wpos < len(c.req.bytes) {
		l.detach(c)
	}
	l.send(ctx, sh, c, now)
}

// fail counts a failed request, drops the connection and schedules a
// reconnect after a growing pause, as the closed model's sessions back
// off; a request the server never saw (an idle close) is sent again once
// at once instead.
func (l *h1Loop) fail(ctx context.Context, sh *shard, c *loopConn, now time.Time, err error) {
	reused := c.reused
	l.detach(c)
	if l.st.ended(ctx, time.Now()) {
		// The run ended during this request: it does not count, as in
		// the other engines.
		c.idle = true
		return
	}
	if reused && !c.retried && idleClosed(err) && c.req.idem {
		c.retried = true
		l.start(ctx, sh, c, now)
		return
	}
	if errors.Is(err, ErrProtocol) {
		err = &RequestError{Op: "read", Class: netclass.Protocol, Err: err}
	} else if _, ok := err.(*RequestError); !ok {
		err = reqErr("read", err)
	}
	sh.failure(err)
	c.backoff = min(max(2*c.backoff, time.Millisecond), 100*time.Millisecond)
	c.retryAt = now.Add(c.backoff)
}

func (l *h1Loop) close() {
	l.closeOnce.Do(func() {
		for j := range l.conns {
			l.detach(&l.conns[j])
		}
		syscall.Close(l.epfd)
		l.counts.fold(l.st)
	})
}

func rawRead(fd int, p []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// epollPoll is epoll_wait with a zero timeout, which never blocks.
func epollPoll(epfd int, events []syscall.EpollEvent) (int, error) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
