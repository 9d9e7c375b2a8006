package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/web"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "netkit.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeConfigPrecedence: one key set by a flag, an environment
// variable and the file takes the flag's value, then the variable's,
// then the file's, as --print-config shows with the source.
func TestServeConfigPrecedence(t *testing.T) {
	file := writeConfig(t, "max-conns = 300\n\n[echo]\naddr = \"127.0.0.1:9001\"\n")
	t.Setenv("NETKIT_MAX_CONNS", "200")
	t.Setenv("NETKIT_ECHO_ADDR", "127.0.0.1:8001")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--max-conns", "100"}, []string{"max-conns = 100 # flag --max-conns", `addr = "127.0.0.1:8001" # env NETKIT_ECHO_ADDR`}},
		{nil, []string{"max-conns = 200 # env NETKIT_MAX_CONNS"}},
	}
	for _, tt := range tests {
		code, out, stderr := run(t, "", append([]string{"serve", "--config", file, "--print-config"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w+"\n") {
				t.Errorf("%q: --print-config lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
	os.Unsetenv("NETKIT_MAX_CONNS")
	os.Unsetenv("NETKIT_ECHO_ADDR")
	_, out, _ := run(t, "", "serve", "--config", file, "--print-config")
	for _, w := range []string{"max-conns = 300 # file " + file + ":1", `addr = "127.0.0.1:9001" # file ` + file + ":4", `grace = "10s" # default`} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("--print-config lacks %q:\n%s", w, out)
		}
	}
	// The printed configuration is one serve reads back.
	back := writeConfig(t, out)
	if code, _, stderr := run(t, "", "serve", "--config", back, "--print-config"); code != 0 {
		t.Errorf("reading --print-config's output back: exit %d: %s", code, stderr)
	}
}

// TestServeConfigErrors: an unknown key and a value of the wrong type
// stop serve with the file, the line and the key.
func TestServeConfigErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"max-conns = 10\n\n[echo]\nadress = \"x\"\n", ":4: echo.adress: unknown key"},
		{"[chat]\naddr = 7002\n", ":2: chat.addr: want a string, got integer 7002"},
		{"grace = 10\n", ":1: grace: want a duration string, got integer 10"},
	} {
		file := writeConfig(t, tt.text)
		code, _, stderr := run(t, "", "serve", "--config", file)
		if code == 0 || !strings.Contains(stderr, file+tt.want) {
			t.Errorf("%q: exit %d, %q; want %q", tt.text, code, stderr, file+tt.want)
		}
	}
}

// TestServeReloadMaxConns: SIGHUP re-reads the file and raises
// --max-conns on the running server while 100 connections stay open.
func TestServeReloadMaxConns(t *testing.T) {
	bin := netkitBinary(t)
	file := writeConfig(t, "max-conns = 100\n")
	cmd, logs, addr := serveEchoProcess(t, bin, "--config", file)
	echo := func(c net.Conn, br *bufio.Reader, msg string) error {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, msg+"\n"); err != nil {
			return err
		}
		got, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if got != "ECHO: "+msg+"\n" {
			return fmt.Errorf("got %q", got)
		}
		return nil
	}
	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	var open []client
	for i := range 100 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		cl := client{c, bufio.NewReader(c)}
		if err := echo(cl.c, cl.br, fmt.Sprint("hello ", i)); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		open = append(open, cl)
	}
	// The 101st is closed at once.
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo(extra, bufio.NewReader(extra), "over"); err == nil {
		t.Fatal("a 101st connection was served over max-conns 100")
	}
	extra.Close()

	if err := os.WriteFile(file, []byte("max-conns = 200\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	if !testnet.Eventually(10*time.Second, func() bool { return strings.Contains(logs.String(), `"msg":"configuration reloaded"`) }) {
		t.Fatalf("no reload in the logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"key":"max-conns","from":"100","to":"200"`) {
		t.Errorf("the reload does not say max-conns changed:\n%s", logs.String())
	}
	more, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer more.Close()
	if err := echo(more, bufio.NewReader(more), "after the reload"); err != nil {
		t.Errorf("a 101st connection after raising max-conns: %v", err)
	}
	for i, cl := range open {
		if err := echo(cl.c, cl.br, "still here"); err != nil {
			t.Fatalf("connection %d, open across the reload: %v", i, err)
		}
	}

	// A broken file leaves the running configuration as it is.
	os.WriteFile(file, []byte("max-conns = \"lots\"\n"), 0o600)
	cmd.Process.Signal(syscall.SIGHUP)
	if !testnet.Eventually(10*time.Second, func() bool { return strings.Contains(logs.String(), "configuration not reloaded") }) {
		t.Errorf("a broken file was not refused:\n%s", logs.String())
	}
}

// TestServeReloadWebMaxConns: a reload of --max-conns reaches the web
// listener's WebSocket cap too, while its connections stay open.
func TestServeReloadWebMaxConns(t *testing.T) {
	file := writeConfig(t, "max-conns = 1\n")
	streams, _, _ := Test("")
	var opts *serveOptions
	cmd := newServeCmd(streams, func(_ context.Context, o *serveOptions) error { opts = o; return nil })
	cmd.SetArgs([]string{"--config", file})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	ws := web.NewServer(web.Config{MaxConns: opts.MaxConns})
	hs := httptest.NewUnstartedServer(ws.Handler())
	hs.Config.BaseContext = ws.BaseContext
	hs.Start()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ws.Shutdown(ctx)
		hs.Close()
	}()
	dial := func() (*websocket.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws/rpc", nil)
		return c, err
	}
	first, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseNow()
	if c, err := dial(); err == nil {
		c.CloseNow()
		t.Fatal("a second WebSocket was upgraded over max-conns 1")
	}

	logs := &testnet.Buffer{}
	r := &configReloader{opts: opts, level: new(slog.LevelVar), web: ws, log: slog.New(slog.NewJSONHandler(logs, nil)), current: opts.config}
	if err := os.WriteFile(file, []byte("max-conns = 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.reload()
	if !strings.Contains(logs.String(), `"key":"max-conns","from":"1","to":"2"`) {
		t.Errorf("the reload does not say max-conns changed:\n%s", logs.String())
	}
	second, err := dial()
	if err != nil {
		t.Fatalf("a second WebSocket after raising max-conns to 2: %v", err)
	}
	second.CloseNow()
	// The first, open across the reload, still answers.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := first.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.unsubscribe","params":["1"],"id":1}`)); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := first.Read(ctx); err != nil || !strings.Contains(string(msg), `"result":false`) {
		t.Errorf("the connection open across the reload: %s, %v", msg, err)
	}
}
