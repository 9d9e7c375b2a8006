package loadgen

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netkit-dev/netkit/netclass"
)

// The HTTP/1.1 engine: each session holds one keep-alive connection per
// origin, writes requests whose bytes were built before the run, and
// parses responses in place from a reused buffer (h1wire.go), so that a
// request costs no allocation: a write, a read, and the parse.
// net/http's client, by contrast, runs two goroutines per connection and
// allocates a Request, a Response and their header maps per round trip.

// h1BufSize is each connection's read buffer: a status line, the headers
// and small bodies of most responses fit in one read.
const h1BufSize = 8 << 10

// h1Engine is what every session of a run shares: the prepared requests
// and the origins they go to.
type h1Engine struct {
	reqs    []h1Request
	origins []h1Origin
	// raddr is where the first connection went, for the event loop's
	// reconnects (learnAddr).
	raddr atomic.Pointer[net.TCPAddr]
}

type h1Origin struct {
	addr string      // host:port to dial
	tls  *tls.Config // nil for http://
}

// HTTPRequest is one request of a mixed HTTP workload (Config.HTTPRequests).
type HTTPRequest struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// httpRequests returns the run's requests: Config.HTTPRequests, or the
// one that Method, URL, Header and Body describe.
func (c *Config) httpRequests() []HTTPRequest {
	if len(c.HTTPRequests) > 0 {
		return c.HTTPRequests
	}
	return []HTTPRequest{{Method: c.Method, URL: c.URL, Header: c.Header, Body: c.Body}}
}

// describeURL names the run's URL in its result: a mixed workload by its
// first request.
func (c *Config) describeURL() string {
	if c.URL != "" || len(c.HTTPRequests) == 0 {
		return c.URL
	}
	if n := len(c.HTTPRequests); n > 1 {
		return fmt.Sprintf("%s (and %d more)", c.HTTPRequests[0].URL, n-1)
	}
	return c.HTTPRequests[0].URL
}

func newH1Engine(cfg *Config) (*h1Engine, error) {
	e := &h1Engine{}
	index := map[string]int{}
	for _, r := range cfg.httpRequests() {
		u, err := url.Parse(r.URL)
		if err != nil {
			return nil, err
		}
		port := u.Port()
		if port == "" {
			port = "80"
			if u.Scheme == "https" {
				port = "443"
			}
		}
		addr := net.JoinHostPort(u.Hostname(), port)
		key := u.Scheme + "://" + addr
		o, ok := index[key]
		if !ok {
			o = len(e.origins)
			index[key] = o
			origin := h1Origin{addr: addr}
			if u.Scheme == "https" {
				tc := cfg.TLS.Clone()
				if tc == nil {
					tc = &tls.Config{}
				}
				if tc.ServerName == "" {
					tc.ServerName = u.Hostname()
				}
				// The engine speaks HTTP/1.1 only; --http2 runs on
				// net/http's client.
				tc.NextProtos = []string{"http/1.1"}
				if tc.ClientSessionCache == nil {
					tc.ClientSessionCache = tls.NewLRUClientSessionCache(0)
				}
				origin.tls = tc
			}
			e.origins = append(e.origins, origin)
		}
		e.reqs = append(e.reqs, h1Request{
			origin: o,
			head:   r.Method == http.MethodHead,
			idem:   idempotentMethod(r.Method),
			bytes:  buildH1Request(r.Method, u, cmp.Or(cfg.Host, r.Header.Get("Host")), r.Header, r.Body),
		})
	}
	return e, nil
}

// h1Conn is one connection of a session.
type h1Conn struct {
	c        net.Conn
	br       *bufio.Reader
	deadline time.Time
	used     bool // has carried a request: an EOF before any answer is an idle close
}

// h1Counts is what a session counts for the run's totals, folded in when
// it closes so that no counter is shared between cores while it runs.
type h1Counts struct {
	codes     []statusCount
	bodyBytes int64
}

type statusCount struct {
	code int
	n    int64
}

func (c *h1Counts) status(code int) {
	if i := c.index(code); i >= 0 {
		c.codes[i].n++
		return
	}
	c.codes = append(c.codes, statusCount{code, 1})
}

func (c *h1Counts) index(code int) int {
	for i := range c.codes {
		if c.codes[i].code == code {
			return i
		}
	}
	return -1
}

func (c *h1Counts) add(o *h1Counts) {
	for _, sc := range o.codes {
		if i := c.index(sc.code); i >= 0 {
			c.codes[i].n += sc.n
		} else {
			c.codes = append(c.codes, sc)
		}
	}
	c.bodyBytes += o.bodyBytes
}

func (c *h1Counts) fold(st *runState) {
	for _, sc := range c.codes {
		if sc.code > 0 && sc.code < len(st.statuses) {
			st.statuses[sc.code].Add(sc.n)
		}
	}
	st.bodyBytes.Add(c.bodyBytes)
	*c = h1Counts{}
}

// h1Session sends requests one at a time, cycling through the engine's
// requests, each on the connection to its origin.
type h1Session struct {
	st      *runState
	d       *dialer
	eng     *h1Engine
	next    int
	timeout time.Duration
	max     int
	counts  h1Counts

	mu      sync.Mutex // guards conns against interrupt
	conns   []h1Conn
	stopped bool
}

func newH1Session(st *runState, d *dialer, eng *h1Engine, first int) *h1Session {
	return &h1Session{
		st: st, d: d, eng: eng,
		next:    first % len(eng.reqs),
		timeout: st.cfg.timeout(),
		max:     st.cfg.maxReply(),
		conns:   make([]h1Conn, len(eng.origins)),
	}
}

// dialH1 opens a connection to origin o, with TLS for https.
func dialH1(ctx context.Context, d *dialer, o h1Origin) (net.Conn, error) {
	c, err := d.dial(ctx, o.addr)
	if err != nil || o.tls == nil {
		return c, err
	}
	tc := tls.Client(c, o.tls)
	hctx, cancel := context.WithTimeout(ctx, d.cfg.timeout())
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, &RequestError{Op: "handshake", Class: netclass.Of(err), Err: err}
	}
	if tc.ConnectionState().DidResume {
		d.resumed.Add(1)
	}
	return tc, nil
}

func (s *h1Session) open(ctx context.Context, o int) (*h1Conn, error) {
	c, err := dialH1(ctx, s.d, s.eng.origins[o])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		c.Close()
		return nil, net.ErrClosed
	}
	hc := &s.conns[o]
	hc.c, hc.deadline, hc.used = c, time.Time{}, false
	if hc.br == nil {
		hc.br = bufio.NewReaderSize(c, h1BufSize)
	} else {
		hc.br.Reset(c)
	}
	return hc, nil
}

func (s *h1Session) drop(o int) {
	s.mu.Lock()
	if c := s.conns[o].c; c != nil {
		c.Close()
		s.conns[o].c = nil
	}
	s.mu.Unlock()
}

// connect opens the connection of the session's first request before the
// clock starts.
func (s *h1Session) connect(ctx context.Context) error {
	_, err := s.open(ctx, s.eng.reqs[s.next].origin)
	return err
}

func (s *h1Session) do(ctx context.Context, now, _ time.Time) error {
	req := &s.eng.reqs[s.next]
	if s.next++; s.next == len(s.eng.reqs) {
		s.next = 0
	}
	for attempt := 0; ; attempt++ {
		hc := &s.conns[req.origin]
		if hc.c == nil {
			var err error
			if hc, err = s.open(ctx, req.origin); err != nil {
				return err
			}
		}
		// Refresh the deadline only when half of it is used up, as the
		// line target does: the deadline bounds the whole request,
		// however slowly the server drips it.
		if now.Add(s.timeout / 2).After(hc.deadline) {
			hc.deadline = now.Add(s.timeout)
			// Under the lock, so as not to undo an interrupt's deadline
			// in the past, which ends the run's last request at once.
			s.mu.Lock()
			if !s.stopped {
				hc.c.SetDeadline(hc.deadline)
			}
			s.mu.Unlock()
		}
		reused := hc.used
		hc.used = true
		_, err := hc.c.Write(req.bytes)
		op := "write"
		var r h1Response
		if err == nil {
			op = "read"
			r, err = readH1Response(hc.br, req.head, s.max)
		}
		if err != nil {
			s.drop(req.origin)
			if errors.Is(err, ErrProtocol) {
				return &RequestError{Op: op, Class: netclass.Protocol, Err: err}
			}
			err = reqErr(op, err)
			// A kept-alive connection the server closed while idle: the
			// request never reached it, so try once on a new connection,
			// as net/http's client does for idempotent requests.
			if reused && attempt == 0 && idleClosed(err) && req.idem {
				now = time.Now()
				continue
			}
			return err
		}
		s.counts.status(r.status)
		s.counts.bodyBytes += r.bodyBytes
		if r.close {
			s.drop(req.origin)
		}
		return nil
	}
}

// idleClosed reports an error that a server closing an idle connection
// gives: an end or a reset of the connection before any byte of the
// answer, or a write that found it closed. A reset after part of the
// answer is the server's failure, and counts as one.
func idleClosed(err error) bool {
	if errors.Is(err, errNoAnswer) {
		return true
	}
	var re *RequestError
	return errors.As(err, &re) && re.Op == "write" && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE))
}

// idempotentMethod reports the methods net/http's client also sends
// again (GET when empty).
func idempotentMethod(m string) bool {
	switch m {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (s *h1Session) reset() {}

func (s *h1Session) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for i := range s.conns {
		if c := s.conns[i].c; c != nil {
			c.SetDeadline(time.Unix(1, 0))
		}
	}
}

func (s *h1Session) close() {
	s.mu.Lock()
	s.stopped = true
	for i := range s.conns {
		if c := s.conns[i].c; c != nil {
			c.Close()
			s.conns[i].c = nil
		}
	}
	s.mu.Unlock()
	s.counts.fold(s.st)
}

// h1Pipe is one pipelined connection shared by Pipeline slots, each with
// a request in flight: requests are written in turn, and a reader hands
// each response to the slot whose request was written at that place, as
// HTTP/1.1 answers in order. A timed-out request breaks the connection
// for all of them, since a later answer cannot be told from its.
type h1Pipe struct {
	st       *runState
	d        *dialer
	eng      *h1Engine
	pipeline int

	mu   sync.Mutex
	cur  *h1PipeConn
	next int // next request of eng.reqs to send

	countsMu sync.Mutex
	counts   h1Counts
}

type h1PipeConn struct {
	c    net.Conn
	wmu  sync.Mutex
	wdl  time.Time
	fifo chan h1Pending // requests written, not yet answered, in order
	done chan struct{}  // closed when the reader ends
	err  error          // why the reader ended; read after done
	quit chan struct{}  // closed by shut: the reader stops waiting for requests
	once sync.Once
	// answered counts the answers read; read after done.
	answered int
}

// shut closes the connection and ends its reader.
func (pc *h1PipeConn) shut() {
	pc.once.Do(func() {
		pc.c.Close()
		close(pc.quit)
	})
}

type h1Pending struct {
	slot int
	head bool
	seq  uint64
}

type h1Answer struct {
	seq uint64
	err error
}

func (p *h1Pipe) get(ctx context.Context, slots []chan h1Answer) (*h1PipeConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		select {
		case <-p.cur.done:
			p.cur = nil
		default:
			return p.cur, nil
		}
	}
	c, err := dialH1(ctx, p.d, p.eng.origins[0])
	if err != nil {
		return nil, err
	}
	pc := &h1PipeConn{c: c, fifo: make(chan h1Pending, p.pipeline), done: make(chan struct{}), quit: make(chan struct{})}
	if !p.st.track(pc, true) {
		c.Close()
		return nil, net.ErrClosed
	}
	go pc.readLoop(p, slots)
	p.cur = pc
	return pc, nil
}

func (pc *h1PipeConn) interrupt() { pc.c.SetDeadline(time.Unix(1, 0)) }

func (pc *h1PipeConn) readLoop(p *h1Pipe, slots []chan h1Answer) {
	defer close(pc.done)
	br := bufio.NewReaderSize(pc.c, h1BufSize)
	max := p.st.cfg.maxReply()
	var counts h1Counts
	defer func() {
		p.countsMu.Lock()
		p.counts.add(&counts)
		p.countsMu.Unlock()
	}()
	for {
		var want h1Pending
		select {
		case want = <-pc.fifo:
		case <-pc.quit:
			pc.err = reqErr("read", net.ErrClosed)
			return
		}
		r, err := readH1Response(br, want.head, max)
		if errors.Is(err, errNoAnswer) {
			// Closed between answers: what is queued was not served.
			pc.err = errPipeClosed
			pc.shut()
			return
		}
		if err != nil {
			if errors.Is(err, ErrProtocol) {
				err = &RequestError{Op: "read", Class: netclass.Protocol, Err: err}
			} else {
				err = reqErr("read", err)
			}
			pc.err = err
			pc.shut()
			return
		}
		counts.status(r.status)
		counts.bodyBytes += r.bodyBytes
		pc.answered++
		select {
		case slots[want.slot] <- h1Answer{seq: want.seq}:
		default:
		}
		if r.close {
			pc.err = errPipeClosed
			pc.shut()
			return
		}
	}
}

func (p *h1Pipe) drop(pc *h1PipeConn) {
	p.mu.Lock()
	if p.cur == pc {
		p.cur = nil
	}
	p.mu.Unlock()
	pc.shut()
	p.st.track(pc, false)
}

func (p *h1Pipe) close() {
	p.mu.Lock()
	pc := p.cur
	p.cur = nil
	p.mu.Unlock()
	if pc != nil {
		pc.shut()
		<-pc.done
		p.st.track(pc, false)
	}
	p.countsMu.Lock()
	p.counts.fold(p.st)
	p.countsMu.Unlock()
}

// h1Slot is one request-in-flight position on a pipelined connection.
type h1Slot struct {
	p     *h1Pipe
	slot  int
	slots []chan h1Answer // shared by the pipe's slots
	seq   uint64
	cur   *h1PipeConn
	timer *time.Timer
}

func (s *h1Slot) connect(ctx context.Context) error {
	_, err := s.p.get(ctx, s.slots)
	return err
}

func (s *h1Slot) do(ctx context.Context, now, _ time.Time) error {
	s.p.mu.Lock()
	req := &s.p.eng.reqs[s.p.next]
	if s.p.next++; s.p.next == len(s.p.eng.reqs) {
		s.p.next = 0
	}
	s.p.mu.Unlock()
	for attempt := 0; ; attempt++ {
		err := s.try(ctx, now, req)
		// Requests written behind the answer on which the server closed
		// the connection were never served: send them again on a new
		// one. Again and again while each connection serves some (a
		// server that closes after every answer serves one request per
		// connection); once when one served none.
		if errors.Is(err, errPipeClosed) && req.idem && (attempt == 0 || s.cur.answered > 0) && ctx.Err() == nil {
			s.p.drop(s.cur)
			now = time.Now()
			continue
		}
		return err
	}
}

// errPipeClosed ends a pipelined connection that the server closed at the
// end of an answer, cleanly: the requests still queued on it were not
// served.
var errPipeClosed = &RequestError{Op: "read", Class: netclass.EOF, Err: fmt.Errorf("%w: the server closed a pipelined connection", io.EOF)}

func (s *h1Slot) try(ctx context.Context, now time.Time, req *h1Request) error {
	pc, err := s.p.get(ctx, s.slots)
	if err != nil {
		return err
	}
	s.cur = pc
	s.seq++
	// An answer left from this slot's last request, which timed out as
	// its reader was delivering it, would fill the slot's channel, and
	// the reader would drop this request's answer for want of room.
	select {
	case <-s.slots[s.slot]:
	default:
	}
	timeout := s.p.st.cfg.timeout()
	pc.wmu.Lock()
	if now.Add(timeout / 2).After(pc.wdl) {
		pc.wdl = now.Add(timeout)
		pc.c.SetDeadline(pc.wdl)
	}
	// Queue before writing, so that the reader knows the request before
	// its answer can arrive; the queue has room for every slot.
	pc.fifo <- h1Pending{slot: s.slot, head: req.head, seq: s.seq}
	_, err = pc.c.Write(req.bytes)
	pc.wmu.Unlock()
	if s.timer == nil {
		s.timer = time.NewTimer(timeout)
	} else {
		s.timer.Reset(timeout)
	}
	defer s.timer.Stop()
	if err != nil {
		// The reader tells why: a server that closed cleanly after an
		// answer did not serve this request.
		select {
		case <-pc.done:
			if pc.err == errPipeClosed {
				return errPipeClosed
			}
		case <-s.timer.C:
		}
		return reqErr("write", err)
	}
	for {
		select {
		case a := <-s.slots[s.slot]:
			if a.seq != s.seq {
				continue
			}
			return a.err
		case <-pc.done:
			// The reader may have answered just before it ended.
			select {
			case a := <-s.slots[s.slot]:
				if a.seq == s.seq {
					return a.err
				}
			default:
			}
			return pc.err
		case <-s.timer.C:
			return &RequestError{Op: "read", Class: netclass.Timeout, Err: fmt.Errorf("no response within %v", timeout)}
		}
	}
}

// reset drops the connection after any failure: with pipelining, a lost
// answer leaves every later one misattributed.
func (s *h1Slot) reset() {
	if pc := s.cur; pc != nil {
		s.p.drop(pc)
	}
}

func (s *h1Slot) interrupt() {
	s.p.mu.Lock()
	pc := s.p.cur
	s.p.mu.Unlock()
	if pc != nil {
		pc.interrupt()
	}
}

func (s *h1Slot) close() {
	if s.slot == 0 {
		s.p.close()
	}
}

var (
	_ session = (*h1Session)(nil)
	_ session = (*h1Slot)(nil)
)
