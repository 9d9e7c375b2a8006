package echo_test

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

var pythonDir = filepath.Join("..", "bench", "python")

// runPythonClient runs the chapter's echo client against addr and returns
// its output with the port replaced by PORT.
func runPythonClient(t *testing.T, py, addr string, messages []string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{filepath.Join(pythonDir, "echo_client.py"), host, port}, messages...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("echo_client.py against %s: %v\n%s", addr, err, out)
	}
	return strings.ReplaceAll(string(out), ":"+port, ":PORT")
}

// TestInteropPythonClient: the chapter's Python echo client gets the same
// replies from netkit's echo server as from the chapter's Python server.
func TestInteropPythonClient(t *testing.T) {
	py := testnet.Python(t)
	messages := []string{
		"Hello async!", "Python networking", "Goodbye",
		"  padded  ", "tabs\tinside\t", "ünïcödé ✓", "\u00a0nbsp\u3000", "\x1cseparators\x1f", "", "ECHO: nested",
		strings.Repeat("long ", 2000),
	}
	pyAddr := testnet.StartPython(t, filepath.Join(pythonDir, "echo_server.py"), "0", "--quiet")
	want := runPythonClient(t, py, pyAddr, messages)

	srv := &tcpserver.Server{Handler: echo.Handler{}}
	addr := serve(t, srv)
	got := runPythonClient(t, py, addr, messages)
	if got != want {
		t.Errorf("chapter client output against netkit:\n%s\nagainst the chapter's server:\n%s", got, want)
	}
	if !strings.Contains(got, `"ECHO: Hello async!", "ECHO: Python networking", "ECHO: Goodbye"`) {
		t.Errorf("unexpected client output:\n%.500s", got)
	}
}

// TestInteropGoClient: netkit's client gets the same replies from the
// chapter's Python server as from netkit's.
func TestInteropGoClient(t *testing.T) {
	pyAddr := testnet.StartPython(t, filepath.Join(pythonDir, "echo_server.py"), "0", "--quiet")
	goAddr := serve(t, &tcpserver.Server{Handler: echo.Handler{}})
	ctx := context.Background()
	pc, err := echo.Dial(ctx, pyAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	gc, err := echo.Dial(ctx, goAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer gc.Close()
	for _, msg := range []string{"Hello async!", " x ", "\u2003em space\u2003", "\u0085next line"} {
		want, err1 := pc.Echo(ctx, msg)
		got, err2 := gc.Echo(ctx, msg)
		if got != want || err1 != nil || err2 != nil {
			t.Errorf("Echo(%q): netkit %q (%v), chapter server %q (%v)", msg, got, err2, want, err1)
		}
	}
}
