package testnet

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/tlsconf"
)

// CA is a certificate authority made for one test, with its files in the
// test's temporary directory.
type CA struct {
	t      *testing.T
	dir    string
	cert   *x509.Certificate
	key    any
	CAFile string // the CA's certificate, PEM, for clients' --cacert or a server's client CA
}

// NewCA makes a CA for the test.
func NewCA(t *testing.T) *CA {
	t.Helper()
	certPEM, keyPEM, err := tlsconf.NewCertificate(tlsconf.CertificateRequest{CommonName: "netkit test CA", IsCA: true, Life: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{t: t, dir: t.TempDir(), cert: pair.Leaf, key: pair.PrivateKey}
	ca.CAFile = ca.write("ca.pem", certPEM)
	return ca
}

// Pool returns a pool holding the CA, for a client's RootCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Issue makes a certificate signed by the CA, as req describes it (Parent
// is the CA), and returns its certificate and key files.
func (ca *CA) Issue(name string, req tlsconf.CertificateRequest) (certFile, keyFile string) {
	ca.t.Helper()
	req.Parent, req.ParentKey = ca.cert, ca.key
	if req.Life == 0 && req.NotAfter.IsZero() {
		req.Life = time.Hour
	}
	certPEM, keyPEM, err := tlsconf.NewCertificate(req)
	if err != nil {
		ca.t.Fatal(err)
	}
	return ca.write(name+"-cert.pem", certPEM), ca.write(name+"-key.pem", keyPEM)
}

// Server issues a server certificate for 127.0.0.1, ::1 and localhost.
func (ca *CA) Server(name string) (certFile, keyFile string) {
	ca.t.Helper()
	return ca.Issue(name, tlsconf.CertificateRequest{Names: []string{"127.0.0.1", "::1", "localhost"}})
}

// Client issues a client certificate whose common name is cn.
func (ca *CA) Client(cn string) (certFile, keyFile string) {
	ca.t.Helper()
	return ca.Issue("client-"+cn, tlsconf.CertificateRequest{CommonName: cn, Client: true})
}

func (ca *CA) write(name string, b []byte) string {
	ca.t.Helper()
	p := filepath.Join(ca.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return p
}
