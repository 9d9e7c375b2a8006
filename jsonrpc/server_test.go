package jsonrpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

// demoServer serves rpcdemo's methods in both dialects, as netkit serve
// does.
func demoServer() *jsonrpc.Server {
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	return s
}

// exchange writes req as a frame on conn and reads one response frame.
func exchange(t *testing.T, conn net.Conn, req string) string {
	t.Helper()
	if err := frame.NewWriter(conn, 0).WriteFrame([]byte(req)); err != nil {
		t.Fatalf("write %s: %v", req, err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := frame.NewReader(conn, 0).ReadFrame()
	if err != nil {
		t.Fatalf("response to %s: %v", req, err)
	}
	return string(resp)
}

func TestHandleMessage(t *testing.T) {
	s := demoServer()
	s.MaxBatch = 3
	s.MaxDepth = 8
	s.Handle("panic", func(context.Context, json.RawMessage) (any, error) { panic("boom") })
	s.Handle("fail", func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("disk full") })
	s.Handle("nojson", func(context.Context, json.RawMessage) (any, error) { return func() {}, nil })
	tests := []struct {
		name, req, want string
	}{
		// The bare dialect: no jsonrpc member. (rpcdemo's tests pin the
		// methods' own results.)
		{"bare add", `{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`, `{"id":1,"result":42}`},
		{"bare add too many digits", `{"id": 1, "method": "add", "params": {"a": 1` + strings.Repeat("0", 4300) + `, "b": 1}}`, `{"id":1,"result":{"error":"Invalid params"}}`},
		{"bare no id", `{"method": "greet", "params": {"name": "x"}}`, `{"id":0,"result":"Hello, x!"}`},
		{"bare no method", `{"id": 7}`, `{"id":7,"result":{"error":"Unknown method: unknown"}}`},
		{"bare string id", `{"id": "a", "method": "nope"}`, `{"id":"a","result":{"error":"Unknown method: nope"}}`},
		{"bare null method", `{"id": 8, "method": null}`, `{"id":8,"result":{"error":"Unknown method: unknown"}}`},
		{"bare number method", `{"id": 9, "method": 5}`, `{"id":9,"result":{"error":"Unknown method: 5"}}`},
		{"bare escaped method", `{"id": 10, "method": "ad\u0064", "params": [1, 2]}`, `{"id":10,"result":3}`},
		{"v2 escaped method", `{"jsonrpc": "2.0", "id": 11, "method": "gr\u0065et"}`, `{"jsonrpc":"2.0","result":"Hello, World!","id":11}`},
		{"bare handler error", `{"id": 1, "method": "fail"}`, `{"id":1,"result":{"error":"disk full"}}`},
		// JSON-RPC 2.0 beyond the specification's examples.
		{"v2 add positional", `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}`, `{"jsonrpc":"2.0","result":3,"id":1}`},
		{"v2 too many positional", `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2,3]}`, `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"3 positional params, the method takes at most 2"},"id":1}`},
		{"v2 null id", `{"jsonrpc":"2.0","id":null,"method":"greet"}`, `{"jsonrpc":"2.0","result":"Hello, World!","id":null}`},
		{"v2 object id", `{"jsonrpc":"2.0","id":{},"method":"greet"}`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"v2 wrong version", `{"jsonrpc":"1.0","id":1,"method":"greet"}`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}`},
		{"v2 scalar params", `{"jsonrpc":"2.0","id":1,"method":"greet","params":3}`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}`},
		{"v2 panic", `{"jsonrpc":"2.0","id":1,"method":"panic"}`, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":1}`},
		{"v2 handler error", `{"jsonrpc":"2.0","id":1,"method":"fail"}`, `{"jsonrpc":"2.0","error":{"code":-32000,"message":"disk full"},"id":1}`},
		{"v2 unencodable result", `{"jsonrpc":"2.0","id":1,"method":"nojson"}`, `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"result not encodable as JSON: json: unsupported type: func()"},"id":1}`},
		{"scalar", `42`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"empty", ``, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{"batch too large", `[1,2,3,4]`, `{"jsonrpc":"2.0","error":{"code":-32002,"message":"Batch too large","data":"4 requests, at most 3"},"id":null}`},
		{"too deep", strings.Repeat("[", 9) + strings.Repeat("]", 9), `{"jsonrpc":"2.0","error":{"code":-32002,"message":"Request too large","data":"nesting deeper than 8"},"id":null}`},
		{"deep in a string is fine", `{"id":1,"method":"greet","params":{"name":"[[[[[[[[[[[[{{{{{{"}}`, `{"id":1,"result":"Hello, [[[[[[[[[[[[{{{{{{!"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(s.HandleMessage(context.Background(), []byte(tt.req)))
			if got != tt.want {
				t.Errorf("HandleMessage(%s)\n got %s\nwant %s", tt.req, got, tt.want)
			}
		})
	}
}

func TestCallTimeout(t *testing.T) {
	s := &jsonrpc.Server{CallTimeout: 20 * time.Millisecond}
	s.Handle("block", func(ctx context.Context, _ json.RawMessage) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	got := string(s.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"block"}`)))
	want := `{"jsonrpc":"2.0","error":{"code":-32001,"message":"Call timed out"},"id":1}`
	if got != want {
		t.Errorf("blocking call = %s, want %s", got, want)
	}
}

func TestBadInputKeepsServing(t *testing.T) {
	addr := serveFrames(t, demoServer())
	conn := testnet.Dial(t, addr)
	if got, want := exchange(t, conn, `{"id": 1, "method": "add", "params": {"a": 1`), `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`; got != want {
		t.Errorf("invalid JSON: %s, want %s", got, want)
	}
	if got, want := exchange(t, conn, `{"id": 2, "method": "greet"}`), `{"id":2,"result":"Hello, World!"}`; got != want {
		t.Errorf("after invalid JSON: %s, want %s", got, want)
	}
	// Zero-length frames are frames too: an empty payload is not JSON.
	if got, want := exchange(t, conn, ``), `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`; got != want {
		t.Errorf("empty frame: %s, want %s", got, want)
	}
	// Another client is unaffected by all this.
	other := testnet.Dial(t, addr)
	if got, want := exchange(t, other, `{"id": 3, "method": "add", "params": {"a": 1, "b": 1}}`), `{"id":3,"result":2}`; got != want {
		t.Errorf("other client: %s, want %s", got, want)
	}
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	s := demoServer()
	s.MaxFrameSize = 1024
	addr := serveFrames(t, s)
	conn := testnet.Dial(t, addr)
	// Declare 4 GiB - 1 and send nothing more.
	if _, err := conn.Write([]byte{0xff, 0xff, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := frame.NewReader(conn, 0)
	resp, err := r.ReadFrame()
	if err != nil {
		t.Fatalf("response to an oversized frame: %v", err)
	}
	var e struct{ Error jsonrpc.Error }
	if json.Unmarshal(resp, &e) != nil || e.Error.Code != jsonrpc.CodeTooLarge {
		t.Errorf("response to an oversized frame = %s, want code %d", resp, jsonrpc.CodeTooLarge)
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Errorf("after the error response: %v, want the connection closed (EOF)", err)
	}
	// The server still serves others.
	if got, want := exchange(t, testnet.Dial(t, addr), `{"id": 1, "method": "greet"}`), `{"id":1,"result":"Hello, World!"}`; got != want {
		t.Errorf("next client: %s, want %s", got, want)
	}
}

// barrierServer has a method "wait" whose calls block until n of them are
// running at once (or ctx ends), and reports the most seen together.
func barrierServer(n int) (*jsonrpc.Server, *atomic.Int64) {
	s := &jsonrpc.Server{MaxInFlight: n}
	var running, peak atomic.Int64
	all := make(chan struct{})
	var once sync.Once
	s.Handle("wait", func(ctx context.Context, params json.RawMessage) (any, error) {
		cur := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		if cur == int64(n) {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return params, nil
	})
	return s, &peak
}

func TestPipelining(t *testing.T) {
	const n = 64
	s, peak := barrierServer(n)
	addr := serveFrames(t, s)
	conn := testnet.Dial(t, addr)
	w := frame.NewWriter(conn, 0)
	// 64 requests on one connection, none answered until all 64 run at
	// once: the server must read ahead and run them concurrently.
	for i := range n {
		if err := w.WriteFrame(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"wait","params":[%d]}`, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	r := frame.NewReader(conn, 0)
	seen := map[int]bool{}
	for range n {
		resp, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("after %d responses: %v", len(seen), err)
		}
		var v struct {
			ID     int
			Result []int
		}
		if err := json.Unmarshal(resp, &v); err != nil || len(v.Result) != 1 || v.Result[0] != v.ID {
			t.Fatalf("response %s does not carry its request's id and params", resp)
		}
		seen[v.ID] = true
	}
	if len(seen) != n || peak.Load() != n {
		t.Errorf("%d distinct responses, %d calls at once; want %d and %d", len(seen), peak.Load(), n, n)
	}
}

func TestMaxInFlight(t *testing.T) {
	s := &jsonrpc.Server{MaxInFlight: 4}
	var running, peak atomic.Int64
	release := make(chan struct{})
	s.Handle("hold", func(ctx context.Context, _ json.RawMessage) (any, error) {
		cur := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
		}
		<-release
		return true, nil
	})
	addr := serveFrames(t, s)
	conn := testnet.Dial(t, addr)
	w := frame.NewWriter(conn, 0)
	for i := range 10 {
		w.WriteFrame(fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"hold"}`, i))
	}
	if !testnet.Eventually(5*time.Second, func() bool { return running.Load() == 4 }) {
		t.Fatalf("%d calls running, want 4", running.Load())
	}
	close(release)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := frame.NewReader(conn, 0)
	for i := range 10 {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
	}
	if peak.Load() != 4 {
		t.Errorf("peak of %d calls at once, want MaxInFlight = 4", peak.Load())
	}
}

// TestGracefulStop cancels ServeConn's context while a call runs: the call
// finishes and its response arrives; an idle connection ends at once.
func TestGracefulStop(t *testing.T) {
	s := &jsonrpc.Server{}
	started, release := make(chan struct{}), make(chan struct{})
	s.Handle("slow", func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-release
		return ctx.Err() == nil, nil // the call's context survives the stop
	})
	ln := testnet.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); serveListener(ctx, s, ln) }()

	busy := testnet.Dial(t, ln.Addr().String())
	idle := testnet.Dial(t, ln.Addr().String())
	// Make sure the idle one is being served before stopping.
	if got := exchange(t, idle, `{"jsonrpc":"2.0","id":0,"method":"nope"}`); !strings.Contains(got, "-32601") {
		t.Fatalf("idle connection: %s", got)
	}
	frame.NewWriter(busy, 0).WriteFrame([]byte(`{"jsonrpc":"2.0","id":1,"method":"slow"}`))
	<-started
	cancel()
	ln.Close()

	idle.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection after stop: %v, want EOF", err)
	}
	close(release)
	busy.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := frame.NewReader(busy, 0).ReadFrame()
	if err != nil || string(resp) != `{"jsonrpc":"2.0","result":true,"id":1}` {
		t.Errorf("busy connection after stop: %s, %v; want its response", resp, err)
	}
	<-done
}

// TestResponseWithinFrameSize: a response that would exceed MaxFrameSize
// is replaced by a CodeTooLarge error on every path, including the read
// loop's for Inline methods, and the connection goes on serving.
func TestResponseWithinFrameSize(t *testing.T) {
	s := demoServer()
	s.MaxFrameSize = 1024
	s.Handle("fail", func(context.Context, json.RawMessage) (any, error) {
		return nil, &jsonrpc.Error{Code: 1, Message: "failed", Data: json.RawMessage(`"` + strings.Repeat("<", 900) + `"`)}
	}, jsonrpc.Inline())
	tooLarge := `{"jsonrpc":"2.0","error":{"code":-32002,"message":"Response too large"},"id":null}`
	requests := []string{
		// A bare-dialect error quotes the method as sent; escaping "<" as
		// \u003c makes it six times as long.
		`{"id":1,"method":["` + strings.Repeat("<", 900) + `"]}`,
		`{"jsonrpc":"2.0","id":2,"method":"fail"}`,
	}
	transports := []struct {
		name string
		addr string
	}{
		{"ServeConn", serveFrames(t, s)},
		{"TCPHandler", testnet.Serve(t, &tcpserver.Server{Handler: s.TCPHandler()})},
	}
	for _, tr := range transports {
		conn := testnet.Dial(t, tr.addr)
		for _, req := range requests {
			if got := exchange(t, conn, req); got != tooLarge {
				t.Errorf("%s: %.40s...: %.100s, want %s", tr.name, req, got, tooLarge)
			}
		}
		if got, want := exchange(t, conn, `{"id":3,"method":"greet"}`), `{"id":3,"result":"Hello, World!"}`; got != want {
			t.Errorf("%s: after: %s, want %s", tr.name, got, want)
		}
	}
	for _, req := range requests {
		if got := string(s.HandleMessage(context.Background(), []byte(req))); got != tooLarge {
			t.Errorf("HandleMessage(%.40s...) = %.100s, want %s", req, got, tooLarge)
		}
	}
}

// slowDemoServer serves rpcdemo's methods and "slow", which closes
// started when called and answers "done" once release is closed.
func slowDemoServer() (s *jsonrpc.Server, started, release chan struct{}) {
	s = demoServer()
	started, release = make(chan struct{}), make(chan struct{})
	s.Handle("slow", func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		<-release
		return "done", nil
	})
	return s, started, release
}

func TestTCPHandler(t *testing.T) {
	s, started, release := slowDemoServer()
	ts := &tcpserver.Server{Handler: s.TCPHandler(), MaxRequest: 1024}
	ln := testnet.Listen(t)
	served := make(chan error, 1)
	go func() { served <- ts.Serve(ln) }()

	conn := testnet.Dial(t, ln.Addr().String())
	// A frame bigger than the tcpserver's MaxRequest is fine: the frame
	// limit is the JSON-RPC server's.
	big := strings.Repeat("x", 4000)
	if got, want := exchange(t, conn, `{"id":1,"method":"greet","params":{"name":"`+big+`"}}`), `{"id":1,"result":"Hello, `+big+`!"}`; got != want {
		t.Errorf("large frame: %.80s..., want %.80s...", got, want)
	}
	// Shutdown while a call runs: the call's response still arrives.
	frame.NewWriter(conn, 0).WriteFrame([]byte(`{"jsonrpc":"2.0","id":2,"method":"slow"}`))
	<-started
	shut := make(chan error, 1)
	go func() { shut <- ts.Shutdown(context.Background()) }()
	if !testnet.Eventually(5*time.Second, ts.ShuttingDown) {
		t.Fatal("server not shutting down")
	}
	close(release)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := frame.NewReader(conn, 0).ReadFrame()
	if err != nil || string(resp) != `{"jsonrpc":"2.0","result":"done","id":2}` {
		t.Errorf("response during shutdown: %s, %v", resp, err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := <-served; !errors.Is(err, tcpserver.ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
}

// TestInline: on TCPHandler, calls of Inline methods are answered on the
// read loop; the first call of another method hands the connection to the
// worker path, with the frames after it, and nothing is lost or answered
// twice on the way.
func TestInline(t *testing.T) {
	s, started, release := slowDemoServer()
	addr := testnet.Serve(t, &tcpserver.Server{Handler: s.TCPHandler()})
	conn := testnet.Dial(t, addr)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	// All four frames in one write: the loop reads them together.
	var batch []byte
	for _, req := range []string{
		`{"id":1,"method":"add","params":[1,2]}`,
		`{"id":2,"method":"slow"}`,
		`{"id":3,"method":"add","params":[3,4]}`,
		`{"id":4,"method":"greet"}`,
	} {
		batch = frame.Append(batch, []byte(req))
	}
	if _, err := conn.Write(batch); err != nil {
		t.Fatal(err)
	}
	r := frame.NewReader(conn, 0)
	// The inline call before the slow one is answered while it blocks.
	<-started
	if resp, err := r.ReadFrame(); err != nil || string(resp) != `{"id":1,"result":3}` {
		t.Fatalf("first response = %s, %v; want add's", resp, err)
	}
	got := map[string]bool{}
	for range 2 { // id 3 and 4 run on workers beside slow
		resp, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got[string(resp)] = true
	}
	close(release)
	resp, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	got[string(resp)] = true
	want := map[string]bool{`{"id":2,"result":"done"}`: true, `{"id":3,"result":7}`: true, `{"id":4,"result":"Hello, World!"}`: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("responses (-want +got):\n%s", diff)
	}
	// The connection goes on serving.
	if got, want := exchange(t, conn, `{"id":5,"method":"add","params":[5,6]}`), `{"id":5,"result":11}`; got != want {
		t.Errorf("after the handover: %s, want %s", got, want)
	}
}

// TestInlineNoCallTimeout: Inline calls get no CallTimeout, other calls do.
func TestInlineNoCallTimeout(t *testing.T) {
	s := &jsonrpc.Server{CallTimeout: time.Minute, AcceptBare: true}
	hasDeadline := func(ctx context.Context, _ json.RawMessage) (any, error) {
		_, ok := ctx.Deadline()
		return ok, nil
	}
	s.Handle("inline", hasDeadline, jsonrpc.Inline())
	s.Handle("worker", hasDeadline)
	for method, want := range map[string]string{"inline": "false", "worker": "true"} {
		got := string(s.HandleMessage(context.Background(), []byte(`{"id":1,"method":"`+method+`"}`)))
		if want := `{"id":1,"result":` + want + `}`; got != want {
			t.Errorf("%s: %s, want %s", method, got, want)
		}
	}
}

func TestHTTP(t *testing.T) {
	s := demoServer()
	s.MaxFrameSize = 256
	ts := httptest.NewServer(s)
	defer ts.Close()
	tests := []struct {
		name, method, body string
		status             int
		want               string
	}{
		{"bare dialect", "POST", `{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`, 200, `{"id":1,"result":42}`},
		{"get", "GET", ``, 405, "JSON-RPC takes POST requests\n"},
		{"too large", "POST", `{"id": 1, "method": "echo", "params": {"x": "` + strings.Repeat("x", 300) + `"}}`, 413,
			`{"jsonrpc":"2.0","error":{"code":-32002,"message":"Request too large","data":"body above 256 bytes"},"id":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+"/rpc", strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(body) != tt.want {
				t.Errorf("%s = %d %s, want %d %s", tt.method, resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

func FuzzHandleMessage(f *testing.F) {
	for _, ex := range specExamples {
		f.Add([]byte(ex.req))
	}
	f.Add([]byte(`{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`))
	f.Add([]byte(`{"id": 3, "method": "echo", "params": {"data": [1, 2, 3], "nested": {"key": "value"}}}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","id":1,"method":"greet","params":["x"]},{"jsonrpc":"2.0","method":"add"}]`))
	f.Add(bytes.Repeat([]byte("["), 100))
	s := demoServer()
	s.MaxDepth = 16
	s.MaxBatch = 8
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, msg []byte) {
		resp := s.HandleMessage(ctx, msg)
		if resp == nil {
			return // notifications only
		}
		if !json.Valid(resp) {
			t.Fatalf("HandleMessage(%q) = %q, not JSON", msg, resp)
		}
		// Whatever came in, what goes out is bounded by the input: echo
		// is the largest answer and a batch holds at most MaxBatch.
		if len(resp) > 8*len(msg)+4096 {
			t.Fatalf("HandleMessage(%d bytes) answered %d bytes", len(msg), len(resp))
		}
	})
}

// TestDeclared4GiBDoesNotAllocate serves a connection whose first frame
// declares 4 GiB: the server answers CodeTooLarge having allocated only
// its usual per-connection buffers.
// TestLongBatchRefusedCheaply: a batch longer than MaxBatch is refused
// without decoding its items.
func TestLongBatchRefusedCheaply(t *testing.T) {
	s := demoServer()
	msg := []byte("[" + strings.Repeat("0,", 1<<20) + "0]") // 2 MiB, a million items
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp := s.HandleMessage(context.Background(), msg)
	runtime.ReadMemStats(&after)
	if !bytes.Contains(resp, []byte(`"code":-32002`)) {
		t.Errorf("long batch: %s, want a -32002 error", resp)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a batch of a million items allocated %d bytes, want under 1 MiB", n)
	}
}

func TestDeclared4GiBDoesNotAllocate(t *testing.T) {
	s := demoServer()
	s.MaxFrameSize = frame.MaxSizeLimit // even with the cap at its highest
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(context.Background(), server) }()
	// A pipe's Write returns once the server has read the bytes.
	if _, err := client.Write([]byte{0xff, 0xff, 0xff, 0xff, '{'}); err != nil {
		t.Fatal(err)
	}
	client.Close()
	serveErr := <-done
	runtime.ReadMemStats(&after)
	if !errors.Is(serveErr, io.ErrUnexpectedEOF) {
		t.Errorf("ServeConn = %v, want the frame cut short", serveErr)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("serving a declared 4 GiB frame allocated %d bytes, want under 1 MiB", n)
	}

	// With the default cap the frame is refused outright.
	client, server = net.Pipe()
	go func() { done <- demoServer().ServeConn(context.Background(), server) }()
	go client.Write([]byte{0xff, 0xff, 0xff, 0xff})
	resp, err := frame.NewReader(client, 0).ReadFrame()
	client.Close()
	if serveErr := <-done; err != nil || !errors.Is(serveErr, frame.ErrTooLarge) || !bytes.Contains(resp, []byte(`"code":-32002`)) {
		t.Errorf("4 GiB frame: response %s, %v; ServeConn = %v; want a -32002 error and ErrTooLarge", resp, err, serveErr)
	}
}

// FuzzServeConn feeds arbitrary bytes, in fuzz-chosen pieces, to
// ServeConn and to TCPHandler on tcpserver (whose read loop answers the
// Inline rpcdemo methods, and hands frames over MaxRequest and other
// input to the worker path): the server must answer with well-formed
// frames of JSON within its frame size, and end the connection by itself.
func FuzzServeConn(f *testing.F) {
	f.Add(frame.Append(nil, []byte(`{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`)), []byte{3, 7})
	f.Add(frame.Append(frame.Append(nil, []byte(`[]`)), []byte(`{"jsonrpc":"2.0","method":"echo","params":[1],"id":"x"}`)), []byte{0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, []byte{1})
	f.Add(frame.Append(nil, nil), []byte{})
	const max = 4096
	s := demoServer()
	s.MaxFrameSize = max
	s.MaxBatch = 8
	s.MaxDepth = 16
	ln := testnet.Listen(f)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { defer close(served); serveListener(ctx, s, ln) }()
	f.Cleanup(func() { cancel(); ln.Close(); <-served })
	addrs := []string{
		ln.Addr().String(),
		// MaxRequest half the frame size: both paths are taken, and a
		// request answered on the read loop can still have a response
		// that would exceed the frame size.
		testnet.Serve(f, &tcpserver.Server{Handler: s.TCPHandler(), MaxRequest: max / 2, Linger: -1}),
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		for _, addr := range addrs {
			fuzzExchange(t, addr, data, sizes, max)
		}
	})
}

func fuzzExchange(t *testing.T, addr string, data, sizes []byte, max int) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := conn.(*net.TCPConn)
	go func() {
		defer client.CloseWrite()
		for len(data) > 0 {
			n := len(data)
			if len(sizes) > 0 {
				n, sizes = min(int(sizes[0])+1, n), sizes[1:]
			}
			if _, err := client.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
		}
	}()
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := frame.NewReader(client, max)
	for {
		resp, err := r.ReadFrame()
		if err != nil {
			if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("%s: reading responses: %v", addr, err)
			}
			return
		}
		if !json.Valid(resp) {
			t.Fatalf("%s: response %q is not JSON", addr, resp)
		}
	}
}

// TestTCPHandlerParked serves with tcpserver's ParkIdle: between calls the
// connection waits in the server's epoll set without a goroutine, and each
// wake-up runs the handler afresh. Nothing of a connection's state may be
// lost across that.
func TestTCPHandlerParked(t *testing.T) {
	s := demoServer()
	ts := &tcpserver.Server{Handler: s.TCPHandler(), ParkIdle: time.Millisecond}
	ln := testnet.Listen(t)
	go ts.Serve(ln)
	defer ts.Close()
	c, err := jsonrpc.Dial(context.Background(), ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if !testnet.Eventually(5*time.Second, func() bool { return ts.Stats().Parked == 1 }) {
			t.Fatalf("round %d: connection not parked (%+v)", i, ts.Stats())
		}
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				var sum int
				if err := c.Call(context.Background(), "add", []int{i, g}, &sum); err != nil || sum != i+g {
					t.Errorf("round %d: add [%d, %d] after parking = %d, %v", i, i, g, sum, err)
				}
			})
		}
		wg.Wait()
	}
}

// TestUnreadResponsesStopReading: a client that sends requests and never
// reads the responses must not make the server buffer them without end.
// Once the responses waiting for the blocked write reach a bound, the calls
// wait, then the read loop stops reading, and TCP pushes back on the
// client, whose writes stall.
func TestUnreadResponsesStopReading(t *testing.T) {
	conn := testnet.Dial(t, serveFrames(t, demoServer()))
	defer conn.Close()
	req := frame.Append(nil, []byte(`{"id":1,"method":"echo","params":{"data":"`+strings.Repeat("x", 64<<10)+`"}}`))
	const ceiling = 256 << 20
	written := 0
	for written < ceiling {
		// A write that makes no progress for a second: the server has
		// stopped reading.
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := conn.Write(req)
		written += n
		if err != nil {
			break
		}
	}
	t.Logf("the client wrote %d MiB before its writes stalled", written>>20)
	// Socket buffers on loopback hold a few MiB each way; the server's
	// own share is its in-flight calls and the bounded response queue.
	if written >= 64<<20 {
		t.Errorf("the client wrote %d MiB of requests without reading a response; the server buffers them without bound", written>>20)
	}
}

// TestRequestBytesInFlight: large requests are limited by their bytes in
// flight (twice the frame size), not only by MaxInFlight, so one connection
// cannot make the server hold MaxInFlight frames of the maximum size.
func TestRequestBytesInFlight(t *testing.T) {
	s := &jsonrpc.Server{MaxFrameSize: 64 << 10}
	var running, most atomic.Int64
	release := make(chan struct{})
	s.Handle("hold", func(ctx context.Context, _ json.RawMessage) (any, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return true, nil
	})
	conn := testnet.Dial(t, serveFrames(t, s))
	defer conn.Close()
	// 30 KiB requests: four fit in the 128 KiB budget, a fifth does not.
	const calls, fit = 12, 4
	req := []byte(`{"jsonrpc":"2.0","id":1,"method":"hold","params":["` + strings.Repeat("x", 30<<10) + `"]}`)
	go func() {
		w := frame.NewWriter(conn, 0)
		for range calls {
			if w.WriteFrame(req) != nil {
				return
			}
		}
	}()
	if !testnet.Eventually(10*time.Second, func() bool { return running.Load() == fit }) {
		t.Fatalf("%d calls running, want %d", running.Load(), fit)
	}
	close(release)
	r := frame.NewReader(conn, 0)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range calls {
		if _, err := r.ReadFrame(); err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
	}
	if m := most.Load(); m > fit {
		t.Errorf("%d calls of 30 KiB ran at once, want at most %d (128 KiB in flight)", m, fit)
	}
}

// TestBareNeedsOption: without AcceptBare, a request without the jsonrpc
// member is an Invalid Request, as JSON-RPC 2.0 specifies; with it, it is
// answered in its own dialect.
func TestBareNeedsOption(t *testing.T) {
	req := []byte(`{"id":1,"method":"add","params":[1,2]}`)
	for _, tt := range []struct {
		accept bool
		want   string
	}{
		{false, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":1}`},
		{true, `{"id":1,"result":3}`},
	} {
		s := &jsonrpc.Server{AcceptBare: tt.accept}
		rpcdemo.Register(s)
		if got := string(s.HandleMessage(context.Background(), req)); got != tt.want {
			t.Errorf("AcceptBare %v: %s, want %s", tt.accept, got, tt.want)
		}
	}
}
