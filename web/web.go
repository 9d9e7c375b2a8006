package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/tcpserver"
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

	// Mounts are more handlers for the web listener, by http.ServeMux
	// pattern: a service's WebSocket endpoint such as JSON-RPC's
	// "GET /ws/rpc".
	Mounts map[string]http.Handler

	// MaxConns bounds the WebSocket chat connections open at once;
	// 0 means tcpserver.DefaultMaxConns.
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

// Server is the web listener's handler: GET /ws/chat upgrades to a
// WebSocket chat session, with ?format=json for Events instead of lines. It is a lifecycle.Component for the sessions it
// runs; serve its Handler on an HTTP listener.
type Server struct {
	cfg  Config
	mux  *http.ServeMux
	chat *tcpserver.Server // runs the chat sessions of WebSocket clients
	ln   *gatewayListener
	done chan struct{} // closed once the sessions' server has stopped
	err  error         // why it stopped; read after done
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
	s := &Server{cfg: cfg, mux: http.NewServeMux(), ln: newGatewayListener(), done: make(chan struct{})}
	if cfg.Chat != nil {
		var log *slog.Logger
		if cfg.Logger != nil {
			log = cfg.Logger.With("transport", "websocket")
		}
		s.chat = &tcpserver.Server{Handler: cfg.Chat, MaxConns: cfg.MaxConns, IdleTimeout: -1, ReadTimeout: 30 * time.Second, Logger: log}
		s.mux.HandleFunc("GET /ws/chat", s.serveChat)
	}
	for pattern, h := range cfg.Mounts {
		s.mux.Handle(pattern, h)
	}
	return s
}

// Handler returns the HTTP handler of the web listener.
func (s *Server) Handler() http.Handler { return s.mux }

// Chat returns the tcpserver.Server that runs the WebSocket chat sessions,
// for its statistics and metrics; nil without Config.Chat.
func (s *Server) Chat() *tcpserver.Server { return s.chat }

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		// Accept has answered: 403 for a foreign origin, 400 for a
		// request that is no WebSocket upgrade.
		if s.cfg.Logger != nil {
			s.cfg.Logger.Info("websocket upgrade refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		}
		return
	}
	ws.SetReadLimit(s.cfg.MaxMessage)
	conn, done := pipe(ws, r.RemoteAddr, r.Host, s.cfg.WriteTimeout, r.URL.Query().Get("format") == "json")
	if !s.ln.hand(conn) {
		conn.Close()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
	}
	keepAlive(ws, done, s.cfg.PingInterval, s.cfg.PongTimeout)
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

// Shutdown stops the chat sessions as tcpserver's Shutdown does: each
// client reads the chat service's goodbye, within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.chat == nil {
		return nil
	}
	return s.chat.Shutdown(ctx)
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
// after timeout closes the connection, which ends its pumps.
func keepAlive(ws *websocket.Conn, done <-chan struct{}, interval, timeout time.Duration) {
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
				ws.CloseNow()
				<-done
				return
			}
		}
	}
}
