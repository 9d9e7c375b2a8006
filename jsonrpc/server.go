package jsonrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/internal/ratelog"
)

// Defaults of the Server fields left zero.
const (
	DefaultMaxBatch     = 100
	DefaultMaxDepth     = 64
	DefaultCallTimeout  = 30 * time.Second
	DefaultMaxInFlight  = 64
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 30 * time.Second
)

// HandlerFunc runs one call. params is the request's params member as sent
// (nil when absent). It returns a value encoded as the result, or an error:
// an *Error is sent as it is, a context deadline becomes CodeTimeout, and
// anything else CodeServerError with the error's text as message.
// A HandlerFunc must return when ctx is done.
type HandlerFunc func(ctx context.Context, params json.RawMessage) (any, error)

// Server dispatches JSON-RPC calls to registered handlers. Serve it on
// framed connections with ServeConn and over HTTP as an http.Handler.
// The zero value is ready to use with the defaults below; set the fields
// before serving and do not change them afterwards. Handlers may be
// registered at any time.
type Server struct {
	// MaxFrameSize bounds a request frame or HTTP body and a response.
	// 0 means frame.DefaultMaxSize (4 MiB).
	MaxFrameSize int

	// MaxBatch bounds the requests in one batch; a longer batch is answered
	// with a single CodeTooLarge error, as go-ethereum learned to do.
	// 0 means DefaultMaxBatch (100).
	MaxBatch int

	// MaxDepth bounds the nesting of arrays and objects in a request.
	// 0 means DefaultMaxDepth (64).
	MaxDepth int

	// CallTimeout bounds each call: its context is cancelled then and the
	// response is a CodeTimeout error. 0 means DefaultCallTimeout (30s);
	// negative means no limit.
	CallTimeout time.Duration

	// MaxInFlight bounds the calls (frames) running at once on one
	// connection; the server stops reading the connection while it is
	// reached, and while the requests running add up to twice
	// MaxFrameSize. 0 means DefaultMaxInFlight (64); 1 runs calls one
	// after another, in order.
	MaxInFlight int

	// ReadTimeout bounds the time to receive the rest of a frame once its
	// first byte has arrived. 0 means DefaultReadTimeout (30s); negative
	// means no limit. How long a connection may sit idle between frames is
	// the connection owner's business (tcpserver's idle timeout).
	ReadTimeout time.Duration

	// WriteTimeout bounds writing one response. 0 means
	// DefaultWriteTimeout (30s); negative means no limit.
	WriteTimeout time.Duration

	// AcceptBare makes the server answer the bare dialect too: a request
	// that is a bare {"id", "method", "params"} object, without the
	// "jsonrpc" member, as Python asyncio servers that read each frame
	// with json.loads and dict.get speak it. Such a request is answered
	// {"id": ID, "result": ...} whatever happens: an unknown method is the
	// result {"error": "Unknown method: NAME"}, any other failure
	// {"error": MESSAGE}, and a missing id or method reads as 0 or
	// "unknown". Batches are JSON-RPC 2.0 only: in a batch, such a request
	// is an Invalid Request either way.
	//
	// Without AcceptBare (the default), such a request is what JSON-RPC
	// 2.0 makes of it, an Invalid Request: it is answered with a -32600
	// error carrying its id, or null when the id is absent or not a
	// string, number or null (section 5). It is answered even without an
	// id, since only a valid request can be a notification (section 4.1).
	AcceptBare bool

	// Logger receives panics of handlers and connection errors; nil is
	// silent.
	Logger *slog.Logger

	// Metrics, if set, records each call's duration and outcome; nil
	// records nothing and costs nothing.
	Metrics *Metrics

	// CallRate bounds the messages (a request or a batch) one connection
	// may send per second on average, and CallBurst how many at once; the
	// calls of a message over it are answered CodeRateLimited without
	// running. It applies to TCP frames and WebSocket messages, each
	// connection on its own; 0 means no limit, and CallBurst 0 means
	// 2×CallRate.
	CallRate  float64
	CallBurst int

	mu      sync.RWMutex
	methods map[string]methodEntry

	// rateLimited counts the calls CallRate refused, and rateLog logs
	// them at most once a second, so that a client flooding calls
	// cannot flood the log.
	rateLimited atomic.Int64
	rateLog     ratelog.Limiter
}

// RateLimited returns how many calls CallRate refused with
// CodeRateLimited.
func (s *Server) RateLimited() int64 { return s.rateLimited.Load() }

// rateLimitedDesc is the metric of RateLimitCollector, beside
// netkit_rpc_call_duration_seconds (Metrics), which records only the
// calls that ran.
var rateLimitedDesc = prometheus.NewDesc("netkit_rpc_rate_limited_total",
	"JSON-RPC calls refused with error -32005 because their connection was over its call rate (--rpc-rate).", nil, nil)

// RateLimitCollector exports s's CallRate refusals as
// netkit_rpc_rate_limited_total; register it beside Metrics.
func (s *Server) RateLimitCollector() prometheus.Collector { return rateLimitCollector{s} }

type rateLimitCollector struct{ s *Server }

func (c rateLimitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- rateLimitedDesc }

func (c rateLimitCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(rateLimitedDesc, prometheus.CounterValue, float64(c.s.RateLimited()))
}

type methodEntry struct {
	h      HandlerFunc
	inline bool
}

// A MethodOption changes how a method registered with Handle or Register
// is run.
type MethodOption func(*methodEntry)

// Inline marks a method whose handler answers at once from its params:
// it never blocks (no I/O, no locks held for long, no waiting on ctx) and
// does not keep params after it returns. TCPHandler then runs its calls on
// the connection's read loop, in order, and writes the responses of the
// calls read together in one write, with no goroutine handoff; and its
// calls get no CallTimeout, which could not interrupt them. A call of any
// other method on the connection, or a batch, hands the connection to the
// concurrent worker path. rpcdemo's add, greet and echo are Inline.
func Inline() MethodOption { return func(m *methodEntry) { m.inline = true } }

// Handle registers h for method, replacing any earlier handler.
func (s *Server) Handle(method string, h HandlerFunc, opts ...MethodOption) {
	m := methodEntry{h: h}
	for _, o := range opts {
		o(&m)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.methods == nil {
		s.methods = make(map[string]methodEntry)
	}
	s.methods[method] = m
}

// Methods returns the registered method names in no particular order.
func (s *Server) Methods() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.methods))
	for n := range s.methods {
		names = append(names, n)
	}
	return names
}

func (s *Server) lookup(method string) methodEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.methods[method]
}

// Register registers a typed handler on s. The request's params are
// decoded into P: from an object by name, or from an array by position
// (the array's elements fill a struct's exported fields in declaration
// order; any other P takes the array as it is). Absent params leave P at
// its zero value. A decoding failure is answered with CodeInvalidParams.
// The result R is encoded with encoding/json. opts are as for Handle.
func Register[P, R any](s *Server, method string, fn func(ctx context.Context, params P) (R, error), opts ...MethodOption) {
	positional := positionalNames(reflect.TypeFor[P]())
	_, selfDecoding := any(new(P)).(ParamsDecoder)
	s.Handle(method, func(ctx context.Context, raw json.RawMessage) (any, error) {
		var p P
		if selfDecoding {
			if err := any(&p).(ParamsDecoder).DecodeParams(raw); err != nil {
				return nil, invalidParams(err)
			}
			return fn(ctx, p)
		}
		if len(raw) > 0 && string(raw) != "null" {
			if positional != nil && raw[0] == '[' {
				obj, err := byPosition(raw, positional)
				if err != nil {
					return nil, invalidParams(err)
				}
				raw = obj
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				return nil, invalidParams(err)
			}
		}
		return fn(ctx, p)
	}, opts...)
}

// invalidParams is the CodeInvalidParams error for params that did not
// decode, with the reason as its data.
func invalidParams(err error) *Error {
	return NewError(CodeInvalidParams, "Invalid params", err.Error())
}

// ParamsDecoder is implemented by params types that decode themselves,
// which Register then uses instead of encoding/json: the server has
// validated the whole request already, so such a type can skip
// encoding/json's second validation and its reflection, which were a
// quarter of the server's time per call of a small method. raw is the
// params member as sent, valid JSON, or nil when params are absent.
// DecodeFields does most of the work.
type ParamsDecoder interface {
	DecodeParams(raw json.RawMessage) error
}

// positionalNames returns the JSON names of a struct type's exported
// fields in order, or nil when t is not a struct (or pointer to one).
func positionalNames(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	names := []string{}
	for f := range t.Fields() {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			n, _, _ := strings.Cut(tag, ",")
			if n == "-" {
				continue
			}
			if n != "" {
				name = n
			}
		}
		names = append(names, name)
	}
	return names
}

// byPosition turns a params array into an object keyed by names.
func byPosition(raw json.RawMessage, names []string) (json.RawMessage, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, err
	}
	if len(items) > len(names) {
		return nil, tooManyPositional(len(items), len(names))
	}
	b := []byte{'{'}
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b, _ = appendString(b, names[i])
		b = append(b, ':')
		b = append(b, it...)
	}
	return append(b, '}'), nil
}

func appendString(b []byte, s string) ([]byte, error) {
	q, err := json.Marshal(s)
	return append(b, q...), err
}

func (s *Server) maxFrame() int { return frameLimit(s.MaxFrameSize) }

func frameLimit(max int) int {
	if max <= 0 {
		return frame.DefaultMaxSize
	}
	return min(max, frame.MaxSizeLimit)
}

func (s *Server) maxBatch() int    { return positiveOr(s.MaxBatch, DefaultMaxBatch) }
func (s *Server) maxDepth() int    { return positiveOr(s.MaxDepth, DefaultMaxDepth) }
func (s *Server) maxInFlight() int { return positiveOr(s.MaxInFlight, DefaultMaxInFlight) }

// positiveOr returns v when it is positive, else def: the rule of the
// Server's integer limits, where zero and below mean the default.
func positiveOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// durDefault returns def when v is zero, 0 (no limit) when v is
// negative, else v: the rule of the timeouts of Server, ClientOptions
// and HTTPClient.
func durDefault(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// HandleMessage processes one message (a frame's payload or an HTTP body): a
// request or a batch, in either dialect. It returns the response to send,
// or nil when there is none (notifications). It is what ServeConn and
// ServeHTTP call; use it to serve other transports.
func (s *Server) HandleMessage(ctx context.Context, msg []byte) []byte {
	resp, _ := s.handleMessage(ctx, msg, handling{})
	return resp
}

// handleMessage is HandleMessage. With h.inlineOnly, it runs only calls of
// Inline methods: for a batch or a request of any other method it runs
// nothing and reports false. Answers that need no handler (errors) are
// given either way.
func (s *Server) handleMessage(ctx context.Context, msg []byte, h handling) ([]byte, bool) {
	resp, ok := s.answer(ctx, msg, h)
	if len(resp) > s.maxFrame() {
		// A batch whose responses add up past the frame size, or an error
		// whose message or data does: a bare-dialect error quotes the
		// method as sent, and escaping can make it six times as long.
		resp = errorResponse(nil, NewError(CodeTooLarge, "Response too large", nil))
	}
	return resp, ok
}

// answer is handleMessage without the bound on the response's size.
func (s *Server) answer(ctx context.Context, msg []byte, h handling) ([]byte, bool) {
	if depth(msg) > s.maxDepth() {
		return errorResponse(nil, NewError(CodeTooLarge, "Request too large", fmt.Sprintf("nesting deeper than %d", s.maxDepth()))), true
	}
	switch firstByte(msg) {
	case '[':
		if h.inlineOnly {
			return nil, false
		}
		if !json.Valid(msg) {
			return errorResponse(nil, errParse), true
		}
		// Count before collecting: a 4 MiB frame of "[0,0,...]" holds two
		// million items, which decoded took 255 MiB only to be refused.
		n := 0
		elements(msg, func(json.RawMessage) { n++ })
		if n == 0 {
			return errorResponse(nil, errInvalidRequest), true
		}
		if n > s.maxBatch() {
			return errorResponse(nil, NewError(CodeTooLarge, "Batch too large", fmt.Sprintf("%d requests, at most %d", n, s.maxBatch()))), true
		}
		items := make([]json.RawMessage, 0, n)
		elements(msg, func(it json.RawMessage) { items = append(items, it) })
		out := []byte{'['}
		for _, it := range items {
			if r, _ := s.handleOne(ctx, it, handling{inBatch: true}); r != nil {
				if len(out) > 1 {
					out = append(out, ',')
				}
				out = append(out, r...)
			}
		}
		if len(out) == 1 {
			return nil, true // a batch of notifications is answered with nothing
		}
		return append(out, ']'), true
	case '{':
		if !json.Valid(msg) {
			return errorResponse(nil, errParse), true
		}
		return s.handleOne(ctx, msg, h)
	default:
		if !json.Valid(msg) {
			return errorResponse(nil, errParse), true
		}
		return errorResponse(nil, errInvalidRequest), true
	}
}

var (
	errParse          = &Error{Code: CodeParseError, Message: "Parse error"}
	errInvalidRequest = &Error{Code: CodeInvalidRequest, Message: "Invalid Request"}
	errMethodNotFound = &Error{Code: CodeMethodNotFound, Message: "Method not found"}
	errInternal       = &Error{Code: CodeInternalError, Message: "Internal error"}
	errTimeout        = &Error{Code: CodeTimeout, Message: "Call timed out"}
)

// wireRequest holds a request's members as sent; a nil field is absent.
type wireRequest struct {
	JSONRPC json.RawMessage `json:"jsonrpc"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

// handling says how handleMessage and handleOne treat a request; the zero
// value runs any method, as HandleMessage does.
type handling struct {
	// inBatch: the request is an item of a batch, which only JSON-RPC 2.0
	// has, so a missing jsonrpc member makes it invalid.
	inBatch bool
	// inlineOnly: run only Inline methods; for any other, run nothing and
	// report false. TCPHandler's read loop asks this.
	inlineOnly bool
}

// handleOne answers one valid JSON value: a request object or not. With
// h.inlineOnly it reports false, having run nothing, for a request of a
// method that is not Inline.
func (s *Server) handleOne(ctx context.Context, msg json.RawMessage, h handling) ([]byte, bool) {
	if firstByte(msg) != '{' {
		return errorResponse(nil, errInvalidRequest), true
	}
	req, err := parseRequest(msg)
	if err != nil {
		return errorResponse(nil, errInvalidRequest), true
	}
	// Dispatch by dialect. A request without the jsonrpc member is of the
	// bare dialect, answered by handleBare, when the server accepts it
	// (AcceptBare) and it is not an item of a batch, which only JSON-RPC
	// 2.0 has. Otherwise it goes on as JSON-RPC 2.0, whose version check
	// below answers it as an Invalid Request (-32600): with its id when
	// that is valid, else null, and never taken for a notification.
	if req.JSONRPC == nil && !h.inBatch && s.AcceptBare {
		return s.handleBare(ctx, &req, h)
	}
	id := req.ID
	if id != nil && !validID(id) {
		return errorResponse(nil, errInvalidRequest), true
	}
	if string(req.JSONRPC) != `"2.0"` {
		var v string
		if json.Unmarshal(req.JSONRPC, &v) != nil || v != "2.0" {
			return errorResponse(id, errInvalidRequest), true
		}
	}
	var method string
	if firstByte(req.Method) != '"' || unmarshalString(req.Method, &method) != nil {
		return errorResponse(id, errInvalidRequest), true
	}
	if p := firstByte(req.Params); req.Params != nil && p != '{' && p != '[' {
		return errorResponse(id, errInvalidRequest), true
	}
	m := s.lookup(method)
	if m.h == nil {
		if id == nil {
			return nil, true
		}
		return errorResponse(id, errMethodNotFound), true
	}
	if h.inlineOnly && !m.inline {
		return nil, false
	}
	result, rerr := s.call(ctx, method, m, req.Params)
	if id == nil {
		return nil, true // notification: run, answer nothing (section 4.1)
	}
	if rerr != nil {
		return errorResponse(id, rerr), true
	}
	if len(result) > s.maxFrame()-responseOverhead-len(id) {
		return errorResponse(id, NewError(CodeTooLarge, "Response too large", nil)), true
	}
	return resultResponse(V2, id, result), true
}

// responseOverhead bounds the bytes a response adds around its result and
// id: the members' names and punctuation, in either dialect.
const responseOverhead = 64

// handleBare answers a request of the bare dialect as Python's json_rpc
// server of the same protocol does: method and id read with defaults
// (dict.get), every outcome a result.
func (s *Server) handleBare(ctx context.Context, req *wireRequest, h handling) ([]byte, bool) {
	id := req.ID
	if id == nil {
		id = json.RawMessage("0") // request.get("id", 0)
	}
	method := "unknown" // request.get("method", "unknown")
	if req.Method != nil {
		if unmarshalString(req.Method, &method) != nil {
			method = string(req.Method)
		}
	}
	m := s.lookup(method)
	if m.h == nil {
		return bareError(id, "Unknown method: "+method), true
	}
	if h.inlineOnly && !m.inline {
		return nil, false
	}
	result, rerr := s.call(ctx, method, m, req.Params)
	if rerr != nil {
		return bareError(id, rerr.Message), true
	}
	if len(result) > s.maxFrame()-responseOverhead-len(id) {
		return bareError(id, "Response too large"), true
	}
	return resultResponse(Bare, id, result), true
}

// bareError is the bare dialect's failure: a result {"error": msg}.
func bareError(id json.RawMessage, msg string) []byte {
	b := []byte(`{"error":`)
	b, _ = appendString(b, msg)
	return resultResponse(Bare, id, append(b, '}'))
}

// call runs m's handler, with the call timeout unless m is Inline, and
// turns its outcome into an encoded result or an *Error.
func (s *Server) call(ctx context.Context, method string, m methodEntry, params json.RawMessage) (result []byte, rerr *Error) {
	if s.CallRate > 0 && isLimited(ctx) {
		s.rateLimited.Add(1)
		s.rateLog.Warn(s.Logger, "rate", "jsonrpc: call refused: the connection is over its call rate", "method", method, "code", CodeRateLimited)
		return nil, errRateLimited
	}
	if s.Metrics != nil {
		start := time.Now()
		defer func() { s.Metrics.observe(method, time.Since(start), rerr) }()
	}
	if t := durDefault(s.CallTimeout, DefaultCallTimeout); t > 0 && !m.inline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			if s.Logger != nil {
				s.Logger.Error("jsonrpc: handler panic", "method", method, "panic", p, "stack", string(debug.Stack()))
			}
			result, rerr = nil, errInternal
		}
	}()
	v, err := m.h(ctx, params)
	if err != nil {
		var e *Error
		switch {
		case errors.As(err, &e):
			return nil, e
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			return nil, errTimeout
		}
		return nil, &Error{Code: CodeServerError, Message: err.Error()}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, errTimeout
	}
	if raw, ok := v.(json.RawMessage); ok && json.Valid(raw) {
		return raw, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, NewError(CodeInternalError, "Internal error", "result not encodable as JSON: "+err.Error())
	}
	return b, nil
}

// resultResponse encodes a success response in dialect d.
func resultResponse(d Dialect, id, result json.RawMessage) []byte {
	b := make([]byte, 0, len(result)+len(id)+len(`{"jsonrpc":"2.0","result":,"id":}`))
	if d == V2 {
		b = append(b, `{"jsonrpc":"2.0","result":`...)
		b = append(b, result...)
		b = append(b, `,"id":`...)
		b = append(b, id...)
		return append(b, '}')
	}
	b = append(b, `{"id":`...)
	b = append(b, id...)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}

// errorResponse encodes a JSON-RPC 2.0 error response; a nil id is sent as
// null, as section 5 asks when the id could not be read.
func errorResponse(id json.RawMessage, e *Error) []byte {
	if id == nil {
		id = json.RawMessage("null")
	}
	eb, err := json.Marshal(e)
	if err != nil {
		eb, _ = json.Marshal(errInternal)
	}
	dst := make([]byte, 0, len(`{"jsonrpc":"2.0","error":,"id":}`)+len(eb)+len(id))
	dst = append(dst, `{"jsonrpc":"2.0","error":`...)
	dst = append(dst, eb...)
	dst = append(dst, `,"id":`...)
	dst = append(dst, id...)
	return append(dst, '}')
}

// validID reports whether id is a string, a number or null (section 4).
func validID(id json.RawMessage) bool {
	switch c := firstByte(id); {
	case c == '"', c == '-', c >= '0' && c <= '9':
		return true
	case c == 'n':
		return string(id) == "null"
	}
	return false
}

// firstByte returns the first byte of b that is not JSON whitespace.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// depth returns the deepest nesting of arrays and objects in b, which need
// not be valid JSON. It reads all of b, which costs one pass over a frame
// already bounded by MaxFrameSize.
func depth(b []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			d++
			if d > deepest {
				deepest = d
			}
		case ']', '}':
			d--
		}
	}
	return deepest
}
