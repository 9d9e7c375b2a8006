package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tlsconf"
)

// serveInProcess runs netkit serve with args in this process and returns
// its listeners' addresses by service, once all want are listening.
func serveInProcess(t *testing.T, want int, args ...string) map[string]string {
	t.Helper()
	addrs, _ := serveInProcessLogs(t, want, args...)
	return addrs
}

// serveInProcessLogs is serveInProcess that also returns the log (JSON
// lines).
func serveInProcessLogs(t *testing.T, want int, args ...string) (map[string]string, *testnet.Buffer) {
	t.Helper()
	logs := &testnet.Buffer{}
	streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: logs}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, append([]string{"serve", "--log-format", "json"}, args...), streams)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case c := <-code:
			if c != 0 {
				t.Errorf("netkit serve exited %d; logs:\n%s", c, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("netkit serve did not stop")
		}
	})
	var addrs map[string]string
	if !testnet.Eventually(20*time.Second, func() bool { addrs = listenAddrs(logs.String()); return len(addrs) == want }) {
		t.Fatalf("%d listening lines, want %d; logs:\n%s", len(addrs), want, logs.String())
	}
	return addrs, logs
}

// serveEchoProcess runs netkit serve as a process with only the echo
// service, on a free port, plus args; it returns the process, its log
// (JSON lines) and the echo address once it listens, and interrupts the
// process when the test ends.
func serveEchoProcess(t *testing.T, bin string, args ...string) (*exec.Cmd, *testnet.Buffer, string) {
	t.Helper()
	logs := &testnet.Buffer{}
	cmd := exec.Command(bin, append([]string{"serve", "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "off", "--web-addr", "off", "--log-format", "json"}, args...)...)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	var addr string
	if !testnet.Eventually(20*time.Second, func() bool { addr = listenAddrs(logs.String())["echo"]; return addr != "" }) {
		t.Fatalf("no echo listener; logs:\n%s", logs.String())
	}
	return cmd, logs, addr
}

// TestServeTLS: with --tls-cert and --tls-key every listener speaks TLS,
// and netkit's clients reach them with tls:// addresses and --cacert.
func TestServeTLS(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	addrs := serveInProcess(t, 5, "--echo-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key)

	code, out, stderr := run(t, "", "echo", "tls://"+addrs["echo"], "--cacert", ca.CAFile, "over TLS")
	if code != 0 || out != "ECHO: over TLS\n" {
		t.Errorf("netkit echo tls:// = %d, %q (stderr %q)", code, out, stderr)
	}
	code, out, stderr = run(t, "", "echo", addrs["echo"], "--tls", "--cacert", ca.CAFile, "with --tls")
	if code != 0 || out != "ECHO: with --tls\n" {
		t.Errorf("netkit echo --tls = %d, %q (stderr %q)", code, out, stderr)
	}
	code, out, stderr = run(t, "", "rpc", "call", "tls://"+addrs["rpc"], "add", "[40,2]", "--cacert", ca.CAFile)
	if code != 0 || out != "42\n" {
		t.Errorf("netkit rpc call tls:// = %d, %q (stderr %q)", code, out, stderr)
	}
	code, out, stderr = run(t, "hello\n", "chat", "tls://"+addrs["chat"], "--cacert", ca.CAFile, "--nick", "tina")
	if code != 0 || !strings.Contains(out, "tina: hello") {
		t.Errorf("netkit chat tls:// = %d, %q (stderr %q)", code, out, stderr)
	}

	// The HTTP listeners: HTTPS, and Go's 400 for plain HTTP.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	resp, err := client.Get("https://" + addrs["admin"] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("https admin /healthz = %d", resp.StatusCode)
	}
	if code, _ := httpGetQuiet("http://" + addrs["admin"] + "/healthz"); code != http.StatusBadRequest {
		t.Errorf("plain HTTP to the admin TLS port = %d, want 400", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "wss://"+addrs["web"]+"/ws/chat", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatalf("wss chat: %v", err)
	}
	ws.CloseNow()

	// Plaintext to a TCP service's TLS port is closed at once.
	c := testnet.Dial(t, addrs["echo"])
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "plain line\n")
	if b, _ := io.ReadAll(c); strings.Contains(string(b), "ECHO") {
		t.Errorf("plaintext to the TLS port was answered: %q", b)
	}
}

// TestServeTLSHTTPHostile: the HTTP listeners treat failed handshakes as
// the TCP services do: plaintext and garbage probes are closed, counted
// on /metrics by service and logged in the structured log at most once a
// second per reason; a stalled handshake is closed by
// --handshake-timeout; plain HTTP still gets net/http's 400.
func TestServeTLSHTTPHostile(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	addrs, logs := serveInProcessLogs(t, 2, "--echo-addr", "off", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
		"--handshake-timeout", "200ms")
	began := time.Now()
	const probes = 30 // per listener
	for _, svc := range []string{"admin", "web"} {
		for i := range probes {
			payload := "hi\n"
			if i%2 == 1 {
				payload = "\x16\x03\x01\x00\x20" + strings.Repeat("\xff", 32)
			}
			c := testnet.Dial(t, addrs[svc])
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, payload)
			io.ReadAll(c)
			c.Close()
		}
		// A stalled handshake: closed by --handshake-timeout (200 ms),
		// long before this deadline.
		c := testnet.Dial(t, addrs[svc])
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("%s: stalled handshake: read returned %v, want closed", svc, err)
		}
		if code, _ := httpGetQuiet("http://" + addrs[svc] + "/healthz"); code != http.StatusBadRequest {
			t.Errorf("plain HTTP to the %s TLS port = %d, want 400", svc, code)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	defer client.CloseIdleConnections()
	var metrics string
	if !testnet.Eventually(10*time.Second, func() bool {
		resp, err := client.Get("https://" + addrs["admin"] + "/metrics")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics = string(b)
		for _, svc := range []string{"admin", "web"} {
			// The probes, and the plain HTTP request, are plaintext.
			for _, want := range []string{
				`netkit_tls_handshake_failures_total{reason="plaintext",service="` + svc + `"} ` + strconv.Itoa(probes/2+1),
				`netkit_tls_handshake_failures_total{reason="handshake",service="` + svc + `"} ` + strconv.Itoa(probes/2),
				`netkit_tls_handshake_failures_total{reason="timeout",service="` + svc + `"} 1`,
			} {
				if !strings.Contains(metrics, want+"\n") {
					return false
				}
			}
		}
		return true
	}) {
		t.Errorf("/metrics lacks the HTTP listeners' TLS failures:\n%s", grepLines(metrics, "netkit_tls_"))
	}
	// Per listener, three reasons, each at most once a second; every
	// line a JSON record of the serve logger, none from net/http's.
	elapsed := time.Since(began)
	most := 2 * 3 * (int(elapsed/time.Second) + 1)
	var n int
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "TLS handshake") {
			var rec struct{ Msg, Service, Reason string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Service == "" || rec.Reason == "" {
				t.Errorf("log line is no structured record: %q", line)
			}
			n++
		}
	}
	if n == 0 || n > most {
		t.Errorf("%d handshake failure lines for %d probes in %v, want 1 to %d:\n%s", n, 2*probes+4, elapsed, most, grepLines(logs.String(), "TLS handshake"))
	}
}

// TestClientTLSErrors: each certificate failure exits with the tls
// status and says what failed.
func TestClientTLSErrors(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	expiredCert, expiredKey := ca.Issue("expired", tlsconf.CertificateRequest{
		Names: []string{"127.0.0.1"}, NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	good := serveTLSEcho(t, cert, key)
	expired := serveTLSEcho(t, expiredCert, expiredKey)
	other := testnet.NewCA(t)
	for _, tt := range []struct {
		name, addr string
		args       []string
		says       string
	}{
		{"unknown CA", good, []string{"--cacert", other.CAFile}, "unknown authority"},
		{"system roots", good, nil, "unknown authority"},
		{"wrong host", good, []string{"--cacert", ca.CAFile, "--server-name", "other.example"}, "wrong host"},
		{"expired", expired, []string{"--cacert", ca.CAFile}, "expired"},
	} {
		code, _, stderr := run(t, "", append([]string{"echo", "tls://" + tt.addr, "hi"}, tt.args...)...)
		if code != exitTLS || !strings.Contains(stderr, tt.says) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.name, code, stderr, exitTLS, tt.says)
		}
		// bench connect dials a connection per request: every one
		// fails the same way, and it exits with the tls status too.
		code, _, stderr = run(t, "", append([]string{"bench", "connect", "tls://" + tt.addr, "-n", "3", "-c", "1"}, tt.args...)...)
		if code != exitTLS || !strings.Contains(stderr, "class tls") {
			t.Errorf("bench connect, %s: exit %d, stderr %q; want %d and the class", tt.name, code, stderr, exitTLS)
		}
	}
	// --insecure skips the check.
	if code, out, stderr := run(t, "", "echo", "tls://"+good, "--insecure", "hi"); code != 0 || out != "ECHO: hi\n" {
		t.Errorf("--insecure: %d, %q, %q", code, out, stderr)
	}
}

// serveTLSEcho runs netkit serve's echo alone over TLS with the pair.
func serveTLSEcho(t *testing.T, cert, key string) string {
	t.Helper()
	// An expired pair is refused by netkit serve itself (tlsconf checks),
	// so the expired server is a plain TLS listener with the pair.
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	if pair.Leaf.NotAfter.Before(time.Now()) {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() { c.(*tls.Conn).Handshake(); c.Close() }()
			}
		}()
		return ln.Addr().String()
	}
	return serveInProcess(t, 1, "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "off", "--web-addr", "off", "--tls-cert", cert, "--tls-key", key)["echo"]
}

// TestServeSelfSigned: --tls-self-signed makes a certificate under the
// data directory, logs where and its fingerprint, and reuses it.
func TestServeSelfSigned(t *testing.T) {
	dir := t.TempDir()
	addrs := serveInProcess(t, 1, "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "off", "--web-addr", "off", "--tls-self-signed", "--data-dir", dir)
	certFile := dir + "/tls/selfsigned-cert.pem"
	code, out, stderr := run(t, "", "echo", "tls://"+addrs["echo"], "--cacert", certFile, "hi")
	if code != 0 || out != "ECHO: hi\n" {
		t.Errorf("echo with the self-signed certificate as CA: %d, %q, %q", code, out, stderr)
	}
}

func TestServeTLSFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--tls-cert", "c.pem"},
		{"--tls-key", "k.pem"},
		{"--tls-self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"},
		{"--tls-client-ca", "ca.pem"},
		{"--tls-self-signed", "--handshake-timeout", "0"},
	} {
		cmd := newServeCmd(&IOStreams{}, func(context.Context, *serveOptions) error { return nil })
		cmd.SetArgs(args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		if err := cmd.Execute(); err == nil {
			t.Errorf("netkit serve %v: accepted", args)
		}
	}
}

// TestBenchTLS: bench connect over TLS resumes sessions after the first
// handshake, unless --no-resume.
func TestBenchTLS(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	addrs := serveInProcess(t, 1, "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "off", "--web-addr", "off", "--tls-cert", cert, "--tls-key", key)
	for _, tt := range []struct {
		args    []string
		resumed bool
	}{
		{nil, true},
		{[]string{"--no-resume"}, false},
	} {
		args := append([]string{"bench", "connect", "tls://" + addrs["echo"], "--cacert", ca.CAFile, "-c", "2", "-n", "50", "--json"}, tt.args...)
		code, out, stderr := run(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, %q", tt.args, code, stderr)
		}
		var res struct {
			Requests   int64 `json:"requests"`
			Errors     int64 `json:"errors"`
			TLSResumed int64 `json:"tls_resumed"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		if res.Requests < 50 || res.Errors != 0 || (res.TLSResumed > 0) != tt.resumed {
			t.Errorf("%v: %+v; want 50 requests, no errors, resumed %v", tt.args, res, tt.resumed)
		}
	}
}

// TestServeTLSPython: the chapter's Python clients, wrapped in TLS by
// Python's ssl module, talk to every TCP service of netkit serve over TLS,
// with and without a client certificate (mutual TLS).
func TestServeTLSPython(t *testing.T) {
	py := testnet.Python(t)
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	for _, mutual := range []bool{false, true} {
		args := []string{"--echo-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0",
			"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key}
		var env []string
		if mutual {
			args = append(args, "--tls-client-ca", ca.CAFile)
			ccert, ckey := ca.Client("pyclient")
			env = []string{"NETKIT_CERT=" + ccert, "NETKIT_KEY=" + ckey}
		}
		addrs := serveInProcess(t, 5, args...)
		runPy := func(script string, args ...string) string {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, py, append([]string{"../../bench/python/tls_wrap.py", ca.CAFile, "../../bench/python/" + script}, args...)...)
			cmd.Env = append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("mutual %v: %s %v: %v\n%s", mutual, script, args, err, out)
			}
			return string(out)
		}
		host, port, _ := net.SplitHostPort(addrs["echo"])
		if out := runPy("echo_client.py", host, port); !strings.Contains(out, `["ECHO: Hello async!", "ECHO: Python networking", "ECHO: Goodbye"]`) {
			t.Errorf("mutual %v: echo_client.py over TLS:\n%s", mutual, out)
		}
		_, port, _ = net.SplitHostPort(addrs["rpc"])
		if out := runPy("json_rpc_client.py", port, host); !strings.Contains(out, `Response: {"id": 1, "result": 42}`) {
			t.Errorf("mutual %v: json_rpc_client.py over TLS:\n%s", mutual, out)
		}
		_, port, _ = net.SplitHostPort(addrs["chat"])
		// One client: under TLS, a client that closes while others still
		// talk can read their lines after its close_notify, which
		// Python's ssl module reports as an error.
		if out := runPy("chat_client.py", host, port, "Alice"); !strings.Contains(out, "Welcome!") || !strings.Contains(out, ": How is everyone?") {
			t.Errorf("mutual %v: chat_client.py over TLS:\n%s", mutual, out)
		}
		// The HTTP listeners, through urllib with an ssl context that
		// verifies the server against the test's CA.
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, py, "-c", httpsProbe, ca.CAFile,
			"https://"+addrs["admin"]+"/healthz", "https://"+addrs["web"]+"/")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil || strings.Count(string(out), " 200\n") != 2 {
			t.Errorf("mutual %v: the admin and web listeners from Python's urllib over TLS: %v\n%s", mutual, err, out)
		}
	}
}

// httpsProbe fetches each URL of its arguments after the CA file with
// Python's urllib over TLS, with the client certificate of NETKIT_CERT and
// NETKIT_KEY when they are set, and prints each URL with its status.
const httpsProbe = `
import os, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[1])
if os.environ.get("NETKIT_CERT"):
    ctx.load_cert_chain(os.environ["NETKIT_CERT"], os.environ["NETKIT_KEY"])
for url in sys.argv[2:]:
    with urllib.request.urlopen(url, context=ctx, timeout=30) as r:
        print(url, r.status)
`

// TestServeTLSReloadSIGHUP: a netkit serve process re-reads its
// certificate on SIGHUP; connections made before keep working.
func TestServeTLSReloadSIGHUP(t *testing.T) {
	bin := netkitBinary(t)
	ca := testnet.NewCA(t)
	a, ak := ca.Server("a")
	b, bk := ca.Server("b")
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	copyPEM := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	copyPEM(a, cert)
	copyPEM(ak, key)
	cmd, logs, addr := serveEchoProcess(t, bin, "--tls-cert", cert, "--tls-key", key)
	serial := func() string {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	before := serial()
	old, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	copyPEM(b, cert)
	copyPEM(bk, key)
	cmd.Process.Signal(syscall.SIGHUP)
	if !testnet.Eventually(10*time.Second, func() bool { return serial() != before }) {
		t.Fatalf("the certificate did not change after SIGHUP; logs:\n%s", logs.String())
	}
	old.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(old, "still here\n")
	if got, err := bufio.NewReader(old).ReadString('\n'); err != nil || got != "ECHO: still here\n" {
		t.Errorf("a connection made before the reload: %q, %v", got, err)
	}
	// The line is written just after the new certificate is in use.
	if !testnet.Eventually(10*time.Second, func() bool { return strings.Contains(logs.String(), "TLS certificate reloaded") }) {
		t.Errorf("no reload line in the logs:\n%s", logs.String())
	}
}

// TestServeMutualTLS: with --tls-client-ca, netkit's own clients with
// --cert and --key are served; without a certificate, or with another
// CA's, they are refused with the tls exit status (7) and a message that
// says the server refused them. TLS 1.3 (the default) ends the client's
// handshake before the server checks its certificate, so the refusal
// comes as the server's alert on the first read.
func TestServeMutualTLS(t *testing.T) {
	ca, other := testnet.NewCA(t), testnet.NewCA(t)
	cert, key := ca.Server("server")
	addrs := serveInProcess(t, 3, "--echo-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0",
		"--admin-addr", "off", "--web-addr", "off", "--tls-cert", cert, "--tls-key", key, "--tls-client-ca", ca.CAFile)
	goodCert, goodKey := ca.Client("alice")
	otherCert, otherKey := other.Client("mallory")
	clients := []struct {
		name string
		args []string
		want string // in the output of a client with a good certificate
	}{
		{"echo", []string{"echo", "tls://" + addrs["echo"], "hi"}, "ECHO: hi\n"},
		{"chat", []string{"chat", "tls://" + addrs["chat"]}, "alice: hello"},
		{"rpc call", []string{"rpc", "call", "tls://" + addrs["rpc"], "add", "[40,2]"}, "42\n"},
		{"bench connect", []string{"bench", "connect", "tls://" + addrs["echo"], "-n", "3", "-c", "1"}, "requests"},
	}
	for _, c := range clients {
		args := append(c.args, "--cacert", ca.CAFile)
		if code, out, stderr := run(t, "hello\n", append(args, "--cert", goodCert, "--key", goodKey)...); code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%s with a good client certificate: %d, %q, %q; want 0 and %q", c.name, code, out, stderr, c.want)
		}
		for refusal, extra := range map[string][]string{
			"none":         nil,
			"another CA's": {"--cert", otherCert, "--key", otherKey},
		} {
			code, _, stderr := run(t, "hello\n", append(args, extra...)...)
			if code != exitTLS {
				t.Errorf("%s with client certificate %s: exit %d (%q), want %d", c.name, refusal, code, stderr, exitTLS)
			}
			if c.name != "bench connect" && !strings.Contains(stderr, "client certificate") {
				t.Errorf("%s with client certificate %s: %q does not say the client certificate was refused", c.name, refusal, stderr)
			}
		}
	}
}
