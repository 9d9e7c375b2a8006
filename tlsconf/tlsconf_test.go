package tlsconf_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tlsconf"
)

// serveTLS serves cfg on 127.0.0.1 with a handler that answers each
// connection "ok" and returns its address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	testnet.Handle(t, ln, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if c.(*tls.Conn).Handshake() != nil {
			return
		}
		io.WriteString(c, "ok")
		io.Copy(io.Discard, c)
	})
	return ln.Addr().String()
}

// dial connects with cfg, reads the server's "ok", and returns the
// connection's state.
func dial(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 2)
	if _, err := io.ReadFull(c, buf); err != nil {
		return tls.ConnectionState{}, err
	}
	return c.(*tls.Conn).ConnectionState(), nil
}

func clientConfig(t *testing.T, o tlsconf.ClientOptions) *tls.Config {
	t.Helper()
	cfg, err := o.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReload: a reloaded pair serves new handshakes at once; a broken one
// is refused and the old one kept.
func TestReload(t *testing.T) {
	ca := testnet.NewCA(t)
	certA, keyA := ca.Server("a")
	certB, keyB := ca.Server("b")
	dir := t.TempDir()
	cert, key := dir+"/cert.pem", dir+"/key.pem"
	copyFile(t, certA, cert)
	copyFile(t, keyA, key)
	srv, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, srv.Config())
	client := clientConfig(t, tlsconf.ClientOptions{CAFile: ca.CAFile})
	fpA := srv.Fingerprint()
	st, err := dial(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	serial := st.PeerCertificates[0].SerialNumber

	copyFile(t, certB, cert)
	copyFile(t, keyB, key)
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	if srv.Fingerprint() == fpA {
		t.Fatal("fingerprint unchanged after reload")
	}
	st, err = dial(addr, clientConfig(t, tlsconf.ClientOptions{CAFile: ca.CAFile}))
	if err != nil {
		t.Fatal(err)
	}
	if st.PeerCertificates[0].SerialNumber.Cmp(serial) == 0 {
		t.Error("a new handshake after the reload still got the old certificate")
	}

	// A key that does not match the certificate: refused, B stays.
	copyFile(t, keyA, key)
	if err := srv.Reload(); err == nil {
		t.Fatal("a mismatched pair was accepted")
	}
	fpB := srv.Fingerprint()
	if _, err := dial(addr, clientConfig(t, tlsconf.ClientOptions{CAFile: ca.CAFile})); err != nil {
		t.Fatalf("after a refused reload: %v", err)
	}
	if srv.Fingerprint() != fpB {
		t.Error("a refused reload changed the certificate")
	}
}

// TestWatch: a change of the files is picked up without Reload.
func TestWatch(t *testing.T) {
	ca := testnet.NewCA(t)
	certA, keyA := ca.Server("a")
	certB, keyB := ca.Server("b")
	dir := t.TempDir()
	cert, key := dir+"/cert.pem", dir+"/key.pem"
	copyFile(t, certA, cert)
	copyFile(t, keyA, key)
	srv, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	fpA := srv.Fingerprint()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Watch(ctx, 10*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	// A later modification time than the first pair's, whatever the
	// file system's clock granularity.
	later := time.Now().Add(2 * time.Second)
	copyFile(t, certB, cert)
	copyFile(t, keyB, key)
	os.Chtimes(cert, later, later)
	os.Chtimes(key, later, later)
	if !testnet.Eventually(10*time.Second, func() bool { return srv.Fingerprint() != fpA }) {
		t.Fatal("Watch did not reload the changed pair")
	}
}

// TestMutualTLS: a client certificate of the client CA passes, and its
// common name is the peer's name; none, or one of another CA, fails.
func TestMutualTLS(t *testing.T) {
	ca := testnet.NewCA(t)
	other := testnet.NewCA(t)
	cert, key := ca.Server("server")
	srv, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key, ClientCAFile: ca.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.MutualTLS() {
		t.Fatal("MutualTLS() = false with a client CA")
	}
	names := make(chan string, 1)
	cfg := srv.Config().Clone()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error { names <- tlsconf.PeerName(cs); return nil }
	addr := serveTLS(t, cfg)

	goodCert, goodKey := ca.Client("alice")
	if _, err := dial(addr, clientConfig(t, tlsconf.ClientOptions{CAFile: ca.CAFile, CertFile: goodCert, KeyFile: goodKey})); err != nil {
		t.Fatalf("good client certificate: %v", err)
	}
	if got := <-names; got != "alice" {
		t.Errorf("PeerName = %q, want alice", got)
	}
	badCert, badKey := other.Client("mallory")
	for name, o := range map[string]tlsconf.ClientOptions{
		"no certificate":           {CAFile: ca.CAFile},
		"another CA's certificate": {CAFile: ca.CAFile, CertFile: badCert, KeyFile: badKey},
	} {
		if _, err := dial(addr, clientConfig(t, o)); err == nil {
			t.Errorf("%s: handshake passed, want refused", name)
		}
	}
}

// TestSelfSigned: made once, kept, and reused by the next run.
func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	first, err := tlsconf.NewServer(tlsconf.ServerOptions{SelfSigned: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	second, err := tlsconf.NewServer(tlsconf.ServerOptions{SelfSigned: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if first.Fingerprint() == "" || first.Fingerprint() != second.Fingerprint() {
		t.Fatalf("fingerprints %q and %q: want the same certificate reused", first.Fingerprint(), second.Fingerprint())
	}
	if fi, err := os.Stat(dir + "/selfsigned-key.pem"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	addr := serveTLS(t, first.Config())
	// Trusted as its own CA, it is good for 127.0.0.1.
	if _, err := dial(addr, clientConfig(t, tlsconf.ClientOptions{CAFile: first.CertFile()})); err != nil {
		t.Errorf("verified against itself: %v", err)
	}
	// Without trusting it, the client reports an unknown authority.
	_, err = dial(addr, clientConfig(t, tlsconf.ClientOptions{}))
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("untrusted: %v, want an unknown authority error", err)
	}
}

// TestResumption: a client's second connection resumes its session.
func TestResumption(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	srv, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, srv.Config())
	client := clientConfig(t, tlsconf.ClientOptions{CAFile: ca.CAFile})
	first, err := dial(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	second, err := dial(addr, client)
	if err != nil {
		t.Fatal(err)
	}
	if first.DidResume || !second.DidResume {
		t.Errorf("DidResume: first %v, second %v; want false, true", first.DidResume, second.DidResume)
	}
	if second.Version != tls.VersionTLS13 {
		t.Errorf("version %x, want TLS 1.3 preferred", second.Version)
	}
}

func TestParseVersion(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"tls1.2", tls.VersionTLS12, true},
		{"TLS1.3", tls.VersionTLS13, true},
		{"tls1.1", 0, false},
		{"ssl3", 0, false},
	} {
		got, err := tlsconf.ParseVersion(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseVersion(%q) = %x, %v", tt.in, got, err)
		}
	}
}

func TestSplitAddr(t *testing.T) {
	for _, tt := range []struct {
		in, hostport string
		tls          bool
	}{
		{"tls://127.0.0.1:7001", "127.0.0.1:7001", true},
		{"tcp://127.0.0.1:7001", "127.0.0.1:7001", false},
		{"127.0.0.1:7001", "127.0.0.1:7001", false},
		{"[::1]:7001", "[::1]:7001", false},
	} {
		hp, useTLS := tlsconf.SplitAddr(tt.in)
		if hp != tt.hostport || useTLS != tt.tls {
			t.Errorf("SplitAddr(%q) = %q, %v", tt.in, hp, useTLS)
		}
	}
}

// TestExplainAlert: a server's refusal of the client certificate, as
// crypto/tls reports it (the alert in a "remote error" *net.OpError, or
// a tls.AlertError), is explained as one.
func TestExplainAlert(t *testing.T) {
	for _, tt := range []struct {
		alert tls.AlertError
		says  string
	}{
		{116, "requires a client certificate"},
		{48, "its CA is not one the server trusts"},
		{42, "refused the client certificate"},
		{40, "refused the handshake"},
		{80, "ended the handshake"},
	} {
		err := &net.OpError{Op: "remote error", Err: tt.alert}
		if got := tlsconf.Explain(err); !strings.Contains(got, tt.says) {
			t.Errorf("Explain(alert %d) = %q, want %q in it", uint8(tt.alert), got, tt.says)
		}
	}
	if got := tlsconf.Explain(io.EOF); got != io.EOF.Error() {
		t.Errorf("Explain(io.EOF) = %q", got)
	}
}
