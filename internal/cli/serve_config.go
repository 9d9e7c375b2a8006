package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/netkit-dev/netkit/internal/config"
	"github.com/netkit-dev/netkit/web"
)

// serveSchema maps netkit serve's flags to configuration keys: each
// service's flags are its table ([echo] addr for --echo-addr).
var serveSchema = &config.Schema{
	Groups: []string{"echo", "chat", "rpc", "admin", "web", "nats", "tls", "log"},
	Rename: map[string]string{"nats": "nats.urls"},
	Secret: []string{"admin-token"},
	Skip:   []string{"config", "print-config"},
}

// resolveServeConfig fills the flags the command line left alone from
// NETKIT_<FLAG> variables, then from the --config file.
func resolveServeConfig(fs *pflag.FlagSet, opts *serveOptions) error {
	cfg, err := config.Resolve(fs, serveSchema, opts.ConfigFile, os.LookupEnv)
	if err != nil {
		return err
	}
	// The token file beats the environment's token, as it always has:
	// the variable is the fallback for a server without either flag.
	if tok, _ := cfg.Get("admin-token"); tok.Source == config.FromEnv && opts.Auth.TokenFile != "" {
		opts.Auth.Token = ""
	}
	opts.config = cfg
	return nil
}

// liveSettings are the settings a reload applies to the running server;
// every other change waits for a restart, and says so. The TLS
// certificate reloads on SIGHUP on its own.
var liveSettings = []string{"max-conns", "idle-timeout", "log-level"}

// configReloader re-reads the configuration on SIGHUP and applies what
// can change without dropping a connection.
type configReloader struct {
	opts  *serveOptions
	level *slog.LevelVar
	tcps  []namedTCP
	// web is the web listener, nil when it is off: its WebSocket cap is
	// --max-conns too, one bound for chat and JSON-RPC together.
	web *web.Server
	log *slog.Logger

	mu      sync.Mutex
	current *config.Config

	stop chan struct{}
	done chan struct{}
}

func (r *configReloader) Start(context.Context) error {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer close(r.done)
		defer signal.Stop(hup)
		for {
			select {
			case <-hup:
				r.reload()
			case <-r.stop:
				return
			}
		}
	}()
	return nil
}

func (r *configReloader) Wait() error  { <-r.done; return nil }
func (r *configReloader) Ready() error { return nil }
func (r *configReloader) Shutdown(context.Context) error {
	close(r.stop)
	<-r.done
	return nil
}

// reload resolves the configuration again, the command line and the
// environment as at start, the file as it is now, and applies the
// differences.
func (r *configReloader) reload() {
	r.mu.Lock()
	defer r.mu.Unlock()
	fresh := newServeCmd(r.opts.Streams, func(context.Context, *serveOptions) error { return nil })
	fs := fresh.Flags()
	for _, s := range r.current.Settings {
		if s.Source != config.FromFlag {
			continue
		}
		v := s.Value
		if s.List != nil {
			v = strings.Join(s.List, ",")
		}
		if err := fs.Set(s.Flag, v); err != nil {
			r.log.Error("configuration not reloaded", "err", err)
			return
		}
	}
	next, err := config.Resolve(fs, serveSchema, r.opts.ConfigFile, os.LookupEnv)
	if err != nil {
		r.log.Error("configuration not reloaded: the running one stays", "file", r.opts.ConfigFile, "err", err)
		return
	}
	applied, restart := 0, []string{}
	for _, s := range next.Settings {
		old, _ := r.current.Get(s.Flag)
		if old.Value == s.Value {
			continue
		}
		shown := s.Value
		if s.Secret {
			shown = "***"
		}
		if !slices.Contains(liveSettings, s.Flag) {
			restart = append(restart, s.Key)
			r.log.Warn("setting changed; it takes effect at the next restart", "key", s.Key, "value", shown)
			continue
		}
		if err := r.apply(s.Flag, s.Value); err != nil {
			r.log.Error("setting not applied", "key", s.Key, "value", shown, "err", err)
			continue
		}
		applied++
		r.log.Info("setting applied", "key", s.Key, "from", old.Value, "to", shown)
	}
	// Keep what was not applied as it runs, so that the next reload
	// reports it again.
	for i, s := range next.Settings {
		if slices.Contains(restart, s.Key) {
			next.Settings[i], _ = r.current.Get(s.Flag)
		}
	}
	r.current = next
	r.log.Info("configuration reloaded", "file", r.opts.ConfigFile, "applied", applied, "need_restart", len(restart))
}

func (r *configReloader) apply(flag, value string) error {
	switch flag {
	case "max-conns":
		n, err := strconv.Atoi(value)
		if err != nil {
			return err
		}
		for _, t := range r.tcps {
			t.srv.SetMaxConns(n)
		}
		if r.web != nil {
			r.web.SetMaxConns(n)
		}
		return nil
	case "idle-timeout":
		d, err := time.ParseDuration(value)
		if err != nil {
			return err
		}
		for _, t := range r.tcps {
			t.srv.SetIdleTimeout(d)
		}
		return nil
	case "log-level":
		l, err := parseLevel(value)
		if err != nil {
			return err
		}
		r.level.Set(l)
		return nil
	}
	return fmt.Errorf("%s cannot change while running", flag)
}
