package cli

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tlsconf"
)

// TestHTTPTLSFlags: HTTPie's --verify, --ssl, --cert and --cert-key.
func TestHTTPTLSFlags(t *testing.T) {
	var version atomic.Uint32
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version.Store(uint32(r.TLS.Version))
		name := "-"
		if len(r.TLS.PeerCertificates) > 0 {
			name = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "hello %s", name)
	}))
	defer ts.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600)

	code, _, stderr := run(t, "", "http", ts.URL)
	if code != exitTLS || !strings.Contains(stderr, "tls") {
		t.Errorf("untrusted certificate: exit %d, %q; want %d", code, stderr, exitTLS)
	}
	for _, args := range [][]string{{"--verify", "no"}, {"--verify", bundle}} {
		code, out, stderr := run(t, "", append([]string{"http", ts.URL}, args...)...)
		if code != 0 || !strings.Contains(out, "hello") {
			t.Errorf("%v: exit %d, %q, %q", args, code, out, stderr)
		}
	}
	for flag, want := range map[string]uint16{"tls1.2": tls.VersionTLS12, "tls1.3": tls.VersionTLS13} {
		code, _, stderr := run(t, "", "http", ts.URL, "--verify", bundle, "--ssl", flag)
		if code != 0 || uint16(version.Load()) != want {
			t.Errorf("--ssl %s: exit %d (%q), version %x", flag, code, stderr, version.Load())
		}
	}
	if code, _, _ := run(t, "", "http", ts.URL, "--ssl", "tls1.1"); code == 0 {
		t.Error("--ssl tls1.1 accepted")
	}

	// A server that requires a client certificate.
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	conf, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key, ClientCAFile: ca.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	// Not httptest's TLS server, whose own certificate would come first.
	ln := tls.NewListener(testnet.Listen(t), conf.Config())
	hs := &http.Server{Handler: ts.Config.Handler}
	go hs.Serve(ln)
	defer hs.Close()
	mURL := "https://" + ln.Addr().String()
	ccert, ckey := ca.Client("carol")
	code, out, stderr := run(t, "", "http", mURL, "--verify", ca.CAFile, "--cert", ccert, "--cert-key", ckey)
	if code != 0 || !strings.Contains(out, "hello carol") {
		t.Errorf("client certificate: exit %d, %q, %q", code, out, stderr)
	}
	if code, _, _ := run(t, "", "http", mURL, "--verify", ca.CAFile); code == 0 {
		t.Error("no client certificate: served")
	}
	// fetch takes the same flags, and exits with netkit http's status
	// for a certificate it does not trust.
	code, out, stderr = run(t, "", "fetch", ts.URL, "--verify", "no")
	if code != 0 || !strings.Contains(out, "200") {
		t.Errorf("fetch --verify no: exit %d, %q, %q", code, out, stderr)
	}
	if code, out, stderr = run(t, "", "fetch", ts.URL); code != exitTLS || !strings.Contains(out, "tls") {
		t.Errorf("fetch, untrusted certificate: exit %d, %q, %q; want %d", code, out, stderr, exitTLS)
	}
}
