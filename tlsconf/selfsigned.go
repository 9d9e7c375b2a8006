package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// SelfSignedNames are the names a self-signed certificate is good for.
var SelfSignedNames = []string{"localhost", "127.0.0.1", "::1"}

// selfSignedLife is how long a self-signed certificate is made for; one
// with less than a tenth of it left is made anew.
const selfSignedLife = 365 * 24 * time.Hour

// selfSigned returns the paths of a self-signed certificate and key in
// dir, making them if they are missing, unreadable or near their end.
func selfSigned(dir string) (certFile, keyFile string, err error) {
	if dir == "" {
		return "", "", errors.New("tlsconf: a self-signed certificate needs a directory to keep it in")
	}
	certFile, keyFile = filepath.Join(dir, "selfsigned-cert.pem"), filepath.Join(dir, "selfsigned-key.pem")
	if pair, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil && pair.Leaf != nil &&
		time.Until(pair.Leaf.NotAfter) > selfSignedLife/10 {
		return certFile, keyFile, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("tlsconf: %w", err)
	}
	certPEM, keyPEM, err := NewCertificate(CertificateRequest{Names: SelfSignedNames, Life: selfSignedLife})
	if err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return "", "", fmt.Errorf("tlsconf: %w", err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return "", "", fmt.Errorf("tlsconf: %w", err)
	}
	return certFile, keyFile, nil
}

// CertificateRequest describes a certificate for NewCertificate.
type CertificateRequest struct {
	// CommonName is the subject's name; the first of Names if empty.
	CommonName string
	// Names are the DNS names and IP addresses it is good for.
	Names []string
	// Life is how long it is valid from now (minus a minute, for clocks
	// a little behind); NotBefore and NotAfter, if set, override it.
	Life                time.Duration
	NotBefore, NotAfter time.Time
	// IsCA makes a CA certificate that can sign others.
	IsCA bool
	// Client makes a client certificate (for mutual TLS) rather than a
	// server one.
	Client bool
	// Parent and ParentKey sign it; nil signs it with its own key.
	Parent    *x509.Certificate
	ParentKey any
}

// NewCertificate makes an ECDSA P-256 key and a certificate for it, and
// returns both PEM-encoded. netkit uses it for self-signed certificates;
// tests use it for CAs and the certificates they sign.
func NewCertificate(r CertificateRequest) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	cn := r.CommonName
	if cn == "" && len(r.Names) > 0 {
		cn = r.Names[0]
	}
	notBefore, notAfter := r.NotBefore, r.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Minute)
	}
	if notAfter.IsZero() {
		notAfter = time.Now().Add(r.Life)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"netkit"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	switch {
	case r.IsCA:
		tmpl.IsCA = true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	case r.Client:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, n := range r.Names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, parentKey := tmpl, any(key)
	if r.Parent != nil {
		parent, parentKey = r.Parent, r.ParentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
