package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/netkit-dev/netkit/lifecycle"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// tlsOptions are netkit serve's TLS flags.
type tlsOptions struct {
	Cert, Key        string
	SelfSigned       bool
	ClientCA         string
	HandshakeTimeout time.Duration
}

func (o *tlsOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Cert, "tls-cert", "", "TLS certificate (PEM chain) for every listener; with --tls-key")
	f.StringVar(&o.Key, "tls-key", "", "the TLS certificate's private key (PEM)")
	f.BoolVar(&o.SelfSigned, "tls-self-signed", false, "TLS with a self-signed certificate for localhost, 127.0.0.1 and ::1, kept under the data directory")
	f.StringVar(&o.ClientCA, "tls-client-ca", "", "require client certificates signed by these CAs (PEM): mutual TLS; chat nicknames are the certificates' names")
	f.DurationVar(&o.HandshakeTimeout, "handshake-timeout", tcpserver.DefaultHandshakeTimeout, "close connections that have not finished the TLS handshake within this")
}

func (o *tlsOptions) enabled() bool { return o.Cert != "" || o.Key != "" || o.SelfSigned }

func (o *tlsOptions) validate() error {
	switch {
	case o.SelfSigned && (o.Cert != "" || o.Key != ""):
		return errors.New("--tls-self-signed and --tls-cert/--tls-key exclude each other")
	case (o.Cert == "") != (o.Key == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case o.ClientCA != "" && !o.enabled():
		return errors.New("--tls-client-ca needs TLS: give --tls-cert and --tls-key, or --tls-self-signed")
	case o.HandshakeTimeout <= 0:
		return errors.New("--handshake-timeout must be positive")
	}
	return nil
}

// tlsWatchInterval is how often the certificate files are checked for a
// renewal.
const tlsWatchInterval = 5 * time.Second

// serverTLS loads the certificate (or makes the self-signed one under
// dataDir) and adds to g the component that reloads it on SIGHUP and when
// its files change. It returns nil without TLS flags.
func (o *tlsOptions) serverTLS(g *lifecycle.Group, dataDir string, log *slog.Logger) (*tlsconf.Server, error) {
	if !o.enabled() {
		return nil, nil
	}
	opts := tlsconf.ServerOptions{CertFile: o.Cert, KeyFile: o.Key, ClientCAFile: o.ClientCA, Logger: log}
	if o.SelfSigned {
		dir := dataDir
		if dir == "" {
			var err error
			if dir, err = defaultDataDir(); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
		}
		opts.SelfSigned, opts.Dir = true, filepath.Join(dir, "tls")
	}
	conf, err := tlsconf.NewServer(opts)
	if err != nil {
		return nil, err
	}
	attrs := []any{"cert", conf.CertFile(), "sha256", conf.Fingerprint(), "mutual", conf.MutualTLS()}
	if o.SelfSigned {
		attrs = append(attrs, "self_signed", true)
	}
	log.Info("TLS on every listener", attrs...)
	g.Add("tls", &tlsReloader{conf: conf})
	return conf, nil
}

// tlsReloader is the component that re-reads the certificate on SIGHUP
// and when its files change.
type tlsReloader struct {
	conf   *tlsconf.Server
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *tlsReloader) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer close(r.done)
		defer signal.Stop(hup)
		watched := make(chan struct{})
		go func() { r.conf.Watch(ctx, tlsWatchInterval); close(watched) }()
		for {
			select {
			case <-ctx.Done():
				<-watched
				return
			case <-hup:
				r.conf.Reload() // logs either way
			}
		}
	}()
	return nil
}

func (r *tlsReloader) Wait() error {
	<-r.done
	return nil
}

func (r *tlsReloader) Ready() error { return nil }

func (r *tlsReloader) Shutdown(context.Context) error {
	r.cancel()
	<-r.done
	return nil
}
