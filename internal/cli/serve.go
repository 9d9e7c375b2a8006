package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/admin"
	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/chat/natshub"
	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/config"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/web"
)

// serveService is one TCP service `netkit serve` can start. Adding a
// service is one entry in serveServices: netkit serve gets an --NAME-addr
// flag, a listener, a tcpserver.Server with the shared limits, metrics
// labelled service=NAME, and graceful shutdown.
type serveService struct {
	Name        string // flag prefix and metrics label: "echo" gives --echo-addr
	DefaultAddr string // "off" to leave the service off unless asked for
	Usage       string
	// Parkable says the handler keeps no state across requests, so idle
	// connections may wait without a goroutine (--park-idle,
	// tcpserver.Server.ParkIdle).
	Parkable bool
	// Setup sets srv.Handler (and may adjust srv's limits) for one run of
	// netkit serve; env gives the logger and the admin server, where a
	// service can mount HTTP handlers (admin.Handle) or readiness checks.
	Setup func(env serveEnv, srv *tcpserver.Server) error
}

// serveEnv is what a service's Setup may use.
type serveEnv struct {
	Logger *slog.Logger
	// Registry is what /metrics serves and the dashboard reads, whether
	// or not the admin listener is on.
	Registry *prometheus.Registry
	// Admin is the admin listener, for HTTP handlers (admin.Handle) and
	// readiness checks; nil when it is off.
	Admin *admin.Server
	// Cluster carries chat rooms, names and presence on the message bus
	// (--nats, --nats-listen); nil keeps them in-process.
	Cluster *chatCluster
	// Web collects what services give the web listener.
	Web *webParts
	// RPCRate bounds each JSON-RPC connection's requests per second
	// (--rpc-rate); 0 sets no limit.
	RPCRate float64
}

// webParts is what the services give the web listener.
type webParts struct {
	RPC      *jsonrpc.Server      // served on /ws/rpc
	Presence func() chat.Presence // the dashboard's rooms
}

// serveServices lists the services in start order.
var serveServices = []serveService{
	{
		Name: "echo", DefaultAddr: "127.0.0.1:7001", Usage: "line echo service (ECHO: <line>)", Parkable: true,
		Setup: func(env serveEnv, srv *tcpserver.Server) error {
			srv.Handler = echo.Handler{}
			return nil
		},
	},
	{
		Name: "chat", DefaultAddr: "127.0.0.1:7002", Usage: "chat service (rooms, nicknames; netkit chat)",
		Setup: func(env serveEnv, srv *tcpserver.Server) error {
			cfg := chat.Config{Logger: env.Logger}
			if c := env.Cluster; c != nil {
				cfg.Hub, cfg.Directory, cfg.History, cfg.Node = c.Hub, c.Directory, c.Directory, c.Node
			}
			cs := chat.NewServer(cfg)
			if c := env.Cluster; c != nil {
				c.Directory.SetSource(func() chat.Presence { return cs.Presence(c.Node) })
				natshub.WatchOutages(c.Conn, cs.Alert)
				env.Registry.MustRegister(natshub.NewCollector(c.Hub, c.Directory))
			}
			srv.Handler = cs
			// Chat clients may stay silent for hours; TCP keep-alive finds
			// dead peers, and ReadTimeout still bounds a line once begun.
			srv.IdleTimeout = -1
			srv.ReadTimeout = 30 * time.Second
			env.Registry.MustRegister(chat.NewCollector(cs))
			env.Web.Presence = func() chat.Presence { return cs.Presence(nodeName(env.Cluster)) }
			return nil
		},
	},
	{
		Name: "rpc", DefaultAddr: "127.0.0.1:7003", Parkable: true,
		Usage: "JSON-RPC 2.0 and the bare dialect over length-prefixed frames (add, greet, echo)",
		Setup: func(env serveEnv, srv *tcpserver.Server) error {
			// The bare dialect too: Python's asyncio JSON-RPC clients
			// send no "jsonrpc" member.
			metrics := jsonrpc.NewMetrics()
			env.Registry.MustRegister(metrics)
			rpc := &jsonrpc.Server{Logger: env.Logger, AcceptBare: true, Metrics: metrics, CallRate: env.RPCRate}
			env.Registry.MustRegister(rpc.RateLimitCollector())
			rpcdemo.Register(rpc)
			srv.Handler = rpc.TCPHandler()
			if env.Admin != nil {
				env.Admin.Handle("POST /rpc", rpc)
			}
			env.Web.RPC = rpc
			return nil
		},
	},
}

type serveOptions struct {
	Streams *IOStreams

	Addrs       map[string]*string // service name -> address or "off"
	AdminAddr   string
	WebAddr     string   // the web listener (WebSocket chat), or "off"
	WebOrigins  []string // --web-allowed-origins
	MaxConns    int
	IdleTimeout time.Duration
	ParkIdle    time.Duration
	Grace       time.Duration
	LogFormat   string // "text" or "json"
	LogLevel    string // "debug", "info", "warn", "error"
	NATS        natsOptions
	TLS         tlsOptions
	Auth        authOptions
	PerIP       tcpserver.IPLimits
	RPCRate     float64
	ConfigFile  string // --config
	PrintConfig bool   // --print-config

	config *config.Config // where every value came from, once resolved
}

func newServeCmd(streams *IOStreams, runF func(context.Context, *serveOptions) error) *cobra.Command {
	opts := &serveOptions{Streams: streams, Addrs: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run netkit's TCP services and the admin HTTP listener",
		Long: `Run netkit's TCP services on 127.0.0.1 (echo on 7001, chat on 7002,
JSON-RPC on 7003), the web listener (8080: a chat page on /, a live
dashboard on /dashboard, WebSockets on /ws/chat and /ws/rpc) and the admin
HTTP listener (9090: /metrics, /healthz, /readyz, POST /rpc). Each --NAME-addr takes an address, with port 0 for a
free port, or "off". One log line per listener reports its bound address
when it is ready.

Settings come from the flags, then NETKIT_<FLAG> environment variables
(NETKIT_ECHO_ADDR, NETKIT_MAX_CONNS), then the --config file, then the
defaults, in that order of precedence; --print-config shows the result.
SIGHUP re-reads the file and applies --max-conns, --idle-timeout and
--log-level at once, and the TLS certificate; other changes are logged as
needing a restart.

SIGINT or SIGTERM starts a graceful shutdown: /readyz fails, listeners close,
idle connections close, requests in progress finish within --grace; a second
signal ends the process at once. The exit status is 0 after a clean shutdown.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := resolveServeConfig(cmd.Flags(), opts); err != nil {
				return err
			}
			if opts.PrintConfig {
				return opts.config.WriteTOML(opts.Streams.Out)
			}
			if opts.LogFormat != "text" && opts.LogFormat != "json" {
				return fmt.Errorf("invalid --log-format %q: want text or json", opts.LogFormat)
			}
			if _, err := parseLevel(opts.LogLevel); err != nil {
				return err
			}
			if err := opts.NATS.validate(); err != nil {
				return err
			}
			if err := opts.TLS.validate(); err != nil {
				return err
			}
			if runF == nil {
				runF = runServe
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	for _, svc := range serveServices {
		opts.Addrs[svc.Name] = f.String(svc.Name+"-addr", svc.DefaultAddr, svc.Usage+` address, or "off"`)
	}
	f.StringVar(&opts.AdminAddr, "admin-addr", "127.0.0.1:9090", `admin HTTP address (/metrics, /healthz, /readyz), or "off"`)
	f.StringVar(&opts.WebAddr, "web-addr", "127.0.0.1:8080", `web listener address (chat page on /, dashboard on /dashboard, WebSockets: chat on /ws/chat, JSON-RPC on /ws/rpc), or "off"`)
	f.StringSliceVar(&opts.WebOrigins, "web-allowed-origins", nil, "host patterns of other origins whose pages may open WebSockets (same origin always may)")
	f.IntVar(&opts.MaxConns, "max-conns", tcpserver.DefaultMaxConns, "most connections per service; more are closed at once")
	f.Var(newDurationValue(&opts.IdleTimeout, tcpserver.DefaultIdleTimeout), "idle-timeout", "close connections idle (or dribbling one request) this long")
	f.Var(newDurationValue(&opts.ParkIdle, time.Second), "park-idle", "connections idle this long wait without a goroutine (services that allow it; 0: never)")
	f.Var(newDurationValue(&opts.Grace, 10*time.Second), "grace", "how long shutdown waits for requests in progress")
	f.StringVar(&opts.ConfigFile, "config", "", "read settings from this TOML `FILE` (keys mirror the flags, by service: [echo] addr = ...); SIGHUP re-reads it")
	f.BoolVar(&opts.PrintConfig, "print-config", false, "print the effective configuration as TOML, with where each value came from, and exit")
	f.StringVar(&opts.LogFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	opts.NATS.addFlags(f)
	opts.TLS.addFlags(f)
	opts.Auth.addFlags(f)
	f.IntVar(&opts.PerIP.MaxConns, "max-conns-per-ip", tcpserver.DefaultMaxConnsPerIP, "most connections open at once from one address (IPv6: one /64), per listener; 0: no limit")
	f.Float64Var(&opts.PerIP.Rate, "accept-rate-per-ip", tcpserver.DefaultAcceptRatePerIP, "connections a second one address may open, per listener; 0: no limit")
	f.IntVar(&opts.PerIP.Burst, "accept-burst-per-ip", tcpserver.DefaultAcceptBurst, "connections one address may open at once before --accept-rate-per-ip applies")
	f.Float64Var(&opts.RPCRate, "rpc-rate", 0, "JSON-RPC requests (or batches) a second per connection, with a burst of twice as many; more are answered with error -32005 (0: no limit)")
	f.BoolVar(&opts.PerIP.Loopback, "limit-loopback", false, "apply the per-address limits to loopback clients too (exempt by default, for local load tests)")
	return cmd
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return newLevelLogger(w, format, l)
}

// newLevelLogger is newLogger with a level that may be a *slog.LevelVar,
// which a configuration reload changes.
func newLevelLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	ho := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// serveComponents builds what netkit serve runs, in start order: the admin
// listener first, so that it reports readiness while the others start and
// is stopped last; the message bus if asked for (an embedded NATS server,
// then the connection), so that it carries chat before the first client
// arrives and after the last leaves; then each TCP service that is not off.
// tcps holds the TCP services' servers by name, for their closing
// statistics.
func serveComponents(opts *serveOptions, log *slog.Logger) (g *lifecycle.Group, tcps []namedTCP, ws *web.Server, err error) {
	g = &lifecycle.Group{}
	tlsConf, err := opts.TLS.serverTLS(g, opts.NATS.DataDir, log.With("service", "tls"))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tls: %w", err)
	}
	token, err := opts.Auth.token()
	if err != nil {
		return nil, nil, nil, err
	}
	auth := admin.NewAuth(token)
	if auth != nil {
		auth.Logger = log.With("service", "admin")
	}
	if err := protect(opts.AdminAddr, auth); err != nil {
		return nil, nil, nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoGauge(build()))
	hl := httpListen{limits: opts.PerIP, log: log, reg: reg, handshakeTimeout: opts.TLS.HandshakeTimeout}
	if tlsConf != nil {
		hl.tls = tlsConf.Config()
	}
	tlsAttrs := hl.attrs()
	var adm *admin.Server
	if opts.AdminAddr != "off" {
		adm = admin.NewServer(admin.Config{Registry: reg, Logger: log, Auth: auth, PublicMetrics: opts.Auth.PublicMetrics})
		adm.AddReadyCheck("serve", g.Ready)
		g.Add("admin", &lifecycle.Listener{
			Addr: opts.AdminAddr, Server: adm, Closed: http.ErrServerClosed, OnDrain: adm.Drain, Listen: hl.listen("admin"),
			Logger: log.With("service", "admin"), LogAttrs: append([]any{"endpoints", "/metrics /healthz /readyz"}, tlsAttrs...),
		})
	}
	parts := &webParts{}
	cluster, err := opts.NATS.addNATS(g, log)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("nats: %w", err)
	}
	for _, svc := range serveServices {
		addr := *opts.Addrs[svc.Name]
		if addr == "off" || addr == "" {
			continue
		}
		svcLog := log.With("service", svc.Name)
		srv := &tcpserver.Server{MaxConns: opts.MaxConns, IdleTimeout: opts.IdleTimeout, PerIP: opts.PerIP, Logger: svcLog}
		if tlsConf != nil {
			srv.TLSConfig, srv.HandshakeTimeout = tlsConf.Config(), opts.TLS.HandshakeTimeout
		}
		if svc.Parkable {
			srv.ParkIdle = opts.ParkIdle
		}
		if err := svc.Setup(serveEnv{Logger: svcLog, Registry: reg, Admin: adm, Cluster: cluster, Web: parts, RPCRate: opts.RPCRate}, srv); err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", svc.Name, err)
		}
		reg.MustRegister(tcpserver.NewCollector(srv, svc.Name))
		g.Add(svc.Name, &lifecycle.Listener{
			Addr: addr, Server: srv, Closed: tcpserver.ErrServerClosed,
			Logger: svcLog, LogAttrs: tlsAttrs,
		})
		tcps = append(tcps, namedTCP{svc.Name, srv})
	}
	ws, err = addWeb(g, opts, log, tcps, parts, reg, hl, token)
	if err != nil {
		return nil, nil, nil, err
	}
	if g.Len() == 0 {
		return nil, nil, nil, errors.New("every service is off: nothing to serve")
	}
	return g, tcps, ws, nil
}

// addWeb adds the web listener, after the chat service whose rooms its
// WebSocket clients join: the gateway's chat sessions, then the HTTP
// listener, so that the listener stops first and the sessions then end
// with the chat service's goodbye.
func addWeb(g *lifecycle.Group, opts *serveOptions, log *slog.Logger, tcps []namedTCP, parts *webParts, reg *prometheus.Registry,
	hl httpListen, token string) (*web.Server, error) {
	if opts.WebAddr == "off" || opts.WebAddr == "" {
		return nil, nil
	}
	auth := admin.NewAuth(token) // its own, to count the web listener's refusals apart
	if auth != nil {
		auth.Logger = log.With("service", "web")
	}
	cfg := web.Config{
		MaxConns: opts.MaxConns, AllowedOrigins: opts.WebOrigins, Logger: log.With("service", "web"),
		RPC: parts.RPC, Presence: parts.Presence, Metrics: reg,
		Auth: auth, Locked: auth == nil && !loopbackAddr(opts.WebAddr),
	}
	if cfg.Locked {
		log.Warn("the dashboard and /ws/rpc are shut: the web listener is reachable from other machines and no admin token is set", "addr", opts.WebAddr)
	}
	if auth != nil {
		reg.MustRegister(admin.AuthFailures(auth, "web"))
	}
	for _, t := range tcps {
		if t.name == "chat" {
			cfg.Chat = t.srv.Handler
		}
	}
	ws := web.NewServer(cfg)
	if ws.Chat() != nil {
		// The WebSocket chat sessions, beside the TCP services' metrics.
		reg.MustRegister(tcpserver.NewCollector(ws.Chat(), "web-chat"))
	}
	reg.MustRegister(ws) // its WebSockets open and upgrades refused
	g.Add("web-sessions", ws)
	g.Add("web", &lifecycle.Listener{
		Addr: opts.WebAddr,
		Server: &http.Server{
			Handler: ws.Handler(),
			// Bounded like the admin listener; a WebSocket, once
			// upgraded, is bounded by the chat service's own limits.
			ReadHeaderTimeout: 5 * time.Second,
			MaxHeaderBytes:    64 << 10,
			IdleTimeout:       60 * time.Second,
			// Cancelled when the sessions stop: it ends the WebSocket
			// connections, which http.Server.Shutdown leaves open.
			BaseContext: ws.BaseContext,
			// net/http's own complaints in the structured log, not on
			// the standard logger in plain text.
			ErrorLog: slog.NewLogLogger(log.With("service", "web").Handler(), slog.LevelWarn),
		},
		Closed: http.ErrServerClosed, Listen: hl.listen("web"), Logger: log.With("service", "web"),
		LogAttrs: append([]any{"endpoints", "/ (chat) /dashboard /ws/chat /ws/rpc"}, hl.attrs()...),
	})
	return ws, nil
}

// nodeName is the cluster node's name, or "" without a cluster.
func nodeName(c *chatCluster) string {
	if c == nil {
		return ""
	}
	return c.Node
}

// httpListen makes the HTTP listeners' Listen functions: the per-address
// limits, then TLS if set.
type httpListen struct {
	tls              *tls.Config // nil: plain TCP
	handshakeTimeout time.Duration
	limits           tcpserver.IPLimits
	log              *slog.Logger
	reg              *prometheus.Registry
}

// attrs are what the listeners' "listening" lines add.
func (h httpListen) attrs() []any {
	if h.tls == nil {
		return nil
	}
	return []any{"tls", true}
}

// listen returns the Listen of service's listener, whose refusals and
// TLS handshakes are on /metrics labelled service=NAME. The handshake
// runs in the listener as on the TCP services (tcpserver.TLSListener):
// bounded by --handshake-timeout, failures counted and logged at most
// once a second, plaintext HTTP still answered with net/http's 400.
func (h httpListen) listen(service string) func(context.Context, string) (net.Listener, error) {
	lim := tcpserver.NewIPLimiter(h.limits)
	h.reg.MustRegister(tcpserver.NewIPLimitCollector(lim, service))
	svcLog := h.log.With("service", service)
	var tlsc *tlsCollectorRef
	if h.tls != nil {
		tlsc = &tlsCollectorRef{service: service}
		h.reg.MustRegister(tlsc)
	}
	return func(ctx context.Context, addr string) (net.Listener, error) {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		ln = tcpserver.LimitListener(ln, lim, svcLog, service)
		if h.tls != nil {
			tl := tcpserver.NewTLSListener(ln, h.tls, tcpserver.TLSListenerOptions{
				HandshakeTimeout: h.handshakeTimeout, Logger: svcLog, AnswerHTTP: true,
			})
			tlsc.set(tl)
			ln = tl
		}
		return ln, nil
	}
}

// tlsCollectorRef exports the TLS handshakes of a listener that exists
// only once Listen has run; until then it exports nothing.
type tlsCollectorRef struct {
	service string
	mu      sync.Mutex
	c       *tcpserver.TLSCollector
}

func (r *tlsCollectorRef) set(l *tcpserver.TLSListener) {
	r.mu.Lock()
	r.c = tcpserver.NewTLSCollector(l, r.service)
	r.mu.Unlock()
}

// Describe sends no descriptions: the collector is unchecked, as its
// metrics appear only once the listener exists.
func (r *tlsCollectorRef) Describe(chan<- *prometheus.Desc) {}

func (r *tlsCollectorRef) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	c := r.c
	r.mu.Unlock()
	if c != nil {
		c.Collect(ch)
	}
}

// namedTCP is one TCP service of netkit serve.
type namedTCP struct {
	name string
	srv  *tcpserver.Server
}

func runServe(ctx context.Context, opts *serveOptions) error {
	level := new(slog.LevelVar)
	l, _ := parseLevel(opts.LogLevel)
	level.Set(l)
	log := newLevelLogger(opts.Streams.ErrOut, opts.LogFormat, level)
	g, tcps, ws, err := serveComponents(opts, log)
	if err != nil {
		return err
	}
	if opts.config != nil {
		g.Add("config", &configReloader{opts: opts, level: level, tcps: tcps, web: ws, log: log.With("service", "config"), current: opts.config})
	}
	if err := g.Start(ctx); err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", opts.Grace.String())
	case runErr = <-g.Failed():
		log.Error("listener failed; shutting down", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), opts.Grace)
	defer cancel()
	stopErr := g.Shutdown(sctx)
	for _, t := range tcps {
		st := t.srv.Stats()
		log.Info("stopped", "service", t.name, "accepted", st.Accepted, "requests", st.Requests,
			"errors", st.Errors, "rejected", st.Rejected, "timeouts", st.Timeouts, "bytes_in", st.BytesIn, "bytes_out", st.BytesOut)
	}
	if runErr != nil {
		return runErr
	}
	if stopErr != nil {
		return fmt.Errorf("shutdown: grace period %v ended with connections still open (%s); closed them", opts.Grace, strings.Join(lifecycle.Names(stopErr), ", "))
	}
	log.Info("shutdown complete")
	return nil
}
