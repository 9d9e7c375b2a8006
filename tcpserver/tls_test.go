package tcpserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/netclass"
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

// TestTLSShortPlaintext: plaintext shorter than a TLS record header
// ("hi\n") is closed as soon as its first byte arrives, not after the
// handshake timeout, and counted and logged as plaintext.
func TestTLSShortPlaintext(t *testing.T) {
	logs := &testnet.Buffer{}
	// A handshake timeout far beyond the read deadline below: only the
	// first-byte check can close the connection in time.
	srv := &tcpserver.Server{HandshakeTimeout: time.Hour, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
	addr, _, _ := tlsServer(t, srv, tlsconf.ServerOptions{})
	c := testnet.Dial(t, addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	io.WriteString(c, "hi\n")
	if _, err := io.ReadAll(c); isTimeout(err) {
		t.Fatal("plaintext shorter than a record header was not closed")
	}
	if !testnet.Eventually(10*time.Second, func() bool { return srv.TLSStats().Plaintext == 1 }) {
		t.Errorf("TLSStats = %+v, want one plaintext", srv.TLSStats())
	}
	if n := strings.Count(logs.String(), `"reason":"plaintext"`); n != 1 {
		t.Errorf("%d log lines for the plaintext client, want 1", n)
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
	// The issue asks that a good client be served "in under 1 s" beside
	// them. Unit tests hold no timing thresholds, so the bound is
	// structural: the good client's dial, handshake and echo run under
	// one operation deadline of 1 s, and all of it happens while every
	// stalled connection is still open (their handshake timeout, 3 s, is
	// far off, and Active still counts them afterwards). A server that
	// served handshakes one at a time, or queued the good client behind
	// the stalled ones, would miss the deadline by seconds rather than
	// by noise.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{RootCAs: ca.Pool()}}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatalf("good client among 1,000 stalled handshakes: %v", err)
	}
	defer nc.Close()
	dl, _ := ctx.Deadline()
	nc.SetDeadline(dl)
	io.WriteString(nc, "served\n")
	if got, err := bufio.NewReader(nc).ReadString('\n'); err != nil || got != "served\n" {
		t.Fatalf("good client among 1,000 stalled handshakes, within 1 s: %q, %v", got, err)
	}
	if st := srv.TLSStats(); st.Timeouts != 0 || srv.Stats().Active != 1001 {
		t.Fatalf("the stalled connections were not all open while the good client was served: %+v, %+v", st, srv.Stats())
	}
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
	// Under TLS 1.3 a refused client has finished its handshake and may
	// be sending already. The server's alert must still reach it, as
	// class tls, rather than be discarded by a reset for the data it
	// left unread.
	for i := range 20 {
		c, err := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
		if err == nil {
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err = c.Write(make([]byte, 64<<10)); err == nil {
				_, err = c.Read(make([]byte, 1))
			}
		}
		if class := netclass.Of(err); class != netclass.TLS {
			t.Fatalf("refused client %d sending at once: %v, class %s; want the alert, class tls", i, err, class)
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

	const clients, rounds, reloadCount = 20, 50, 20
	var failures, conns atomic.Int64 // conns: connections done
	var wg sync.WaitGroup
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
				conns.Add(1)
			}
		}()
	}
	// The reloads are spread through the load: the k-th waits until k
	// twenty-firsts of the connections are done, so that handshakes and
	// open connections straddle every one of them. atReload records how
	// far the load had gone at each.
	const total = clients * rounds
	reloads := 0
	var atReload []int64
	stop := make(chan struct{})
	go func() {
		defer close(stop)
		pairs := [][2]string{{b, bk}, {a, ak}}
		for i := range reloadCount {
			mark := int64((i + 1) * total / (reloadCount + 1))
			if !testnet.Eventually(60*time.Second, func() bool { return conns.Load() >= mark }) {
				return // the load stalled; the failures say why
			}
			p := pairs[i%2]
			copyFile(t, p[0], cert)
			copyFile(t, p[1], key)
			if conf.Reload() == nil {
				reloads++
			}
			atReload = append(atReload, conns.Load())
		}
	}()
	wg.Wait()
	<-stop
	if failures.Load() != 0 {
		t.Errorf("%d failed connections or lines across %d reloads", failures.Load(), reloads)
	}
	if reloads != reloadCount {
		t.Errorf("%d of %d reloads succeeded", reloads, reloadCount)
	}
	if len(atReload) == 0 || atReload[0] == 0 {
		t.Errorf("connections done at each reload: %v of %d; want the reloads spread through the load", atReload, total)
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
