package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
)

// listenAddrs parses the JSON "listening" log lines into service -> addr.
func listenAddrs(logs string) map[string]string {
	addrs := map[string]string{}
	for _, line := range strings.Split(logs, "\n") {
		var rec struct{ Msg, Service, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
			addrs[rec.Service] = rec.Addr
		}
	}
	return addrs
}

func TestServeFlags(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(o *serveOptions) bool
		wantErr bool
	}{
		{nil, func(o *serveOptions) bool {
			return *o.Addrs["echo"] == "127.0.0.1:7001" && o.AdminAddr == "127.0.0.1:9090" && o.MaxConns == 10000 &&
				o.IdleTimeout == 2*time.Minute && o.Grace == 10*time.Second && o.LogFormat == "text" && o.ParkIdle == time.Second &&
				o.WebAddr == "127.0.0.1:8080" && len(o.WebOrigins) == 0
		}, false},
		{[]string{"--web-addr", "off", "--web-allowed-origins", "chat.example.com,*.example.org", "--web-allowed-origins", "localhost:3000"},
			func(o *serveOptions) bool {
				return o.WebAddr == "off" && strings.Join(o.WebOrigins, " ") == "chat.example.com *.example.org localhost:3000"
			}, false},
		{[]string{"--echo-addr", "off", "--admin-addr", "127.0.0.1:0", "--max-conns", "5", "--idle-timeout", "2s", "--grace", "0.5", "--log-format", "json", "--park-idle", "0"},
			func(o *serveOptions) bool {
				return *o.Addrs["echo"] == "off" && o.AdminAddr == "127.0.0.1:0" && o.MaxConns == 5 && o.ParkIdle == 0 &&
					o.IdleTimeout == 2*time.Second && o.Grace == 500*time.Millisecond && o.LogFormat == "json"
			}, false},
		{[]string{"--log-format", "xml"}, nil, true},
		{[]string{"--log-level", "loud"}, nil, true},
		{[]string{"extra"}, nil, true},
	}
	for _, tt := range tests {
		streams, _, _ := Test("")
		var got *serveOptions
		cmd := newServeCmd(streams, func(_ context.Context, o *serveOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if (err != nil) != tt.wantErr {
			t.Errorf("serve %q: error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil && !tt.check(got) {
			t.Errorf("serve %q: options %+v", tt.args, got)
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeInProcess runs netkit serve on free ports, talks to the echo
// service and the admin endpoints, then cancels the context as the first
// SIGTERM does and expects a clean exit.
func TestServeInProcess(t *testing.T) {
	logs := &testnet.Buffer{}
	streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: logs}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"serve", "--echo-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0",
			"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--log-format", "json"}, streams)
	}()
	var addrs map[string]string
	if !testnet.Eventually(10*time.Second, func() bool { addrs = listenAddrs(logs.String()); return len(addrs) == 5 }) {
		cancel()
		t.Fatalf("no listening lines; logs:\n%s", logs.String())
	}
	c := testnet.Dial(t, addrs["echo"])
	fmt.Fprint(c, "Hello async!\n")
	if got, err := bufio.NewReader(c).ReadString('\n'); got != "ECHO: Hello async!\n" || err != nil {
		t.Errorf("echo reply = %q, %v", got, err)
	}
	chatConn := testnet.Dial(t, addrs["chat"])
	chatConn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := bufio.NewReader(chatConn).ReadString('\n'); !strings.HasPrefix(got, "Welcome! You are ") || err != nil {
		t.Errorf("chat welcome = %q, %v", got, err)
	}
	// A browser's WebSocket on the web listener joins the same chat.
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	wsc, _, err := websocket.Dial(wctx, "ws://"+addrs["web"]+"/ws/chat", nil)
	if err != nil {
		t.Fatalf("web chat: %v", err)
	}
	if _, msg, err := wsc.Read(wctx); err != nil || !strings.HasSuffix(string(msg), "2 client(s) connected.") {
		t.Errorf("web chat welcome = %q, %v; want the TCP client counted", msg, err)
	}
	wsc.CloseNow()
	// And JSON-RPC over a WebSocket on /ws/rpc, the same methods.
	rpcws, _, err := websocket.Dial(wctx, "ws://"+addrs["web"]+"/ws/rpc", nil)
	if err != nil {
		t.Fatalf("web rpc: %v", err)
	}
	rpcws.Write(wctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":1,"method":"add","params":[40,2]}`))
	if _, msg, err := rpcws.Read(wctx); err != nil || string(msg) != `{"jsonrpc":"2.0","result":42,"id":1}` {
		t.Errorf("add over /ws/rpc = %s, %v", msg, err)
	}
	rpcws.CloseNow()
	wcancel()
	rpc, err := jsonrpc.Dial(ctx, addrs["rpc"], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rpc.Close()
	var sum int
	if err := rpc.Call(ctx, "add", map[string]int{"a": 10, "b": 32}, &sum); err != nil || sum != 42 {
		t.Errorf("rpc add(10, 32) = %d, %v; want 42", sum, err)
	}
	admin := "http://" + addrs["admin"]
	defer http.DefaultClient.CloseIdleConnections()
	resp, err := http.Post(admin+"/rpc", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":7,"method":"greet","params":{"name":"Go"}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"jsonrpc":"2.0","result":"Hello, Go!","id":7}`; strings.TrimSpace(string(body)) != want {
		t.Errorf("POST /rpc greet = %s, want %s", body, want)
	}
	if code, body := httpGet(t, admin+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}
	_, metrics := httpGet(t, admin+"/metrics")
	for _, want := range []string{`netkit_tcp_requests_total{service="echo"} 1`, `service="chat"`, `service="rpc"`, `netkit_tcp_connections_accepted_total{service="web-chat"} 1`, "netkit_chat_",
		`netkit_build_info{goversion="` + runtime.Version() + `",platform="` + runtime.GOOS + "/" + runtime.GOARCH + `",revision="`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%.2000s", want, metrics)
		}
	}
	rpc.Close()
	http.DefaultClient.CloseIdleConnections()

	cancel()
	// The idle echo client reads a clean end of stream.
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle client during shutdown: %v, want EOF", err)
	}
	select {
	case got := <-code:
		if got != 0 {
			t.Errorf("exit status %d, want 0; logs:\n%s", got, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped","service":"echo","accepted":1,"requests":1`, `"msg":"shutdown complete"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
}

func TestServeAllOff(t *testing.T) {
	args := []string{"serve", "--admin-addr", "off", "--web-addr", "off"}
	for _, svc := range serveServices {
		args = append(args, "--"+svc.Name+"-addr", "off")
	}
	code, _, stderr := run(t, "", args...)
	if code != ExitError || !strings.Contains(stderr, "every service is off") {
		t.Errorf("serve with everything off = %d, %q; want 1 and a reason", code, stderr)
	}
}

func TestServeAddrInUse(t *testing.T) {
	ln := testnet.Listen(t)
	code, _, stderr := run(t, "", "serve", "--echo-addr", ln.Addr().String(), "--chat-addr", "off", "--rpc-addr", "off", "--admin-addr", "off", "--web-addr", "off")
	if code != ExitError || !strings.Contains(stderr, "echo:") {
		t.Errorf("serve on a busy port = %d, %q; want 1 and the service named", code, stderr)
	}
}

// TestServeSIGTERM builds netkit, runs `netkit serve` as a real process
// with clients sending continuously, sends SIGTERM, and expects exit status
// 0, every request the server read answered, and clean closes.
func TestServeSIGTERM(t *testing.T) {
	bin := netkitBinary(t)
	logs := &testnet.Buffer{}
	cmd := exec.Command(bin, "serve", "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "off", "--log-format", "json", "--grace", "5s")
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var addrs map[string]string
	if !testnet.Eventually(10*time.Second, func() bool { addrs = listenAddrs(logs.String()); return len(addrs) == 2 }) {
		t.Fatalf("no listening lines; logs:\n%s", logs.String())
	}

	const clients = 200
	var replies atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addrs["echo"])
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for j := 0; j < 1_000_000; j++ {
				msg := fmt.Sprintf("c%d-%d", i, j)
				if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
					errs <- err
					return
				}
				got, err := br.ReadString('\n')
				if err == io.EOF && got == "" {
					return
				}
				if err != nil || got != "ECHO: "+msg+"\n" {
					errs <- fmt.Errorf("reply %q, %v", got, err)
					return
				}
				replies.Add(1)
			}
		}()
	}
	if !testnet.Eventually(10*time.Second, func() bool { return replies.Load() > 10*clients }) {
		t.Fatal("load did not start")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	werr := make(chan error, 1)
	go func() { werr <- cmd.Wait() }()
	select {
	case err := <-werr:
		if err != nil {
			t.Errorf("netkit serve after SIGTERM: %v; logs:\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("netkit serve did not exit after SIGTERM")
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var stopped struct{ Requests int64 }
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"stopped","service":"echo"`) {
			json.Unmarshal([]byte(line), &stopped)
		}
	}
	// Each request cycle may hold several pipelined lines; these clients
	// send one line per round trip, so cycles and replies match.
	if stopped.Requests != replies.Load() {
		t.Errorf("server began %d requests, clients got %d replies", stopped.Requests, replies.Load())
	}
}
