package tlsconf

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ServerOptions says where a server's certificate comes from.
type ServerOptions struct {
	// CertFile and KeyFile are a PEM certificate chain and its key.
	CertFile, KeyFile string

	// SelfSigned, instead of CertFile and KeyFile, uses a self-signed
	// certificate for localhost, 127.0.0.1 and ::1, kept in Dir (made the
	// first time, reused while it is valid).
	SelfSigned bool
	Dir        string

	// ClientCAFile, if set, is a PEM bundle of the CAs whose client
	// certificates the server requires (mutual TLS); a client without
	// one, or with one from another CA, fails the handshake.
	ClientCAFile string

	// Logger receives reloads and refused certificates; nil is silent.
	Logger *slog.Logger
}

// Server is a server's TLS configuration with a certificate that can be
// replaced while it serves. Build it with NewServer.
type Server struct {
	opts    ServerOptions
	cert    atomic.Pointer[tls.Certificate]
	config  *tls.Config
	mu      sync.Mutex // serialises Reload
	modTime time.Time  // of the pair last loaded, for Watch
}

// ErrNoCertificate is NewServer's error when the options name no
// certificate.
var ErrNoCertificate = errors.New("tlsconf: no certificate: give a certificate and key, or ask for a self-signed one")

// NewServer loads (or, with SelfSigned, makes or reuses) the certificate
// and returns the server configuration.
func NewServer(opts ServerOptions) (*Server, error) {
	s := &Server{opts: opts}
	switch {
	case opts.SelfSigned:
		cert, key, err := selfSigned(opts.Dir)
		if err != nil {
			return nil, err
		}
		s.opts.CertFile, s.opts.KeyFile = cert, key
	case opts.CertFile == "" || opts.KeyFile == "":
		return nil, ErrNoCertificate
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	s.config = &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
	if opts.ClientCAFile != "" {
		pool, err := loadPool(opts.ClientCAFile)
		if err != nil {
			return nil, err
		}
		s.config.ClientCAs = pool
		s.config.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return s, nil
}

// Config returns the tls.Config for listeners. It is the same value on
// every call, so that all listeners share its session ticket keys; do not
// modify it.
func (s *Server) Config() *tls.Config { return s.config }

// CertFile returns the certificate file in use: the self-signed one's
// path, with SelfSigned.
func (s *Server) CertFile() string { return s.opts.CertFile }

// Fingerprint returns the SHA-256 of the leaf certificate in use, as
// colon-separated hex, the form browsers and openssl show.
func (s *Server) Fingerprint() string {
	c := s.cert.Load()
	if c == nil || len(c.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(c.Certificate[0])
	var b strings.Builder
	for i, v := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", v)
	}
	return b.String()
}

// MutualTLS reports whether clients must present a certificate.
func (s *Server) MutualTLS() bool { return s.config.ClientCAs != nil }

// Reload reads the certificate and key again. New handshakes use the new
// pair at once, and connections already made keep theirs. A pair that
// does not load (unreadable, not PEM, key not matching, expired) is
// refused: the old one stays in use and the error says why.
func (s *Server) Reload() error {
	if err := s.load(); err != nil {
		s.logf(slog.LevelError, "TLS certificate not reloaded; keeping the one in use", "cert", s.opts.CertFile, "err", err)
		return err
	}
	s.logf(slog.LevelInfo, "TLS certificate reloaded", "cert", s.opts.CertFile, "sha256", s.Fingerprint())
	return nil
}

func (s *Server) load() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	pair, err := tls.LoadX509KeyPair(s.opts.CertFile, s.opts.KeyFile)
	if err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	if pair.Leaf != nil && time.Now().After(pair.Leaf.NotAfter) {
		return fmt.Errorf("tlsconf: %s expired on %s", s.opts.CertFile, pair.Leaf.NotAfter.Format(time.DateOnly))
	}
	s.cert.Store(&pair)
	s.modTime = modTime(s.opts.CertFile, s.opts.KeyFile)
	return nil
}

// Watch reloads the certificate when its files change, checking every
// interval until ctx ends. It reloads once both files have stopped
// changing for one interval, so that a renewal that writes them one after
// the other is read whole.
func (s *Server) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var pending time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m := modTime(s.opts.CertFile, s.opts.KeyFile)
		s.mu.Lock()
		loaded := s.modTime
		s.mu.Unlock()
		switch {
		case m.IsZero() || m.Equal(loaded):
			pending = time.Time{}
		case !m.Equal(pending):
			pending = m // changed: wait one more interval for the other file
		default:
			if s.Reload() != nil {
				// Remember the broken pair's time, so that it is not
				// retried (and logged) every interval; a fix changes it.
				s.mu.Lock()
				s.modTime = m
				s.mu.Unlock()
			}
			pending = time.Time{}
		}
	}
}

// modTime is the later modification time of the files, or zero if one
// cannot be read.
func modTime(files ...string) time.Time {
	var latest time.Time
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return time.Time{}
		}
		if fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest
}

func (s *Server) logf(level slog.Level, msg string, args ...any) {
	if s.opts.Logger != nil {
		s.opts.Logger.Log(context.Background(), level, msg, args...)
	}
}

// loadPool reads a PEM bundle of CA certificates.
func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tlsconf: %s holds no PEM certificate", file)
	}
	return pool, nil
}

// PeerName returns the verified client certificate's common name of a
// mutual TLS connection, or "" when the client presented none.
func PeerName(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return cs.VerifiedChains[0][0].Subject.CommonName
}
