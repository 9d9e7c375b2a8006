package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/netkit-dev/netkit/admin"
	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/ratelog"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// Defaults of the Config fields left zero.
const (
	// DefaultMaxMessage bounds a message from a browser: a chat line
	// (4 KiB) with room to spare. A larger one closes the connection with
	// status 1009 (message too big).
	DefaultMaxMessage = 8 << 10
	// DefaultWriteTimeout bounds sending one message to a browser.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultPingInterval is how often a browser is pinged, and
	// DefaultPongTimeout how long its pong may take before the connection
	// is closed as dead: proxies drop idle WebSockets, and a browser that
	// vanished without a close is found.
	DefaultPingInterval = 30 * time.Second
	DefaultPongTimeout  = 10 * time.Second
)

// Config configures a Server.
type Config struct {
	// Chat serves the chat sessions of WebSocket clients: the chat
	// service's handler (chat.Server), shared with its TCP listener so
	// that both kinds of client meet in the same rooms. Nil leaves
	// /ws/chat unserved.
	Chat tcpserver.Handler

	// Presence gives the chat rooms and their members, for the
	// dashboard's busiest rooms; nil leaves them out.
	Presence func() chat.Presence

	// RPC is served as JSON-RPC over WebSocket on GET /ws/rpc, the
	// methods of the TCP and HTTP transports, with metrics.subscribe and
	// metrics.unsubscribe added. Nil serves those two alone.
	RPC *jsonrpc.Server

	// Metrics is the registry /metrics serves, which the dashboard and
	// metrics.subscribe read, so that their numbers are the same. Nil
	// means prometheus.DefaultGatherer.
	Metrics prometheus.Gatherer

	// StatsInterval is how often the dashboard's stats are sampled;
	// 0 means DefaultStatsInterval.
	StatsInterval time.Duration

	// Auth, if set, guards the dashboard and /ws/rpc: a browser signs in
	// with the admin token through a form (POST /login sets a session
	// cookie), a script sends Authorization: Bearer TOKEN. The chat page
	// and /ws/chat stay public.
	Auth *admin.Auth

	// Locked shuts the dashboard and /ws/rpc (403) for want of a token on
	// a listener reachable from outside: netkit serve's protected mode.
	Locked bool

	// Mounts are more handlers for the web listener, by http.ServeMux
	// pattern.
	Mounts map[string]http.Handler

	// MaxConns bounds the WebSocket connections open at once, chat and
	// JSON-RPC together (netkit serve's --max-conns); one more upgrade is
	// refused with 503. 0 means tcpserver.DefaultMaxConns.
	MaxConns int

	// AllowedOrigins lists the host patterns (path.Match syntax, as
	// "example.com" or "*.example.com") of pages on other origins that may
	// open WebSockets; a page of the server's own origin always may. A
	// cross-origin upgrade from any other page is refused with 403.
	AllowedOrigins []string

	// MaxMessage bounds a message from a browser; 0 means
	// DefaultMaxMessage.
	MaxMessage int64

	// WriteTimeout bounds sending one message; 0 means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration

	// PingInterval and PongTimeout keep connections alive and find dead
	// ones; 0 means DefaultPingInterval and DefaultPongTimeout.
	PingInterval, PongTimeout time.Duration

	// Logger receives refused upgrades and the chat sessions' errors; nil
	// is silent.
	Logger *slog.Logger
}

// Server is the web listener's handler:
//   - GET / is the web chat client and GET /dashboard the live dashboard,
//     pages embedded in the binary;
//   - GET /ws/chat upgrades to a WebSocket chat session, with
//     ?format=json for Events instead of lines;
//   - GET /ws/rpc upgrades to JSON-RPC over WebSocket.
//
// It is a lifecycle.Component for the WebSocket connections it holds,
// which http.Server.Shutdown does not track: serve its Handler on an
// http.Server whose BaseContext is the Server's BaseContext, and shut it
// down after that http.Server.
type Server struct {
	cfg   Config
	mux   *http.ServeMux
	chat  *tcpserver.Server // runs the chat sessions of WebSocket clients
	ln    *gatewayListener
	stats *statsHub
	done  chan struct{} // closed once the sessions' server has stopped
	err   error         // why it stopped; read after done

	base     context.Context // of every request; cancelled by Shutdown
	stopBase context.CancelFunc
	mu       sync.Mutex     // orders upgraded.Add before Shutdown's Wait
	upgraded sync.WaitGroup // WebSocket handlers running
	open     atomic.Int64   // of them, for maxConns
	maxConns atomic.Int64   // Config.MaxConns, or what SetMaxConns set since
	counts   *counters
	// refusals logs refused upgrades at most once a second by kind, so
	// that a flood of them cannot flood the log; /metrics counts each.
	refusals ratelog.Limiter
}

var _ lifecycle.Component = (*Server)(nil)

// NewServer returns a server configured by cfg.
func NewServer(cfg Config) *Server {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.PongTimeout <= 0 {
		cfg.PongTimeout = DefaultPongTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = tcpserver.DefaultMaxConns
	}
	if cfg.StatsInterval <= 0 {
		cfg.StatsInterval = DefaultStatsInterval
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.DefaultGatherer
	}
	if cfg.RPC == nil {
		cfg.RPC = &jsonrpc.Server{Logger: cfg.Logger}
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), ln: newGatewayListener(), done: make(chan struct{}), counts: newCounters("chat", "rpc")}
	s.maxConns.Store(int64(cfg.MaxConns))
	s.base, s.stopBase = context.WithCancel(context.Background())
	s.stats = &statsHub{s: &sampler{g: cfg.Metrics, presence: cfg.Presence}, interval: cfg.StatsInterval,
		failed: func(err error) {
			s.refusals.Warn(cfg.Logger, "stats", "dashboard statistics unavailable: gathering the metrics failed", "err", err)
		}}
	cfg.RPC.HandleSubscription(s.stats.metricsSubscription())
	rpcOpts := jsonrpc.WebSocketOptions{
		OriginPatterns: cfg.AllowedOrigins,
		// The same keepalive as /ws/chat's: a dashboard whose browser
		// vanished would otherwise hold its subscription, and a slot
		// under MaxConns, until the server stops.
		KeepAlive: func(ctx context.Context, ws *websocket.Conn) {
			keepAlive(ws, ctx.Done(), cfg.PingInterval, cfg.PongTimeout, func(reason string) { s.counts.drop("rpc", reason) })
		},
		Closed: func(cause error) { s.counts.dropCause("rpc", cause) },
	}
	s.mux.Handle("GET /ws/rpc", s.private(cfg.Auth.Require(s.upgrade("rpc", cfg.RPC.WebSocketHandler(rpcOpts)))))
	s.mux.Handle("GET /{$}", page("chat.html"))
	s.mux.Handle("GET /dashboard", s.private(signIn(cfg.Auth, page("dashboard.html"))))
	s.mux.HandleFunc("POST /login", cfg.Auth.Login)
	s.mux.Handle("GET /assets/", assetHandler())
	if cfg.Chat != nil {
		var log *slog.Logger
		if cfg.Logger != nil {
			log = cfg.Logger.With("transport", "websocket")
		}
		s.chat = &tcpserver.Server{Handler: cfg.Chat, MaxConns: cfg.MaxConns, IdleTimeout: -1, ReadTimeout: 30 * time.Second, Logger: log}
		s.mux.Handle("GET /ws/chat", s.upgrade("chat", http.HandlerFunc(s.serveChat)))
	}
	for pattern, h := range cfg.Mounts {
		s.mux.Handle(pattern, h)
	}
	return s
}

// private refuses h's requests with 403 when the listener is Locked.
// Without a token, on loopback, it also refuses a request whose Host is
// not a loopback name or address: a web page whose name an attacker
// points at 127.0.0.1 (DNS rebinding) is of the same origin as the
// listener to the browser, and would otherwise reach the dashboard and
// /ws/rpc from any site the user visits.
func (s *Server) private(h http.Handler) http.Handler {
	if s.cfg.Locked {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "403 forbidden: the dashboard and /ws/rpc need an admin token on a listener reachable from other machines (netkit serve --admin-token)", http.StatusForbidden)
		})
	}
	if s.cfg.Auth != nil {
		return h // a rebound page has no token
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			s.refusals.Warn(s.cfg.Logger, "host", "request for a host that is not loopback refused", "remote", r.RemoteAddr, "host", r.Host)
			http.Error(w, "403 forbidden: without an admin token the dashboard and /ws/rpc answer only to a loopback host name (localhost, 127.0.0.1, [::1])", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether host (a Host header, with or without a
// port) names this machine's loopback: localhost, a name under
// .localhost (RFC 6761), or a loopback address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// signIn serves the sign-in form instead of h to a browser without the
// session: it posts the token to /login, which sets the session cookie.
func signIn(a *admin.Auth, h http.Handler) http.Handler {
	if a == nil {
		return h
	}
	login := page("login.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Check(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="netkit"`)
		login.ServeHTTP(&statusWriter{ResponseWriter: w, status: http.StatusUnauthorized}, r)
	})
}

// statusWriter answers with status, whatever the handler asks for.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(int) {
	if !w.wrote {
		w.wrote = true
		w.ResponseWriter.WriteHeader(w.status)
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.WriteHeader(0)
	return w.ResponseWriter.Write(b)
}

// Handler returns the HTTP handler of the web listener.
func (s *Server) Handler() http.Handler { return s.mux }

// BaseContext is the context of the web listener's requests, for
// http.Server.BaseContext: Shutdown cancels it, which ends the WebSocket
// connections that http.Server.Shutdown leaves open.
func (s *Server) BaseContext(net.Listener) context.Context { return s.base }

// upgrade counts h's runs, which hold WebSocket connections of endpoint:
// it refuses one over MaxConns with 503, counts the refusals by reason,
// and Shutdown waits for them to end.
func (s *Server) upgrade(endpoint string, h http.Handler) http.Handler {
	open := s.counts.open[endpoint]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if limit := s.maxConns.Load(); s.open.Add(1) > limit {
			s.open.Add(-1)
			s.counts.refused[refusedLimit].Add(1)
			s.refusals.Warn(s.cfg.Logger, "limit", "websocket refused: connection limit", "remote", r.RemoteAddr, "max_conns", limit)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many connections", http.StatusServiceUnavailable)
			return
		}
		defer s.open.Add(-1)
		s.mu.Lock()
		if s.base.Err() != nil {
			s.mu.Unlock()
			s.counts.refused[refusedShutdown].Add(1)
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		s.upgraded.Add(1)
		s.mu.Unlock()
		defer s.upgraded.Done()
		open.Add(1)
		defer open.Add(-1)
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusForbidden:
			s.counts.refused[refusedOrigin].Add(1)
		case http.StatusBadRequest, http.StatusUpgradeRequired, http.StatusMethodNotAllowed:
			s.counts.refused[refusedRequest].Add(1)
		}
	})
}

// SetMaxConns changes the bound of WebSocket connections open at once,
// chat and JSON-RPC together, while the server runs (a configuration
// reload of --max-conns); n <= 0 means tcpserver.DefaultMaxConns.
// Connections already open stay open: a lower bound refuses upgrades until
// enough have closed.
func (s *Server) SetMaxConns(n int) {
	if n <= 0 {
		n = tcpserver.DefaultMaxConns
	}
	s.maxConns.Store(int64(n))
	if s.chat != nil {
		s.chat.SetMaxConns(n)
	}
}

// Chat returns the tcpserver.Server that runs the WebSocket chat sessions,
// for its statistics and metrics; nil without Config.Chat.
func (s *Server) Chat() *tcpserver.Server { return s.chat }

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		// Accept has answered: 403 for a foreign origin, 400 for a
		// request that is no WebSocket upgrade.
		s.refusals.Warn(s.cfg.Logger, "upgrade", "websocket upgrade refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(s.cfg.MaxMessage)
	drop := func(reason string) { s.counts.drop("chat", reason) }
	conn, done := pipe(ws, r.RemoteAddr, r.Host, s.cfg.WriteTimeout, r.URL.Query().Get("format") == "json", drop)
	if r.TLS != nil {
		conn.(*wsConn).peer = tlsconf.PeerName(*r.TLS)
	}
	if !s.ln.hand(conn) {
		conn.Close()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
	}
	keepAlive(ws, done, s.cfg.PingInterval, s.cfg.PongTimeout, drop)
}

// Start starts serving the chat sessions that the handler hands over.
func (s *Server) Start(context.Context) error {
	if s.chat == nil {
		close(s.done)
		return nil
	}
	go func() {
		s.err = s.chat.Serve(s.ln)
		close(s.done)
	}()
	return nil
}

// Wait returns once the sessions' server has stopped: nil after Shutdown.
func (s *Server) Wait() error {
	<-s.done
	if errors.Is(s.err, tcpserver.ErrServerClosed) {
		return nil
	}
	return s.err
}

// Ready returns nil while the gateway takes connections.
func (s *Server) Ready() error {
	if s.ln.isClosed() {
		return lifecycle.ErrNotStarted
	}
	return nil
}

// Shutdown stops the chat sessions as tcpserver's Shutdown does, each
// client reading the chat service's goodbye, then closes the other
// WebSocket connections (JSON-RPC, the dashboard's) with status 1001,
// within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	if s.chat != nil {
		err = s.chat.Shutdown(ctx)
	}
	s.mu.Lock()
	s.stopBase()
	s.mu.Unlock()
	ended := make(chan struct{})
	go func() {
		s.upgraded.Wait()
		s.stats.wait()
		close(ended)
	}()
	select {
	case <-ended:
	case <-ctx.Done():
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// gatewayListener is the net.Listener of the sessions' tcpserver: Accept
// returns the connections the HTTP handler upgraded.
type gatewayListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newGatewayListener() *gatewayListener {
	return &gatewayListener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// hand gives conn to Accept; false once the listener is closed.
func (l *gatewayListener) hand(conn net.Conn) bool {
	select {
	case l.conns <- conn:
		return true
	case <-l.closed:
		return false
	}
}

func (l *gatewayListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *gatewayListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *gatewayListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

func (l *gatewayListener) Addr() net.Addr { return addr{"websocket", "gateway"} }

// keepAlive pings ws every interval until done is closed; a pong missing
// after timeout closes the connection, which ends its reading, and is
// counted by drop. The pong is read by the connection's own reading, which
// must go on meanwhile.
func keepAlive(ws *websocket.Conn, done <-chan struct{}, interval, timeout time.Duration, drop func(reason string)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err := ws.Ping(ctx)
			cancel()
			if err != nil {
				// A ping cut short by the connection closing is no
				// timeout: only a pong, or a ping's write, that did not
				// come in time is.
				if errors.Is(err, context.DeadlineExceeded) {
					drop(droppedPongTimeout)
				}
				ws.CloseNow()
				<-done
				return
			}
		}
	}
}
