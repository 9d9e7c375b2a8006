// Package loadgen drives request/response load against TCP and HTTP
// services and reports latency from HDR histograms.
//
// A run has a closed model (Conns clients, each sending its next request
// when the previous one is answered) or an open model (Rate requests per
// second at a constant arrival rate). In the open model each request has an
// intended send time on a fixed schedule and its latency is measured from
// that time, not from when it was actually sent, so a server that stalls is
// charged for every request the stall delayed: the coordinated-omission
// correction of wrk2 (github.com/giltene/wrk2), which keeps the
// uncorrected figures beside it as service time.
//
// Targets speak their protocols themselves: Line (send a line, read one
// back), Connect (a new connection per request), RPC (JSON-RPC 2.0 add calls
// in 4-byte length-prefixed frames, several in flight per connection), Chat
// (clients in a room; latency from send to receipt at every other client)
// and HTTP (one method and URL on keep-alive connections).
//
// Every run is bounded: by Duration (always) and Requests (when set), each
// request by Timeout, each reply by MaxReply.
package loadgen

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/netclass"
)

// Target names a protocol the generator speaks.
type Target string

// The targets.
const (
	Line    Target = "line"    // persistent connections: a line out, a line back
	Connect Target = "connect" // a new connection per request: a line out, a line (or EOF) back
	RPC     Target = "rpc"     // JSON-RPC 2.0 "add" over 4-byte big-endian length-prefixed frames
	Chat    Target = "chat"    // clients in one room of the chat line protocol
	HTTP    Target = "http"    // one method and URL on keep-alive connections
)

// Targets lists every target in the order the documentation gives them.
var Targets = []Target{Line, Connect, RPC, Chat, HTTP}

// Defaults of the Config fields left zero.
const (
	DefaultConns           = 10
	DefaultDuration        = 10 * time.Second
	DefaultTimeout         = 5 * time.Second
	DefaultInterval        = time.Second
	DefaultMaxReply        = 64 << 10
	DefaultMessage         = "ping"
	DefaultDialConcurrency = 64
	DefaultSetupTimeout    = 2 * time.Minute
)

// Limits on the Config fields, so a typo cannot ask for a billion
// goroutines.
const (
	MaxConns    = 1 << 20
	MaxPipeline = 1024
	MaxDuration = 24 * time.Hour
)

// Errors of Run and of its requests.
var (
	// ErrConfig is returned by Run for a Config it cannot run.
	ErrConfig = errors.New("loadgen: invalid configuration")
	// ErrProtocol is matched by request errors where the reply broke the
	// protocol (a missing prefix, a wrong id, a malformed frame).
	ErrProtocol = netclass.New(netclass.Protocol, "loadgen: protocol error")
	// ErrNoConnections is returned when not one connection could be set up.
	ErrNoConnections = errors.New("loadgen: no connection could be established")
)

// Config describes a run. The zero value with Target and Addr (or URL for
// HTTP) set is a 10-connection, 10-second closed-model run.
type Config struct {
	// Target is the protocol to speak. Required.
	Target Target

	// Addr is the host:port of a TCP target (every target but HTTP).
	Addr string

	// URL is the HTTP target's URL (http only; https is accepted too).
	URL string

	// Method is the HTTP method. Empty means GET.
	Method string

	// Header is added to every HTTP request, and Host, when set, is the
	// Host it names instead of the URL's.
	Header http.Header
	Host   string

	// HTTP2 lets an https target speak HTTP/2, negotiated by ALPN. It
	// runs on net/http's client, as does NetHTTP, which the benchmarks
	// use as a reference; otherwise the HTTP target runs on the
	// generator's own HTTP/1.1 engine.
	HTTP2   bool
	NetHTTP bool

	// HTTPRequests, when not empty, replaces Method, URL, Header and Body
	// with several requests, sent in turn by each connection: a mixed
	// workload (netkit bench --requests-file). With Pipeline above 1 they
	// must share one origin.
	HTTPRequests []HTTPRequest

	// Body is sent with each HTTP request (none when empty).
	Body []byte

	// TLS, if set, makes the TCP targets connect with TLS, the handshake
	// part of each connection (and so of each Connect request: with its
	// session cache, the client resumes sessions after the first). For
	// HTTP, whose https URLs say when to use TLS, it is the client's
	// configuration; nil verifies the server against the system's roots.
	TLS *tls.Config

	// Message is the line a Line or Connect request sends (without its
	// newline). Empty means DefaultMessage ("ping"); a Redis server
	// answers the inline command "PING" with "+PONG".
	Message string

	// Expect, when set, is a prefix every Line or Connect reply must start
	// with; other replies count as protocol errors.
	Expect string

	// Conns is the number of client connections (for Chat: clients in the
	// room). 0 means DefaultConns (10).
	Conns int

	// Pipeline is the number of RPC calls, or pipelined HTTP/1.1
	// requests, in flight on each connection. 0 means 1. Other targets
	// ignore it.
	Pipeline int

	// Duration bounds the run, which stops earlier when Requests have
	// completed. 0 means DefaultDuration (10 s); at most MaxDuration.
	Duration time.Duration

	// Requests, when positive, stops the run once that many requests have
	// been sent and answered (for Chat: messages sent).
	Requests int64

	// Rate, when positive, selects the open model: requests start on a
	// constant schedule of Rate per second in total, and latency counts
	// from each request's scheduled time. 0 selects the closed model.
	Rate float64

	// Timeout bounds each request (and each dial). 0 means DefaultTimeout
	// (5 s). On persistent connections the deadline is refreshed lazily, so
	// a request is cut off after between Timeout/2 and Timeout.
	Timeout time.Duration

	// MaxReply bounds a reply line, frame or HTTP body. 0 means
	// DefaultMaxReply (64 KiB).
	MaxReply int

	// IdleConns is a number of extra connections opened to Addr before the
	// run and held, silent, until it ends: the load on many idle clients.
	IdleConns int

	// RampRate, when positive, limits how many connections per second are
	// opened while setting up (idle ones first, then active ones).
	RampRate float64

	// DialConcurrency bounds the dials in progress at once during set-up.
	// 0 means DefaultDialConcurrency (64): more would overflow the accept
	// backlog of servers that keep asyncio's default of 100, and turn into
	// one-second SYN retransmissions.
	DialConcurrency int

	// SetupTimeout bounds the whole set-up phase. 0 means
	// DefaultSetupTimeout (2 minutes).
	SetupTimeout time.Duration

	// SourceAddrs, when not empty, are the local addresses connections
	// are bound to, in turn, so that more connections than one address
	// pair's ephemeral ports (about 28,000 on Linux) can be opened to one
	// server: 127.0.0.2, 127.0.0.3 ... are all loopback on Linux.
	SourceAddrs []netip.Addr

	// Interval is the period of the throughput-over-time series and of
	// Progress calls. 0 means DefaultInterval (1 s).
	Interval time.Duration

	// Progress, when set, is called every Interval from one goroutine with
	// the run so far. It must return quickly.
	Progress func(Progress)

	// FirstClient numbers the chat clients from this index: the workers
	// of a distributed run, sharing a room, number theirs apart so that
	// each client tells its own messages from everyone else's.
	FirstClient int

	// EncodeHistogram stores the run's histograms in the result
	// (Result.Histogram), for Merge.
	EncodeHistogram bool

	// Barrier, when set, is called once every connection is set up and
	// before the clock starts; the run starts when it returns nil, and
	// returns its error otherwise. A distributed run uses it to start its
	// workers together.
	Barrier func(ctx context.Context) error

	// Logger receives set-up events (file limit raised, dial failures);
	// nil is silent.
	Logger *slog.Logger
}

func (c *Config) conns() int { return positiveOr(c.Conns, DefaultConns) }

func (c *Config) pipeline() int {
	if c.Pipeline <= 0 || (c.Target != RPC && c.Target != HTTP) || (c.Target == HTTP && c.netHTTP()) {
		return 1
	}
	return c.Pipeline
}

// netHTTP says the HTTP target runs on net/http's client.
func (c *Config) netHTTP() bool { return c.HTTP2 || c.NetHTTP }

func (c *Config) duration() time.Duration { return positiveOr(c.Duration, DefaultDuration) }

func (c *Config) timeout() time.Duration { return positiveOr(c.Timeout, DefaultTimeout) }

func (c *Config) interval() time.Duration { return positiveOr(c.Interval, DefaultInterval) }

func (c *Config) maxReply() int { return positiveOr(c.MaxReply, DefaultMaxReply) }

func (c *Config) message() string { return cmp.Or(c.Message, DefaultMessage) }

// positiveOr returns v, or def when v is zero or negative: the zero value of
// a Config field, and a nonsensical negative one, both mean the default.
func positiveOr[T ~int | ~int64 | ~float64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (c *Config) dialConcurrency() int { return positiveOr(c.DialConcurrency, DefaultDialConcurrency) }

func (c *Config) setupTimeout() time.Duration { return positiveOr(c.SetupTimeout, DefaultSetupTimeout) }

// Model returns "open" when Rate is set, else "closed".
func (c *Config) Model() string {
	if c.Rate > 0 {
		return "open"
	}
	return "closed"
}

// Validate reports the first problem with c, wrapping ErrConfig.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch c.Target {
	case Line, Connect, RPC, Chat:
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return bad("%s target needs HOST:PORT, got %q", c.Target, c.Addr)
		}
	case HTTP:
		origins := map[string]bool{}
		for _, r := range c.httpRequests() {
			u, err := url.Parse(r.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return bad("http target needs an http:// or https:// URL, got %q", r.URL)
			}
			origins[u.Scheme+"://"+u.Host] = true
		}
		if len(origins) > 1 && c.pipeline() > 1 {
			return bad("pipelined requests must share one origin (scheme, host and port); got %d", len(origins))
		}
	case "":
		return bad("no target")
	default:
		return bad("unknown target %q (want line, connect, rpc, chat or http)", c.Target)
	}
	switch {
	case c.Conns < 0 || c.Conns > MaxConns:
		return bad("conns %d out of range 1..%d", c.Conns, MaxConns)
	case c.IdleConns < 0 || c.IdleConns > MaxConns:
		return bad("idle conns %d out of range 0..%d", c.IdleConns, MaxConns)
	case c.Pipeline < 0 || c.Pipeline > MaxPipeline:
		return bad("pipeline %d out of range 1..%d", c.Pipeline, MaxPipeline)
	case c.Duration < 0 || c.Duration > MaxDuration:
		return bad("duration %v out of range (at most %v)", c.Duration, MaxDuration)
	case c.Requests < 0:
		return bad("negative request count %d", c.Requests)
	case c.Rate < 0 || c.Rate != c.Rate:
		return bad("rate %v must be positive (or 0 for the closed model)", c.Rate)
	case c.RampRate < 0:
		return bad("negative ramp rate %v", c.RampRate)
	case c.IdleConns > 0 && c.Target == HTTP:
		return bad("idle connections need a TCP target")
	}
	for _, a := range c.SourceAddrs {
		if !a.IsValid() {
			return bad("invalid source address")
		}
	}
	return nil
}

// RequestError is the error of one request, with its class as counted in
// Result.ErrorsBy.
type RequestError struct {
	Op    string         // "dial", "write", "read", "http"
	Class netclass.Class // the error's class, by netclass.Of
	Err   error
}

// Error returns the operation and the cause.
func (e *RequestError) Error() string { return "loadgen: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// NetClass implements netclass.Classer.
func (e *RequestError) NetClass() netclass.Class { return e.Class }

// runState is what the workers of one run share.
type runState struct {
	cfg     *Config
	rec     *recorder
	start   time.Time
	end     time.Time // start + Duration
	stopped atomic.Bool
	budget  atomic.Int64 // requests left to claim when cfg.Requests > 0
	dials   atomic.Int64
	// statuses counts HTTP answers by status code, and bodyBytes the
	// size of their bodies.
	statuses  [1000]atomic.Int64 // every three-digit code a server may send
	bodyBytes atomic.Int64

	mu       sync.Mutex
	sessions map[closer]struct{}
}

type closer interface{ interrupt() }

// track registers s to be interrupted at the end of the run; it reports
// false (and registers nothing) when the run has already stopped.
func (st *runState) track(s closer, add bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !add {
		delete(st.sessions, s)
		return true
	}
	if st.stopped.Load() {
		return false
	}
	st.sessions[s] = struct{}{}
	return true
}

// stop ends the run: no more requests are claimed, results arriving from
// now on are not counted, and every tracked session is interrupted so
// blocked reads return at once.
func (st *runState) stop() {
	st.mu.Lock()
	if st.stopped.Swap(true) {
		st.mu.Unlock()
		return
	}
	st.rec.stop(time.Now())
	sessions := make([]closer, 0, len(st.sessions))
	for s := range st.sessions {
		sessions = append(sessions, s)
	}
	st.mu.Unlock()
	// Outside the lock: a session may hold its own lock while it tracks
	// a new connection, which waits for this one. None registers from
	// now on (track sees stopped), so the list is complete.
	for _, s := range sessions {
		s.interrupt()
	}
}

// ended reports whether the run is over at now, so that what fails then
// is not counted: stopped, its context done, or past its end or its
// context's deadline. A dial bounded by that deadline fails an instant
// before the context reports it, and the deadline falls just before end.
func (st *runState) ended(ctx context.Context, now time.Time) bool {
	if st.stopped.Load() || ctx.Err() != nil || !now.Before(st.end) {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !now.Before(d)
}

// claim reserves one request of the budget; false when it is spent or the
// run has stopped.
func (st *runState) claim() bool {
	if st.stopped.Load() {
		return false
	}
	if st.cfg.Requests <= 0 {
		return true
	}
	return st.budget.Add(-1) >= 0
}

// Run drives load as cfg describes until Duration passes, Requests are
// done or ctx is cancelled, and returns the results. It returns an error
// (and no result) only when cfg is invalid or not one connection could be
// set up; request failures are counted in the result.
//
// Connections are set up (idle ones first) before the clock starts. When
// Conns and IdleConns need more file descriptors than the soft limit
// allows, Run raises the process's limit (see RaiseFileLimit).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	need := cfg.conns() + cfg.IdleConns + 64
	if lim, err := RaiseFileLimit(uint64(need)); err != nil {
		cfg.logf(slog.LevelWarn, "could not raise the open-file limit", "want", need, "err", err)
	} else if lim < uint64(need) {
		cfg.logf(slog.LevelWarn, "open-file limit below the connections asked for", "limit", lim, "want", need)
	}

	st := &runState{cfg: &cfg, sessions: map[closer]struct{}{}, rec: newRecorder(&cfg)}
	st.budget.Store(cfg.Requests)
	d, err := newDialer(&cfg)
	if err != nil {
		return nil, err
	}

	setupCtx, cancelSetup := context.WithTimeout(ctx, cfg.setupTimeout())
	idle := d.openIdle(setupCtx, cfg.IdleConns)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()

	workers, err := newWorkers(setupCtx, st, d)
	cancelSetup()
	if err != nil {
		return nil, err
	}
	if cfg.Barrier != nil {
		if err := cfg.Barrier(ctx); err != nil {
			for _, w := range workers {
				w.close()
			}
			return nil, err
		}
	}

	rec := st.rec
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration())
	defer cancel()
	st.start = time.Now()
	st.end = st.start.Add(cfg.duration())
	rec.begin(st.start)

	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(runCtx, st, i, len(workers))
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	tick := time.NewTicker(cfg.interval())
	defer tick.Stop()
loop:
	for {
		select {
		case <-runCtx.Done():
			break loop
		case <-done:
			break loop
		case now := <-tick.C:
			p := rec.tick(now)
			if cfg.Progress != nil {
				cfg.Progress(p)
			}
		}
	}
	st.stop()
	<-done
	for _, w := range workers {
		w.close()
	}
	res := rec.result(&cfg)
	res.Dials = st.dials.Load() + d.dials.Load()
	for code := range st.statuses {
		if n := st.statuses[code].Load(); n > 0 {
			if res.StatusCodes == nil {
				res.StatusCodes = map[int]int64{}
			}
			res.StatusCodes[code] = n
		}
	}
	res.BodyBytes = st.bodyBytes.Load()
	res.TLSResumed = d.resumed.Load()
	res.IdleConns = len(idle)
	if cfg.EncodeHistogram {
		if err := res.encodeHistograms(rec.svc); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func (c *Config) logf(level slog.Level, msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Log(context.Background(), level, msg, args...)
	}
}
