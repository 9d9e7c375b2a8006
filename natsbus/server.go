package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/netkit-dev/netkit/lifecycle"
)

// DefaultStartTimeout is how long Start waits for an embedded server to
// accept connections when ServerConfig.StartTimeout is zero.
const DefaultStartTimeout = 10 * time.Second

// DefaultMaxPayload is NATS's own default message size limit (1 MiB).
const DefaultMaxPayload = 1 << 20

// ServerConfig configures an embedded nats-server: a single node on
// 127.0.0.1 unless ClusterListen makes it part of a cluster. StoreDir must
// be set; every other field has a default.
type ServerConfig struct {
	// Listen is the client address, HOST:PORT. Port 0 picks a free port;
	// empty means 127.0.0.1:0, so that an embedded server is never
	// reachable from outside unless asked.
	Listen string

	// Name names the server in the cluster and in its logs; empty lets
	// nats-server pick one. Nodes of one cluster need distinct names for
	// JetStream.
	Name string

	// StoreDir is where JetStream keeps its streams and key-value buckets.
	// It must be set: JetStream state (nicknames, room history) is what
	// outlives a restart.
	StoreDir string

	// ClusterListen, if set, is the HOST:PORT where this node accepts
	// routes from the other nodes of its cluster, and ClusterName names
	// the cluster (default "netkit"). Routes lists the other nodes'
	// cluster addresses (nats://HOST:PORT).
	ClusterListen string
	ClusterName   string
	Routes        []string

	// MaxPayload bounds one message; 0 means DefaultMaxPayload.
	MaxPayload int32

	// StartTimeout bounds how long Start waits for the server to accept
	// connections; 0 means DefaultStartTimeout.
	StartTimeout time.Duration

	// Logger receives the server's notices, warnings and errors (its
	// debug and trace output stays off); nil is silent.
	Logger *slog.Logger
}

// Server is an embedded nats-server: a lifecycle.Component. Create it with
// NewServer.
type Server struct {
	cfg     ServerConfig
	ns      *server.Server
	started atomic.Bool
	done    chan struct{} // closed once the server has shut down
}

var _ lifecycle.Component = (*Server)(nil)

// ErrConfig is wrapped by the errors of a ServerConfig or ConnConfig that
// cannot work.
var ErrConfig = errors.New("natsbus: invalid configuration")

// NewServer checks cfg and returns a server that Start runs.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: the embedded server needs a store directory for JetStream", ErrConfig)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.ClusterName == "" {
		cfg.ClusterName = "netkit"
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %v", ErrConfig, cfg.Listen, err)
	}
	opts := &server.Options{
		ServerName: cfg.Name,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		MaxPayload: cfg.MaxPayload,
		// The embedding program owns the signals and the logging.
		NoSigs: true,
		NoLog:  cfg.Logger == nil,
	}
	if cfg.ClusterListen != "" {
		ch, cp, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("%w: cluster address %q: %v", ErrConfig, cfg.ClusterListen, err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: ch, Port: cp}
		for _, r := range cfg.Routes {
			u, err := url.Parse(strings.TrimSpace(r))
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("%w: route %q: want nats://HOST:PORT", ErrConfig, r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	} else if len(cfg.Routes) > 0 {
		return nil, fmt.Errorf("%w: routes need a cluster address to accept routes on", ErrConfig)
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	if cfg.Logger != nil {
		ns.SetLogger(slogAdapter{cfg.Logger}, false, false)
	}
	return &Server{cfg: cfg, ns: ns, done: make(chan struct{})}, nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if port == 0 {
		// nats-server reads port 0 as its default port (4222 for
		// clients, none for routes) and -1 as "any free port".
		port = server.RANDOM_PORT
	}
	return host, port, nil
}

// Start starts the server and returns once it accepts client connections
// (JetStream included), or with an error when it does not within
// StartTimeout or ctx.
func (s *Server) Start(ctx context.Context) error {
	s.started.Store(true)
	go func() {
		s.ns.Start()
		s.ns.WaitForShutdown()
		close(s.done)
	}()
	wait := s.cfg.StartTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
		wait = time.Until(d)
	}
	if !s.ns.ReadyForConnections(wait) {
		s.ns.Shutdown()
		<-s.done
		return fmt.Errorf("natsbus: embedded server not ready within %v", wait)
	}
	if !s.ns.JetStreamEnabled() {
		// JetStream fails to start apart from the listeners, for example
		// a cluster node without routes; the server would run without the
		// state that netkit keeps in it.
		s.ns.Shutdown()
		<-s.done
		return errors.New("natsbus: JetStream did not start (a cluster node needs --nats-routes, its own address may be among them)")
	}
	if s.cfg.Logger != nil {
		s.cfg.Logger.Info("listening", "addr", s.Addr(), "cluster", s.cfg.ClusterListen, "store", s.cfg.StoreDir)
	}
	return nil
}

// ClientURL returns the URL clients connect to, nats://HOST:PORT, once
// started.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// Addr returns the bound client address, HOST:PORT, once started.
func (s *Server) Addr() string {
	if a, ok := s.ns.Addr().(*net.TCPAddr); ok {
		return a.String()
	}
	return ""
}

// ClusterAddr returns the bound cluster address, HOST:PORT, once started
// with ClusterListen; "" otherwise.
func (s *Server) ClusterAddr() string {
	if a := s.ns.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// Wait returns once the server has shut down: nil, since an embedded
// server stops only when Shutdown asks it to.
func (s *Server) Wait() error {
	<-s.done
	return nil
}

// Ready reports whether the server accepts client connections.
func (s *Server) Ready() error {
	if !s.ns.Running() {
		return lifecycle.ErrNotStarted
	}
	return nil
}

// Shutdown stops the server and closes its clients, which reconnect to
// another node of the cluster if there is one. nats-server's shutdown takes
// no deadline, so when ctx ends first Shutdown returns ctx.Err() while the
// server finishes on its own.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.started.Load() {
		return nil
	}
	go s.ns.Shutdown()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// slogAdapter is nats-server's Logger on a slog.Logger.
type slogAdapter struct{ l *slog.Logger }

// Noticef logs at debug level: nats-server's notices are its start-up
// banner and routine events, which would bury netkit's own lines.
func (a slogAdapter) Noticef(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Tracef(format string, v ...any)  {}
