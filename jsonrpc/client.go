package jsonrpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/retry"
)

// Defaults of the ClientOptions fields left zero.
const (
	DefaultDialTimeout       = 5 * time.Second
	DefaultClientCallTimeout = 30 * time.Second
)

// ClientOptions configure a Client; the zero value works.
type ClientOptions struct {
	// Dialect is the shape of the requests; V2 (JSON-RPC 2.0) by default.
	// With Bare, a result {"error": MESSAGE} is returned as an *Error
	// (CodeMethodNotFound for "Unknown method: ...", else CodeServerError),
	// since that is how a bare-dialect server reports failures.
	Dialect Dialect

	// MaxFrameSize bounds a response frame. 0 means frame.DefaultMaxSize.
	MaxFrameSize int

	// CallTimeout bounds a call whose context has no earlier deadline.
	// 0 means DefaultClientCallTimeout (30s); negative means no limit.
	CallTimeout time.Duration

	// DialTimeout bounds each connection attempt. 0 means
	// DefaultDialTimeout (5s).
	DialTimeout time.Duration

	// TLSConfig, if set, makes Dial (and each reconnection) connect with
	// TLS, the handshake included in DialTimeout.
	TLSConfig *tls.Config

	// Reconnect makes the client dial again, with Retry's backoff, on the
	// first call after its connection was lost. Calls in flight when the
	// connection broke fail with ErrConnLost either way: the server may
	// have run them, so they are not resent.
	Reconnect bool

	// Retry is the backoff policy of reconnection; the zero value is
	// retry's default (4 attempts, full jitter from 100ms).
	Retry retry.Policy

	// Logger receives connection losses and unmatched responses; nil is
	// silent.
	Logger *slog.Logger
}

// Client calls a JSON-RPC server over one framed connection. It is safe for
// concurrent use: concurrent calls share the connection, their responses
// matched by id (pipelining), and the requests of calls made together leave
// in one write. A write that does not finish within DefaultWriteTimeout
// (a server that stopped reading) breaks the connection.
type Client struct {
	addr string // "" for a client on a given connection: no reconnect
	opts ClientOptions

	dialMu  sync.Mutex // serialises redials
	mu      sync.Mutex
	conn    *clientConn // nil after a loss, until the next dial
	closed  bool
	nextID  uint64
	lastErr error
}

// clientConn is one connection with its pending calls.
type clientConn struct {
	c       *Client
	nc      net.Conn
	max     int // frame size limit
	mu      sync.Mutex
	pending map[string]*pendingCall
	frames  uint64 // request frames sent, to tell a batch's calls apart
	dead    error
	done    chan struct{}

	wmu     sync.Mutex
	writing bool   // a caller is writing the queue
	queue   []byte // frames waiting for the write in progress
	spare   []byte
}

type pendingCall struct {
	ch    chan response // buffered 1
	frame uint64
}

type response struct {
	result json.RawMessage
	err    error
}

// Dial connects to the framed JSON-RPC server at addr (host:port).
func Dial(ctx context.Context, addr string, opts *ClientOptions) (*Client, error) {
	c := &Client{addr: addr}
	if opts != nil {
		c.opts = *opts
	}
	// Under mu: the connection's reader may already have lost it
	// (Client.lost), and must find it set to record why.
	c.mu.Lock()
	defer c.mu.Unlock()
	cc, err := c.dialOnce(ctx)
	if err != nil {
		return nil, err
	}
	c.conn = cc
	return c, nil
}

// NewClient returns a Client on an established connection; it never
// reconnects. Close closes conn.
func NewClient(conn net.Conn, opts *ClientOptions) *Client {
	c := &Client{}
	if opts != nil {
		c.opts = *opts
	}
	// Under mu: the connection's reader may already have lost it
	// (Client.lost), and must find it set to record why.
	c.mu.Lock()
	c.conn = c.start(conn)
	c.mu.Unlock()
	return c
}

func (c *Client) dialOnce(ctx context.Context) (*clientConn, error) {
	d := net.Dialer{Timeout: durDefault(c.opts.DialTimeout, DefaultDialTimeout)}
	var nc net.Conn
	var err error
	if c.opts.TLSConfig != nil {
		// tls.Dialer's timeout covers the handshake too.
		td := tls.Dialer{NetDialer: &d, Config: c.opts.TLSConfig}
		nc, err = td.DialContext(ctx, "tcp", c.addr)
	} else {
		nc, err = d.DialContext(ctx, "tcp", c.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("jsonrpc: dial: %w", err)
	}
	return c.start(nc), nil
}

func (c *Client) start(nc net.Conn) *clientConn {
	cc := &clientConn{
		c:       c,
		nc:      nc,
		max:     frameLimit(c.opts.MaxFrameSize),
		pending: make(map[string]*pendingCall),
		done:    make(chan struct{}),
	}
	go cc.readLoop()
	return cc
}

// connect returns the live connection, dialling again when it was lost and
// Reconnect is set.
func (c *Client) connect(ctx context.Context) (*clientConn, error) {
	if cc, decided, err := c.live(); decided {
		return cc, err
	}
	// Calls wait here while one of them redials: one dial, not a storm.
	// c.mu is not held meanwhile, so Close never waits for a dial.
	c.dialMu.Lock()
	defer c.dialMu.Unlock()
	if cc, decided, err := c.live(); decided {
		return cc, err // another call has redialled
	}
	var cc *clientConn
	err := retry.Do(ctx, c.opts.Retry, func(ctx context.Context) error {
		var err error
		cc, err = c.dialOnce(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.conn = cc
	}
	c.mu.Unlock()
	if closed {
		cc.close()
		return nil, ErrClosed
	}
	return cc, nil
}

// live returns the connection to use or the error to return, with decided
// true; decided is false when the caller should redial.
func (c *Client) live() (cc *clientConn, decided bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return nil, true, ErrClosed
	case c.conn != nil && !c.conn.isDead():
		return c.conn, true, nil
	}
	if c.conn != nil && c.lastErr == nil {
		// Its reader has failed it but not yet called lost: keep the
		// cause, which lost will no longer record once c.conn is nil.
		c.lastErr = c.conn.deadErr()
	}
	c.conn = nil
	if !c.opts.Reconnect || c.addr == "" {
		if c.lastErr == nil {
			return nil, true, ErrConnLost
		}
		return nil, true, c.lastErr
	}
	return nil, false, nil
}

// lost forgets cc after its connection broke.
func (c *Client) lost(cc *clientConn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == cc {
		c.conn = nil
		c.lastErr = err
	}
}

// Close closes the connection; calls in flight fail with ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cc := c.conn
	c.conn = nil
	c.mu.Unlock()
	if cc == nil {
		return nil
	}
	return cc.close()
}

// close ends the connection, failing its calls in flight with ErrClosed,
// and waits for its reader.
func (cc *clientConn) close() error {
	cc.fail(ErrClosed)
	err := cc.nc.Close()
	<-cc.done
	return err
}

func (c *Client) id() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return c.nextID
}

func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	t := durDefault(c.opts.CallTimeout, DefaultClientCallTimeout)
	if dl, ok := ctx.Deadline(); t <= 0 || ok && time.Until(dl) <= t {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, t)
}

// Call calls method with params (encoded as JSON; nil sends none) and
// decodes the result into result (unless nil). An error response is
// returned as an *Error; ctx and CallTimeout bound the wait.
func (c *Client) Call(ctx context.Context, method string, params, result any) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	id := c.id()
	req, err := encodeRequest(nil, c.opts.Dialect, method, params, id, true)
	if err != nil {
		return err
	}
	cc, err := c.connect(ctx)
	if err != nil {
		return err
	}
	key := strconv.FormatUint(id, 10)
	pc, err := cc.send(req, []string{key})
	if err != nil {
		return err
	}
	select {
	case r := <-pc[0].ch:
		return decodeResult(r, c.opts.Dialect, result)
	case <-ctx.Done():
		cc.forget(key)
		return fmt.Errorf("jsonrpc: call %s: %w", method, ctx.Err())
	}
}

// Notify sends a notification: a request without id, which a JSON-RPC 2.0
// server does not answer. (A bare-dialect server answers everything; such
// answers are dropped.)
func (c *Client) Notify(ctx context.Context, method string, params any) error {
	req, err := encodeRequest(nil, c.opts.Dialect, method, params, 0, false)
	if err != nil {
		return err
	}
	cc, err := c.connect(ctx)
	if err != nil {
		return err
	}
	_, err = cc.send(req, nil)
	return err
}

// BatchElem is one request of a batch: a call (its outcome in Result and
// Error) or, with Notify, a notification.
type BatchElem struct {
	Method string
	Params any
	Result any   // decoded into when not nil
	Notify bool  // send without id, expect no response
	Error  error // set by Batch: the call's *Error or failure
}

// Batch sends elems as one JSON-RPC 2.0 batch and waits for every call's
// response. Each element's outcome is in its Error field; Batch itself
// returns an error only when the batch could not be sent or the wait ended
// (ctx, CallTimeout, lost connection) before all responses came.
func (c *Client) Batch(ctx context.Context, elems []BatchElem) error {
	if len(elems) == 0 {
		return nil
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var req []byte
	var keys []string
	var idx []int
	req = append(req, '[')
	for i := range elems {
		e := &elems[i]
		if i > 0 {
			req = append(req, ',')
		}
		var id uint64
		if !e.Notify {
			id = c.id()
			keys = append(keys, strconv.FormatUint(id, 10))
			idx = append(idx, i)
		}
		var err error
		if req, err = encodeRequest(req, V2, e.Method, e.Params, id, !e.Notify); err != nil {
			return err
		}
	}
	req = append(req, ']')
	cc, err := c.connect(ctx)
	if err != nil {
		return err
	}
	pcs, err := cc.send(req, keys)
	if err != nil {
		return err
	}
	for n, pc := range pcs {
		select {
		case r := <-pc.ch:
			e := &elems[idx[n]]
			e.Error = decodeResult(r, V2, e.Result)
		case <-ctx.Done():
			for _, k := range keys[n:] {
				cc.forget(k)
			}
			return fmt.Errorf("jsonrpc: batch: %w", ctx.Err())
		}
	}
	return nil
}

// send registers the pending calls of keys and writes req as one frame.
func (cc *clientConn) send(req []byte, keys []string) ([]*pendingCall, error) {
	if len(req) > cc.max {
		return nil, fmt.Errorf("jsonrpc: send: %w", &frame.SizeError{Op: "write", Size: uint64(len(req)), Max: cc.max})
	}
	cc.mu.Lock()
	if cc.dead != nil {
		cc.mu.Unlock()
		return nil, cc.dead
	}
	cc.frames++
	pcs := make([]*pendingCall, len(keys))
	for i, k := range keys {
		pcs[i] = &pendingCall{ch: make(chan response, 1), frame: cc.frames}
		cc.pending[k] = pcs[i]
	}
	cc.mu.Unlock()
	if err := cc.write(req); err != nil {
		for _, k := range keys {
			cc.forget(k)
		}
		return nil, err
	}
	return pcs, nil
}

// write sends req as a frame, or queues it for the write in progress, so
// that concurrent callers share system calls as the server's responses do.
// A failed write closes the connection; the read loop then fails every
// pending call, queued ones included, with ErrConnLost.
func (cc *clientConn) write(req []byte) error {
	cc.wmu.Lock()
	cc.queue = frame.Append(cc.queue, req)
	if cc.writing {
		cc.wmu.Unlock()
		return nil
	}
	cc.writing = true
	cc.wmu.Unlock()
	runtime.Gosched() // let the other callers that are ready queue theirs

	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	var err error
	for len(cc.queue) > 0 {
		buf := cc.queue
		cc.queue = cc.spare[:0]
		cc.wmu.Unlock()
		cc.nc.SetWriteDeadline(time.Now().Add(DefaultWriteTimeout))
		_, err = cc.nc.Write(buf)
		cc.wmu.Lock()
		cc.spare = nil
		if cap(buf) <= 64<<10 {
			cc.spare = buf[:0]
		}
		if err != nil {
			cc.queue = nil
			cc.nc.Close()
			break
		}
	}
	cc.writing = false
	if err != nil {
		return fmt.Errorf("jsonrpc: send: %w", err)
	}
	return nil
}

// deadErr returns why the connection was failed, or nil.
func (cc *clientConn) deadErr() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.dead
}

func (cc *clientConn) isDead() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.dead != nil
}

func (cc *clientConn) forget(key string) {
	cc.mu.Lock()
	delete(cc.pending, key)
	cc.mu.Unlock()
}

// fail ends every pending call with err and refuses new ones.
func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.dead == nil {
		cc.dead = err
	}
	for k, pc := range cc.pending {
		pc.ch <- response{err: cc.dead}
		delete(cc.pending, k)
	}
}

// readLoop reads response frames until the connection ends; it is the
// connection's only reader and ends when the connection is closed.
func (cc *clientConn) readLoop() {
	defer close(cc.done)
	fr := frame.NewReader(bufio.NewReaderSize(cc.nc, 64<<10), cc.c.opts.MaxFrameSize)
	for {
		msg, err := fr.ReadFrame()
		if err != nil {
			lost := fmt.Errorf("%w: %w", ErrConnLost, err)
			cc.fail(lost)
			cc.nc.Close()
			cc.c.lost(cc, lost)
			if cc.c.opts.Logger != nil {
				cc.c.opts.Logger.Debug("jsonrpc: connection lost", "err", err)
			}
			return
		}
		cc.dispatch(msg)
	}
}

// wireResponse holds a response's members as sent.
type wireResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
	ID     json.RawMessage `json:"id"`
}

func (cc *clientConn) dispatch(msg []byte) {
	var resps []wireResponse
	switch firstByte(msg) {
	case '[':
		if err := json.Unmarshal(msg, &resps); err != nil {
			cc.unmatched(msg, err)
			return
		}
	default:
		var r wireResponse
		if err := json.Unmarshal(msg, &r); err != nil {
			cc.unmatched(msg, err)
			return
		}
		resps = []wireResponse{r}
	}
	for _, r := range resps {
		resp := response{result: r.Result}
		if r.Error != nil {
			resp.err = r.Error
		} else if r.Result == nil {
			resp.err = fmt.Errorf("%w: neither result nor error", ErrBadResponse)
		}
		key := idKey(r.ID)
		cc.mu.Lock()
		if pc, ok := cc.pending[key]; ok {
			delete(cc.pending, key)
			pc.ch <- resp
		} else if key == "null" && resp.err != nil {
			// An error the server could not tie to an id (a batch too
			// large, a frame it could not parse): it answers the request
			// frame in flight, when there is only one.
			cc.answerSoleFrame(resp)
		} else if cc.c.opts.Logger != nil {
			cc.c.opts.Logger.Debug("jsonrpc: response matches no call", "id", string(r.ID))
		}
		cc.mu.Unlock()
	}
}

// answerSoleFrame gives resp to every pending call when they all came in
// one request frame. cc.mu is held.
func (cc *clientConn) answerSoleFrame(resp response) {
	var f uint64
	for _, pc := range cc.pending {
		if f != 0 && pc.frame != f {
			return
		}
		f = pc.frame
	}
	for k, pc := range cc.pending {
		pc.ch <- resp
		delete(cc.pending, k)
	}
}

func (cc *clientConn) unmatched(msg []byte, err error) {
	if cc.c.opts.Logger != nil {
		cc.c.opts.Logger.Debug("jsonrpc: malformed response", "bytes", len(msg), "err", err)
	}
}

// idKey is the pending-map key of a response id: the decimal text of the
// client's numeric ids (whatever spacing or exponent the server used), or
// the raw text otherwise.
func idKey(id json.RawMessage) string {
	s := strings.TrimSpace(string(id))
	if s == "" {
		return "null"
	}
	if _, err := strconv.ParseUint(s, 10, 64); err == nil {
		return s
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1<<53 && f == float64(uint64(f)) {
		return strconv.FormatUint(uint64(f), 10)
	}
	return s
}

// encodeRequest appends a request to dst.
func encodeRequest(dst []byte, d Dialect, method string, params any, id uint64, withID bool) ([]byte, error) {
	dst = append(dst, '{')
	if d == V2 {
		dst = append(dst, `"jsonrpc":"2.0",`...)
	}
	if withID {
		dst = append(dst, `"id":`...)
		dst = strconv.AppendUint(dst, id, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"method":`...)
	dst, _ = appendString(dst, method)
	if params != nil {
		p, err := json.Marshal(params)
		if err != nil {
			return nil, fmt.Errorf("jsonrpc: encoding params of %s: %w", method, err)
		}
		if c := firstByte(p); c != '{' && c != '[' {
			return nil, fmt.Errorf("jsonrpc: params of %s must be an object or an array, not %s", method, p)
		}
		dst = append(dst, `,"params":`...)
		dst = append(dst, p...)
	}
	return append(dst, '}'), nil
}

// decodeResult turns a response into the caller's result or error.
func decodeResult(r response, d Dialect, result any) error {
	if r.err != nil {
		return r.err
	}
	if d == Bare {
		if e := bareResultError(r.result); e != nil {
			return e
		}
	}
	if result == nil {
		return nil
	}
	if raw, ok := result.(*json.RawMessage); ok {
		*raw = append((*raw)[:0], r.result...)
		return nil
	}
	if err := json.Unmarshal(r.result, result); err != nil {
		return fmt.Errorf("jsonrpc: decoding result: %w", err)
	}
	return nil
}

// bareResultError recognises a bare-dialect server's failure result,
// {"error": "MESSAGE"}, and nothing else.
func bareResultError(result json.RawMessage) *Error {
	if firstByte(result) != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(result, &m) != nil || len(m) != 1 {
		return nil
	}
	var msg string
	if raw, ok := m["error"]; !ok || json.Unmarshal(raw, &msg) != nil {
		return nil
	}
	code := CodeServerError
	if strings.HasPrefix(msg, "Unknown method: ") {
		code = CodeMethodNotFound
	}
	return &Error{Code: code, Message: msg}
}
