// Package admin serves netkit's operational HTTP endpoints: Prometheus
// metrics on /metrics, liveness on /healthz, readiness on /readyz, and any
// handlers services mount beside them (such as JSON-RPC's POST /rpc).
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ErrDraining is the readiness error once Drain has been called.
var ErrDraining = errors.New("admin: shutting down")

// Server is the admin HTTP server. Create it with NewServer.
//
// Unlike tcpserver.Server and jsonrpc.Server, whose zero values serve, an
// admin Server is built by a constructor from a Config, as chat's Server
// is: services register collectors, handlers and readiness checks on it
// between construction and Serve, so its registry and mux must exist
// first.
type Server struct {
	registry *prometheus.Registry
	logger   *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler // mux, behind Auth if set
	http     *http.Server
	draining atomic.Bool

	mu     sync.Mutex
	checks map[string]func() error
}

// Config configures an admin Server. The zero value serves a new registry
// with the Go runtime and process collectors, and logs nothing.
type Config struct {
	// Registry is exported on /metrics. Nil means a new registry with the
	// Go runtime and process collectors.
	Registry *prometheus.Registry

	// Logger receives the HTTP server's errors; nil is silent.
	Logger *slog.Logger

	// Auth, if set, requires its token on every endpoint but /healthz and
	// /readyz (and /metrics with PublicMetrics), and counts refusals in
	// netkit_auth_failures_total{listener="admin"}.
	Auth *Auth

	// PublicMetrics leaves /metrics open to scrapers without the token.
	PublicMetrics bool
}

// NewServer returns an admin server configured by cfg.
func NewServer(cfg Config) *Server {
	reg, logger := cfg.Registry, cfg.Logger
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{registry: reg, logger: logger, mux: http.NewServeMux(), checks: map[string]func() error{}}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	var errLog *slog.Logger
	if logger != nil {
		errLog = logger.With("listener", "admin")
	}
	s.handler = s.mux
	if cfg.Auth != nil {
		protected := cfg.Auth.Require(s.mux)
		public := func(path string) bool {
			return path == "/healthz" || path == "/readyz" || (cfg.PublicMetrics && path == "/metrics")
		}
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if public(r.URL.Path) {
				s.mux.ServeHTTP(w, r)
				return
			}
			protected.ServeHTTP(w, r)
		})
		reg.MustRegister(AuthFailures(cfg.Auth, "admin"))
	}
	s.http = &http.Server{
		Handler: s.handler,
		// Bounded like every other listener: slow or huge requests cannot
		// hold the admin port.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if errLog != nil {
		s.http.ErrorLog = slog.NewLogLogger(errLog.Handler(), slog.LevelWarn)
	}
	return s
}

// Registry returns the registry served on /metrics, for services to
// register their collectors.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handle mounts h on pattern (http.ServeMux syntax, e.g. "POST /rpc").
// Call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddReadyCheck adds a named readiness check: /readyz fails while check
// returns an error.
func (s *Server) AddReadyCheck(name string, check func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = check
}

// Drain makes /readyz fail from now on, so load balancers stop sending
// traffic; call it when shutdown begins. /healthz keeps answering.
func (s *Server) Drain() { s.draining.Store(true) }

// Ready returns nil when the instance is ready to serve, else why not.
func (s *Server) Ready() error {
	if s.draining.Load() {
		return ErrDraining
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.checks))
	for name := range s.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := s.checks[name](); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ready(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Handler returns the admin handler (its mux behind Auth, if set), for
// tests and for embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves HTTP on ln until Shutdown; it returns http.ErrServerClosed
// after Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(ln) }

// Shutdown drains readiness and shuts the HTTP server down gracefully, as
// http.Server.Shutdown does.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Drain()
	return s.http.Shutdown(ctx)
}

// Close closes the HTTP server at once.
func (s *Server) Close() error {
	s.Drain()
	return s.http.Close()
}
