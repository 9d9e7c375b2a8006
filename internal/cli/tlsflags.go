package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/tlsconf"
)

// clientTLSFlags are the TLS flags of the TCP clients (echo, chat, rpc
// call, bench): --tls or a tls:// address turns TLS on.
type clientTLSFlags struct {
	TLS        bool
	CACert     string
	Insecure   bool
	Cert, Key  string
	ServerName string
}

func (f *clientTLSFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.TLS, "tls", false, "connect with TLS (as a tls://HOST:PORT address does)")
	fs.StringVar(&f.CACert, "cacert", "", "trust the CAs of this PEM bundle instead of the system's")
	fs.BoolVar(&f.Insecure, "insecure", false, "do not verify the server's certificate")
	fs.StringVar(&f.Cert, "cert", "", "client certificate (PEM), for servers that require one; with --key")
	fs.StringVar(&f.Key, "key", "", "the client certificate's private key (PEM)")
	fs.StringVar(&f.ServerName, "server-name", "", "name to verify the server's certificate against, when it is not the address's host")
}

// resolve reads addr ("tls://HOST:PORT", "tcp://HOST:PORT" or
// "HOST:PORT") and returns the address to dial and the TLS configuration,
// nil for plain TCP.
func (f *clientTLSFlags) resolve(addr string) (string, *tls.Config, error) {
	hostport, useTLS := tlsconf.SplitAddr(addr)
	if !useTLS && !f.TLS {
		if f.CACert != "" || f.Insecure || f.Cert != "" || f.Key != "" || f.ServerName != "" {
			return "", nil, fmt.Errorf("TLS options given without TLS: use --tls or a tls:// address")
		}
		return hostport, nil, nil
	}
	cfg, err := tlsconf.ClientOptions{
		CAFile: f.CACert, Insecure: f.Insecure, CertFile: f.Cert, KeyFile: f.Key, ServerName: f.ServerName,
	}.Config()
	if err != nil {
		return "", nil, err
	}
	return hostport, cfg, nil
}

// dial connects to addr (as resolve reads it) within timeout, none when
// it is not positive, with TLS when the address or the flags ask for it.
func (f *clientTLSFlags) dial(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	hostport, cfg, err := f.resolve(addr)
	if err != nil {
		return nil, err
	}
	dctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	return dialConn(dctx, hostport, cfg)
}

// dialConn connects to addr, with TLS when cfg is set, the handshake
// included, so that a certificate problem is the dial's error: of class
// tls, with its own exit status and a message that says what failed.
func dialConn(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	if cfg == nil {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if netclass.Of(err) == netclass.TLS {
			return nil, &exitError{Code: exitTLS, Err: fmt.Errorf("TLS with %s failed: %s: %w", addr, tlsconf.Explain(err), err)}
		}
		return nil, err
	}
	return &alertConn{Conn: c.(*tls.Conn), addr: addr}, nil
}

// alertConn reports a TLS alert that the server sends after the
// handshake as dialConn reports a failed handshake: class tls, exit
// status 7, and what it means. Over TLS 1.3 the client's handshake ends
// before the server has checked the client's certificate, so a server
// that refuses it (none, or another CA's) says so on the first read.
// The alert is kept: a client whose reader closes the connection on
// the alert (the JSON-RPC client) then gets it on its next write rather
// than "use of closed network connection".
type alertConn struct {
	*tls.Conn
	addr  string
	alert atomic.Pointer[exitError] // the server's alert, once seen
}

func (c *alertConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.explain(err)
}

func (c *alertConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.explain(err)
}

func (c *alertConn) explain(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := netclass.PeerAlert(err); ok {
		ee := &exitError{Code: exitTLS, Err: fmt.Errorf("TLS with %s failed: %s: %w", c.addr, tlsconf.Explain(err), err)}
		c.alert.CompareAndSwap(nil, ee)
		return ee
	}
	if ee := c.alert.Load(); ee != nil {
		return ee
	}
	return err
}

// httpTLSFlags are HTTPie's TLS flags, for netkit http and fetch.
type httpTLSFlags struct {
	Verify  string // yes, no, or a CA bundle's path
	Cert    string // client certificate (with its key, or --cert-key)
	CertKey string
	SSL     string // tls1.2 or tls1.3: the only version to speak
}

func (f *httpTLSFlags) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&f.Verify, "verify", "yes", "verify the server's certificate: yes, no, or the path of a CA bundle to trust")
	fs.StringVar(&f.Cert, "cert", "", "client certificate (PEM) for servers that require one")
	fs.StringVar(&f.CertKey, "cert-key", "", "the client certificate's private key, if not in --cert's file")
	fs.StringVar(&f.SSL, "ssl", "", "the TLS version to use: tls1.2 or tls1.3")
}

// apply gives c a transport with the flags' TLS settings; with the
// defaults it leaves c as it is.
func (f *httpTLSFlags) apply(c *httpclient.Client) error {
	if (f.Verify == "" || strings.EqualFold(f.Verify, "yes") || strings.EqualFold(f.Verify, "true")) && f.Cert == "" && f.SSL == "" {
		return nil
	}
	o := tlsconf.ClientOptions{CertFile: f.Cert, KeyFile: f.CertKey}
	switch strings.ToLower(f.Verify) {
	case "", "yes", "true":
	case "no", "false":
		o.Insecure = true
	default:
		o.CAFile = f.Verify
	}
	if f.Cert != "" && f.CertKey == "" {
		o.KeyFile = f.Cert // HTTPie's --cert may hold the key too
	}
	if f.SSL != "" {
		v, err := tlsconf.ParseVersion(f.SSL)
		if err != nil {
			return fmt.Errorf("--ssl: %w", err)
		}
		o.MinVersion, o.MaxVersion = v, v
	}
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	transportOf(c).TLSClientConfig = cfg
	return nil
}

// transportOf returns c's transport to adjust, giving c a clone of
// http.DefaultTransport (proxies from the environment, HTTP/2 over TLS)
// first if it has none.
func transportOf(c *httpclient.Client) *http.Transport {
	if tr, ok := c.Transport.(*http.Transport); ok {
		return tr
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c.Transport = tr
	return tr
}
