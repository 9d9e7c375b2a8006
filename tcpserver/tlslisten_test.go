package tcpserver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// httpsServer serves HTTP on a TLSListener with a certificate of a new
// CA and returns its address and listener.
func httpsServer(t *testing.T, opts tcpserver.TLSListenerOptions) (string, *testnet.CA, *tcpserver.TLSListener) {
	t.Helper()
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	conf, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	tl := tcpserver.NewTLSListener(testnet.Listen(t), conf.Config(), opts)
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Error(w, "no TLS", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(tl) }()
	t.Cleanup(func() {
		hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
		tl.Close()
	})
	return tl.Addr().String(), ca, tl
}

// TestTLSListenerHostile: on an HTTP listener, 60 probes of plaintext
// and garbage are each closed and counted, the log holds at most a line
// a second per reason, plain HTTP still gets net/http's 400, and good
// clients are served throughout.
func TestTLSListenerHostile(t *testing.T) {
	logs := &testnet.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	addr, ca, tl := httpsServer(t, tcpserver.TLSListenerOptions{Logger: logger, AnswerHTTP: true})

	began := time.Now()
	const probes = 60
	for i := range probes {
		payload := "hi\n" // shorter than a TLS record header
		if i%2 == 1 {
			payload = "\x16\x03\x01\x00\x20" + strings.Repeat("\xff", 32) // a garbage ClientHello
		}
		c := testnet.Dial(t, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, payload)
		// Closed without waiting for the handshake timeout (10 s here,
		// the deadline's length): reading ends before the deadline.
		if _, err := io.ReadAll(c); isTimeout(err) {
			t.Fatalf("probe %d: still open after 10 s", i)
		}
		c.Close()
	}
	if !testnet.Eventually(10*time.Second, func() bool {
		st := tl.TLSStats()
		return st.Plaintext == probes/2 && st.Refused == probes/2
	}) {
		t.Errorf("TLSStats = %+v, want %d plaintext and %d refused", tl.TLSStats(), probes/2, probes/2)
	}
	// Two reasons, each logged at most once a second.
	elapsed := time.Since(began)
	if n, most := strings.Count(logs.String(), `"msg":"TLS handshake failed; connection closed"`), 2*(int(elapsed/time.Second)+1); n == 0 || n > most {
		t.Errorf("%d log lines for %d probes in %v, want 1 to %d", n, probes, elapsed, most)
	}

	c := testnet.Dial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("plain HTTP to the TLS port: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTP request to an HTTPS server") {
		t.Errorf("plain HTTP to the TLS port = %d %q, want net/http's 400", resp.StatusCode, body)
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer client.CloseIdleConnections()
	resp, err = client.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok" {
		t.Errorf("good client: %d %q", resp.StatusCode, body)
	}
	if st := tl.TLSStats(); st.Handshakes != 1 {
		t.Errorf("TLSStats = %+v, want one handshake", st)
	}
}

// TestTLSListenerHandshakeTimeout: a connection that never sends its
// ClientHello is closed by the handshake timeout, not by the HTTP
// server's header timeout, and counted.
func TestTLSListenerHandshakeTimeout(t *testing.T) {
	addr, _, tl := httpsServer(t, tcpserver.TLSListenerOptions{HandshakeTimeout: 100 * time.Millisecond})
	c := testnet.Dial(t, addr)
	// The server closes it: the read ends with EOF or a reset, long
	// before this deadline (http.Server here has no timeout at all).
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("stalled handshake: read returned %v, want closed", err)
	}
	if !testnet.Eventually(10*time.Second, func() bool { return tl.TLSStats().Timeouts == 1 }) {
		t.Errorf("TLSStats = %+v, want one timeout", tl.TLSStats())
	}
}

// TestTLSListenerClose: Close ends the handshakes in progress and its
// goroutines (goleak checks at the end), and Accept then fails.
func TestTLSListenerClose(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	conf, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	tl := tcpserver.NewTLSListener(testnet.Listen(t), conf.Config(), tcpserver.TLSListenerOptions{})
	stalled := testnet.Dial(t, tl.Addr().String())
	// A good client whose connection is ready but never accepted.
	ready := make(chan error, 1)
	go func() {
		d := tls.Dialer{Config: &tls.Config{RootCAs: ca.Pool()}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", tl.Addr().String())
		if err == nil {
			c.Close()
		}
		ready <- err
	}()
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
	stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := stalled.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("stalled handshake after Close: read returned %v, want closed", err)
	}
}

// TestTLSListenerMaxHandshakes: at MaxHandshakes handshakes in progress
// the listener accepts no more, so a good client behind two stalled
// connections is served only once one of them has timed out.
func TestTLSListenerMaxHandshakes(t *testing.T) {
	addr, ca, tl := httpsServer(t, tcpserver.TLSListenerOptions{HandshakeTimeout: 300 * time.Millisecond, MaxHandshakes: 2})
	testnet.Dial(t, addr)
	testnet.Dial(t, addr)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if st := tl.TLSStats(); st.Timeouts < 1 || st.Handshakes != 1 {
		t.Errorf("TLSStats = %+v when the good client was served; want a stalled handshake timed out before it", st)
	}
}
