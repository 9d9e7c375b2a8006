package jsonrpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
)

var pythonDir = filepath.Join("..", "bench", "python")

// startPythonServer runs the Python server and returns its address.
func startPythonServer(t *testing.T) string {
	return testnet.StartPython(t, filepath.Join(pythonDir, "json_rpc_server.py"), "0")
}

// pythonClientResponses runs the Python client against addr and returns
// the responses it printed, parsed.
func pythonClientResponses(t *testing.T, addr string) []any {
	t.Helper()
	_, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, testnet.Python(t), filepath.Join(pythonDir, "json_rpc_client.py"), port).CombinedOutput()
	if err != nil {
		t.Fatalf("python client against %s: %v\n%s", addr, err, out)
	}
	var resps []any
	for line := range strings.Lines(string(out)) {
		if _, js, ok := strings.Cut(line, "Response: "); ok {
			var v any
			if err := json.Unmarshal([]byte(js), &v); err != nil {
				t.Fatalf("python client printed %q: %v", line, err)
			}
			resps = append(resps, v)
		}
	}
	return resps
}

func TestInteropPythonClient(t *testing.T) {
	testnet.Python(t)
	want := pythonClientResponses(t, startPythonServer(t))
	if len(want) != 4 {
		t.Fatalf("python client got %d responses from the python server, want 4", len(want))
	}

	// netkit's server on tcpserver, as netkit serve runs it.
	s := demoServer()
	ts := &tcpserver.Server{Handler: s.TCPHandler()}
	ln := testnet.Listen(t)
	go ts.Serve(ln)
	defer ts.Close()
	got := pythonClientResponses(t, ln.Addr().String())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("python client: netkit's responses differ from the Python server's (-python +netkit):\n%s", diff)
	}
}

func TestInteropGoClientPythonServer(t *testing.T) {
	addr := startPythonServer(t)
	ctx := context.Background()
	c, err := jsonrpc.Dial(ctx, addr, &jsonrpc.ClientOptions{Dialect: jsonrpc.Bare})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var sum int
	if err := c.Call(ctx, "add", map[string]int{"a": 10, "b": 32}, &sum); err != nil || sum != 42 {
		t.Errorf("add = %d, %v; want 42", sum, err)
	}
	var greeting string
	if err := c.Call(ctx, "greet", map[string]string{"name": "Go"}, &greeting); err != nil || greeting != "Hello, Go!" {
		t.Errorf("greet = %q, %v; want Hello, Go!", greeting, err)
	}
	var echoed map[string]any
	params := map[string]any{"data": []any{1.0, 2.0, 3.0}, "nested": map[string]any{"key": "value"}}
	if err := c.Call(ctx, "echo", params, &echoed); err != nil || !cmp.Equal(echoed, params) {
		t.Errorf("echo = %v, %v; want %v", echoed, err, params)
	}
	err = c.Call(ctx, "unknown_method", map[string]any{}, nil)
	var e *jsonrpc.Error
	if !errors.As(err, &e) || e.Code != jsonrpc.CodeMethodNotFound || e.Message != "Unknown method: unknown_method" {
		t.Errorf("unknown_method = %v, want *Error{-32601, Unknown method: unknown_method}", err)
	}

	// Pipelined: the Python server answers in order, one at a time; the
	// client matches by id all the same.
	errs := make(chan error, 50)
	for i := range 50 {
		go func() {
			var got int
			err := c.Call(ctx, "add", map[string]int{"a": i, "b": 1}, &got)
			if err == nil && got != i+1 {
				err = errors.New("wrong sum")
			}
			errs <- err
		}()
	}
	for range 50 {
		if err := <-errs; err != nil {
			t.Errorf("pipelined add: %v", err)
		}
	}
}
