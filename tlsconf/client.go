package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/netkit-dev/netkit/netclass"
)

// ClientOptions are the TLS options of netkit's clients.
type ClientOptions struct {
	// CAFile is a PEM bundle of the CAs to trust instead of the system's.
	CAFile string
	// Insecure skips verifying the server's certificate.
	Insecure bool
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile, KeyFile string
	// ServerName is the name to verify the certificate against, and to
	// send in SNI, when it is not the host dialled.
	ServerName string
	// MinVersion and MaxVersion bound the TLS versions (tls.VersionTLS12,
	// ...); zero means TLS 1.2 and Go's highest.
	MinVersion, MaxVersion uint16
}

// Config returns the tls.Config for the options, with a session cache so
// that a client's reconnections resume their sessions.
func (o ClientOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         o.MaxVersion,
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.Insecure,
		ClientSessionCache: tls.NewLRUClientSessionCache(256),
	}
	if o.MinVersion != 0 {
		cfg.MinVersion = o.MinVersion
	}
	if o.CAFile != "" {
		pool, err := loadPool(o.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, fmt.Errorf("tlsconf: a client certificate needs both its certificate and its key")
		}
		pair, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tlsconf: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// ParseVersion reads a TLS version as HTTPie's --ssl names it: tls1.2 or
// tls1.3 (tls1 and tls1.1 are refused: netkit speaks 1.2 and up).
func ParseVersion(s string) (uint16, error) {
	switch strings.ToLower(s) {
	case "tls1.2":
		return tls.VersionTLS12, nil
	case "tls1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("tlsconf: unsupported TLS version %q: want tls1.2 or tls1.3", s)
}

// SplitAddr reads a client address: "tls://HOST:PORT" asks for TLS,
// "tcp://HOST:PORT" and a bare "HOST:PORT" do not.
func SplitAddr(addr string) (hostport string, useTLS bool) {
	if rest, ok := strings.CutPrefix(addr, "tls://"); ok {
		return rest, true
	}
	return strings.TrimPrefix(addr, "tcp://"), false
}

// Explain says what a certificate error means in a few words: unknown
// authority, expired (or not yet valid), wrong host, or the error itself.
func Explain(err error) string {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &unknown):
		return "certificate signed by an unknown authority (give its CA with --cacert, or --insecure)"
	case errors.As(err, &hostname):
		return "certificate for the wrong host: " + hostname.Error()
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "certificate expired or not yet valid: " + invalid.Error()
	}
	if alert, ok := netclass.PeerAlert(err); ok {
		return explainAlert(alert)
	}
	return err.Error()
}

// TLS alerts a server sends when it refuses the client's certificate
// (RFC 8446 section 6.2; crypto/tls does not export their names).
const (
	alertHandshakeFailure       tls.AlertError = 40
	alertBadCertificate         tls.AlertError = 42
	alertUnsupportedCertificate tls.AlertError = 43
	alertCertificateRevoked     tls.AlertError = 44
	alertCertificateExpired     tls.AlertError = 45
	alertCertificateUnknown     tls.AlertError = 46
	alertUnknownCA              tls.AlertError = 48
	alertAccessDenied           tls.AlertError = 49
	alertCertificateRequired    tls.AlertError = 116
)

// explainAlert says what the server's alert means for the client; the
// alert itself is in the error that Explain's callers print after it.
func explainAlert(a tls.AlertError) string {
	switch a {
	case alertCertificateRequired:
		return "the server requires a client certificate (give one with --cert and --key)"
	case alertHandshakeFailure:
		// TLS 1.2 has no "certificate required": a server that wants
		// one and gets none says this.
		return "the server refused the handshake (over TLS 1.2, also what a server that requires a client certificate answers to none; give one with --cert and --key)"
	case alertUnknownCA:
		return "the server refused the client certificate: its CA is not one the server trusts"
	case alertBadCertificate, alertUnsupportedCertificate, alertCertificateRevoked, alertCertificateExpired,
		alertCertificateUnknown, alertAccessDenied:
		return "the server refused the client certificate"
	}
	return "the server ended the handshake with an alert"
}
