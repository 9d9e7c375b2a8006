package tcpserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// tlsLineEcho answers each line with itself, and the connection's TLS peer
// name for the line "whoami".
var tlsLineEcho = tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
	for c.Next() {
		line, err := c.Reader().ReadLine()
		if err != nil {
			return err
		}
		if string(line) == "whoami\n" {
			name := "-"
			if st := c.TLS(); st != nil && tlsconf.PeerName(*st) != "" {
				name = tlsconf.PeerName(*st)
			}
			line = []byte(name + "\n")
		}
		if _, err := c.Write(line); err != nil {
			return err
		}
	}
	return c.Err()
})

// tlsServer serves tlsLineEcho over TLS with a certificate of a new CA.
func tlsServer(t *testing.T, srv *tcpserver.Server, opts tlsconf.ServerOptions) (addr string, ca *testnet.CA, conf *tlsconf.Server) {
	t.Helper()
	ca = testnet.NewCA(t)
	if opts.CertFile == "" {
		opts.CertFile, opts.KeyFile = ca.Server("server")
	}
	conf, err := tlsconf.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handler = tlsLineEcho
	srv.TLSConfig = conf.Config()
	return start(t, srv), ca, conf
}

func tlsDial(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c.(*tls.Conn), nil
}

// tlsRoundTrip sends line and returns the answer.
func tlsRoundTrip(c net.Conn, line string) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

func TestTLSEcho(t *testing.T) {
	srv := &tcpserver.Server{}
	addr, ca, _ := tlsServer(t, srv, tlsconf.ServerOptions{})
	c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlsRoundTrip(c, "hello over TLS"); err != nil || got != "hello over TLS" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	if st := srv.TLSStats(); st.Handshakes != 1 {
		t.Errorf("TLSStats = %+v, want one handshake", st)
	}
}

// TestTLSHostile: plaintext and a garbage ClientHello are closed at once
// and counted; the server goes on serving.
func TestTLSHostile(t *testing.T) {
	srv := &tcpserver.Server{}
	addr, ca, _ := tlsServer(t, srv, tlsconf.ServerOptions{})
	for name, payload := range map[string]string{
		"plaintext": "hello, this is no TLS\n",
		// A handshake record whose ClientHello is garbage.
		"garbage ClientHello": "\x16\x03\x01\x00\x20" + strings.Repeat("\xff", 32),
	} {
		c := testnet.Dial(t, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, payload)
		// The server closes (a TLS alert at most): reading ends.
		if _, err := io.ReadAll(c); err != nil && !isReset(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !testnet.Eventually(10*time.Second, func() bool {
		st := srv.TLSStats()
		return st.Plaintext == 1 && st.Refused == 1
	}) {
		t.Errorf("TLSStats = %+v, want one plaintext and one refused", srv.TLSStats())
	}
	c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlsRoundTrip(c, "still serving"); err != nil || got != "still serving" {
		t.Fatalf("after the hostile clients: %q, %v", got, err)
	}
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

// TestTLSStalledHandshakes: 1,000 connections that never send a
// ClientHello are closed after HandshakeTimeout; meanwhile a good client
// is served, and none of them costs more than its goroutine.
func TestTLSStalledHandshakes(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	srv := &tcpserver.Server{HandshakeTimeout: 3 * time.Second}
	addr, ca, _ := tlsServer(t, srv, tlsconf.ServerOptions{})
	stalled := make([]net.Conn, 0, 1000)
	for range 1000 {
		stalled = append(stalled, testnet.Dial(t, addr))
	}
	if !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Active == 1000 }) {
		t.Fatalf("stalled connections: %+v", srv.Stats())
	}
	start := time.Now()
	c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlsRoundTrip(c, "served"); err != nil || got != "served" {
		t.Fatalf("good client among stalled ones: %q, %v", got, err)
	}
	t.Logf("a good client was served in %v beside 1,000 stalled handshakes", time.Since(start).Round(time.Millisecond))
	// Each stalled one is closed by the handshake timeout.
	var wg sync.WaitGroup
	var closed atomic.Int64
	for _, s := range stalled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := s.Read(make([]byte, 1)); err != nil && !isTimeout(err) {
				closed.Add(1)
			}
		}()
	}
	wg.Wait()
	if closed.Load() != 1000 {
		t.Errorf("%d of 1,000 stalled connections closed by the handshake timeout", closed.Load())
	}
	// The handshake closes a connection before it returns and is counted.
	if !testnet.Eventually(10*time.Second, func() bool { return srv.TLSStats().Timeouts == 1000 }) {
		t.Errorf("TLSStats = %+v, want 1,000 timeouts", srv.TLSStats())
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestTLSMutual: with a client CA, a client's verified common name is
// its name on the connection; no certificate, or another CA's, is
// refused.
func TestTLSMutual(t *testing.T) {
	clientCA := testnet.NewCA(t)
	srv := &tcpserver.Server{}
	addr, ca, _ := tlsServer(t, srv, tlsconf.ServerOptions{ClientCAFile: clientCA.CAFile})
	cert, key := clientCA.Client("alice")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tlsRoundTrip(c, "whoami"); err != nil || got != "alice" {
		t.Fatalf("whoami = %q, %v; want alice", got, err)
	}
	other := testnet.NewCA(t)
	oc, ok := other.Client("mallory")
	opair, _ := tls.LoadX509KeyPair(oc, ok)
	for name, certs := range map[string][]tls.Certificate{"none": nil, "another CA's": {opair}} {
		c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool(), Certificates: certs})
		if err == nil {
			// TLS 1.3 reports the refusal on the first read.
			_, err = tlsRoundTrip(c, "whoami")
		}
		if err == nil {
			t.Errorf("client certificate %s: served, want refused", name)
		}
	}
}

// TestTLSReloadUnderLoad: replacing the certificate while clients connect
// and talk drops none of them.
func TestTLSReloadUnderLoad(t *testing.T) {
	ca := testnet.NewCA(t)
	dir := t.TempDir()
	cert, key := dir+"/cert.pem", dir+"/key.pem"
	a, ak := ca.Server("a")
	b, bk := ca.Server("b")
	copyFile(t, a, cert)
	copyFile(t, ak, key)
	conf, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	srv := &tcpserver.Server{Handler: tlsLineEcho, TLSConfig: conf.Config()}
	addr := start(t, srv)

	const clients, rounds = 20, 50
	var failures atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each client reconnects every 10 lines, so handshakes go on
			// throughout the reloads.
			for r := 0; r < rounds; r++ {
				c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
				if err != nil {
					failures.Add(1)
					continue
				}
				br := bufio.NewReader(c)
				for j := range 10 {
					c.SetDeadline(time.Now().Add(10 * time.Second))
					line := "client " + itoa(i) + " line " + itoa(j) + "\n"
					io.WriteString(c, line)
					if got, err := br.ReadString('\n'); err != nil || got != line {
						failures.Add(1)
						break
					}
				}
				c.Close()
			}
		}()
	}
	reloads := 0
	go func() {
		defer close(stop)
		pairs := [][2]string{{b, bk}, {a, ak}}
		for i := 0; i < 20; i++ {
			p := pairs[i%2]
			copyFile(t, p[0], cert)
			copyFile(t, p[1], key)
			if conf.Reload() == nil {
				reloads++
			}
		}
	}()
	wg.Wait()
	<-stop
	if failures.Load() != 0 {
		t.Errorf("%d failed connections or lines across %d reloads", failures.Load(), reloads)
	}
	if reloads == 0 {
		t.Error("no reload succeeded")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Error(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
