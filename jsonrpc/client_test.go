package jsonrpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/retry"
	"github.com/netkit-dev/netkit/tcpserver"
)

func dialClient(t *testing.T, addr string, opts *jsonrpc.ClientOptions) *jsonrpc.Client {
	t.Helper()
	c, err := jsonrpc.Dial(context.Background(), addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientConcurrent(t *testing.T) {
	addr := serveFrames(t, demoServer())
	c := dialClient(t, addr, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			var got int
			if err := c.Call(ctx, "add", []int{i, i}, &got); err != nil || got != 2*i {
				t.Errorf("add [%d, %d] = %d, %v", i, i, got, err)
			}
		})
	}
	wg.Wait()
}

func TestClientBatchAndNotify(t *testing.T) {
	s := demoServer()
	var notified atomic.Int64
	s.Handle("tick", func(context.Context, json.RawMessage) (any, error) { notified.Add(1); return nil, nil })
	addr := serveFrames(t, s)
	c := dialClient(t, addr, nil)
	ctx := context.Background()

	var sum int
	var hello string
	batch := []jsonrpc.BatchElem{
		{Method: "add", Params: map[string]int{"a": 1, "b": 2}, Result: &sum},
		{Method: "tick", Notify: true},
		{Method: "greet", Params: []string{"batch"}, Result: &hello},
		{Method: "missing"},
	}
	if err := c.Batch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var e *jsonrpc.Error
	if sum != 3 || hello != "Hello, batch!" || batch[0].Error != nil || !errors.As(batch[3].Error, &e) || e.Code != jsonrpc.CodeMethodNotFound {
		t.Errorf("batch = %d, %q, errors %v, %v; want 3, Hello, batch!, nil, method not found", sum, hello, batch[0].Error, batch[3].Error)
	}
	if err := c.Notify(ctx, "tick", nil); err != nil {
		t.Fatal(err)
	}
	if !testnet.Eventually(5*time.Second, func() bool { return notified.Load() == 2 }) {
		t.Errorf("%d notifications ran, want 2", notified.Load())
	}

	// A batch above the server's limit is refused as a whole.
	s2 := demoServer()
	s2.MaxBatch = 2
	c = dialClient(t, serveFrames(t, s2), nil)
	big := []jsonrpc.BatchElem{{Method: "greet"}, {Method: "greet"}, {Method: "greet"}}
	if err := c.Batch(ctx, big); err != nil {
		t.Fatal(err)
	}
	for i, el := range big {
		if !errors.As(el.Error, &e) || e.Code != jsonrpc.CodeTooLarge {
			t.Errorf("element %d of an oversized batch: %v, want code %d", i, el.Error, jsonrpc.CodeTooLarge)
		}
	}
}

func TestClientTimeout(t *testing.T) {
	s := &jsonrpc.Server{CallTimeout: 500 * time.Millisecond} // so the test's end does not wait long
	s.Handle("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	addr := serveFrames(t, s)
	c := dialClient(t, addr, &jsonrpc.ClientOptions{CallTimeout: 50 * time.Millisecond})
	err := c.Call(context.Background(), "block", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Call(block) = %v, want DeadlineExceeded", err)
	}
	// The connection stays usable; the late response is dropped.
	if err := c.Call(context.Background(), "nothing", nil, nil); err == nil {
		t.Error("Call(nothing) succeeded, want method not found")
	}
}

func TestClientServerTimeout(t *testing.T) {
	s := &jsonrpc.Server{CallTimeout: 30 * time.Millisecond}
	s.Handle("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c := dialClient(t, serveFrames(t, s), nil)
	var e *jsonrpc.Error
	if err := c.Call(context.Background(), "block", nil, nil); !errors.As(err, &e) || e.Code != jsonrpc.CodeTimeout {
		t.Errorf("Call(block) = %v, want code %d", err, jsonrpc.CodeTimeout)
	}
}

func TestClientClose(t *testing.T) {
	s := &jsonrpc.Server{}
	started, cancelled := make(chan struct{}), make(chan struct{})
	s.Handle("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})
	c, err := jsonrpc.Dial(context.Background(), serveFrames(t, s), nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- c.Call(context.Background(), "block", nil, nil) }()
	<-started
	c.Close()
	if err := <-errc; !errors.Is(err, jsonrpc.ErrClosed) {
		t.Errorf("call in flight at Close = %v, want ErrClosed", err)
	}
	if err := c.Call(context.Background(), "block", nil, nil); !errors.Is(err, jsonrpc.ErrClosed) {
		t.Errorf("call after Close = %v, want ErrClosed", err)
	}
	// The server cancels the calls of a client that went away.
	<-cancelled
}

func TestClientReconnect(t *testing.T) {
	s := demoServer()
	s.MaxInFlight = 1
	ln := testnet.Listen(t)
	var accepted atomic.Int64
	testnet.Handle(t, ln, func(conn net.Conn) {
		accepted.Add(1)
		// One request per connection, then hang up.
		s.ServeConn(context.Background(), &oneShot{Conn: conn})
	})

	ctx := context.Background()
	policy := retry.Policy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}
	c := dialClient(t, ln.Addr().String(), &jsonrpc.ClientOptions{Reconnect: true, Retry: policy})
	for i := range 3 {
		var got string
		if !testnet.Eventually(5*time.Second, func() bool {
			err := c.Call(ctx, "greet", nil, &got)
			return err == nil || !errors.Is(err, jsonrpc.ErrConnLost)
		}) || got != "Hello, World!" {
			t.Fatalf("call %d after reconnect = %q", i, got)
		}
	}
	if accepted.Load() < 3 {
		t.Errorf("%d connections, want one per call (3)", accepted.Load())
	}

	// Without Reconnect a lost connection stays lost.
	c2 := dialClient(t, ln.Addr().String(), nil)
	c2.Call(ctx, "greet", nil, nil)
	if !testnet.Eventually(5*time.Second, func() bool {
		return errors.Is(c2.Call(ctx, "greet", nil, nil), jsonrpc.ErrConnLost)
	}) {
		t.Error("client without Reconnect: calls after the loss do not fail with ErrConnLost")
	}
}

// oneShot is a connection that reads as ended once a response has been
// written. With MaxInFlight 1 the server reads only after writing, so each
// connection serves exactly one call.
type oneShot struct {
	net.Conn
	wrote atomic.Bool
}

func (o *oneShot) Write(p []byte) (int, error) {
	n, err := o.Conn.Write(p)
	o.wrote.Store(true)
	return n, err
}

func (o *oneShot) Read(p []byte) (int, error) {
	if o.wrote.Load() {
		return 0, io.EOF
	}
	return o.Conn.Read(p)
}

func TestHTTPClient(t *testing.T) {
	ts := httptest.NewServer(demoServer())
	defer ts.Close()
	c := &jsonrpc.HTTPClient{URL: ts.URL + "/rpc"}
	ctx := context.Background()
	var sum int
	if err := c.Call(ctx, "add", map[string]int{"a": 10, "b": 32}, &sum); err != nil || sum != 42 {
		t.Errorf("add = %d, %v", sum, err)
	}
	var e *jsonrpc.Error
	if err := c.Call(ctx, "nope", nil, nil); !errors.As(err, &e) || e.Code != jsonrpc.CodeMethodNotFound {
		t.Errorf("nope = %v, want method not found", err)
	}
	bad := &jsonrpc.HTTPClient{URL: ts.URL + "/rpc", MaxResponseSize: 10}
	if err := bad.Call(ctx, "greet", nil, nil); err == nil {
		t.Error("response above MaxResponseSize accepted")
	}
}

// TestClientPipelinedOverTCPServer runs concurrent callers on one client
// against the server on tcpserver, connection after connection: every call
// must be answered, whatever the interleaving of the read loop's waits in
// Conn.Next and the workers' writes.
func TestClientPipelinedOverTCPServer(t *testing.T) {
	s := demoServer()
	ts := &tcpserver.Server{Handler: s.TCPHandler()}
	ln := testnet.Listen(t)
	go ts.Serve(ln)
	defer ts.Close()
	for round := range 10 {
		c := dialClient(t, ln.Addr().String(), &jsonrpc.ClientOptions{CallTimeout: 10 * time.Second})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					var sum int
					if err := c.Call(context.Background(), "add", []int{g, i}, &sum); err != nil || sum != g+i {
						t.Errorf("round %d: add [%d, %d] = %d, %v", round, g, i, sum, err)
						return
					}
				}
			})
		}
		wg.Wait()
		c.Close()
	}
}
