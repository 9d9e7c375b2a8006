package loadgen_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/admin"
	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve runs h on a tcpserver on 127.0.0.1:0 until the test ends.
func serve(t testing.TB, h tcpserver.Handler) string {
	t.Helper()
	srv := &tcpserver.Server{Handler: h}
	return testnet.Serve(t, srv)
}

func serveRPC(t testing.TB) string {
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	return serve(t, s.TCPHandler())
}

// countingHandler is the chapter's counting server: one line, "OK\n",
// close.
func countingHandler(n *atomic.Int64) tcpserver.HandlerFunc {
	return func(ctx context.Context, c *tcpserver.Conn) error {
		if !c.Next() {
			return c.Err()
		}
		if _, err := c.Reader().ReadLine(); err != nil {
			return err
		}
		n.Add(1)
		_, err := c.Write([]byte("OK\n"))
		return err
	}
}

func run(t *testing.T, cfg loadgen.Config) *loadgen.Result {
	t.Helper()
	res, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run(%+v) error: %v", cfg, err)
	}
	return res
}

func checkClean(t *testing.T, res *loadgen.Result, wantRequests int64) {
	t.Helper()
	if res.Errors != 0 {
		t.Errorf("Errors = %d (%v), want 0", res.Errors, res.ErrorsBy)
	}
	if wantRequests > 0 && res.Requests != wantRequests {
		t.Errorf("Requests = %d, want %d", res.Requests, wantRequests)
	}
	if res.Requests == 0 {
		t.Fatalf("Requests = 0, want some")
	}
	l := res.Latency
	if !(l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) || l.Max == 0 {
		t.Errorf("latency summary out of order: %+v", l)
	}
	if res.RPS <= 0 {
		t.Errorf("RPS = %v, want > 0", res.RPS)
	}
	if len(res.Series) == 0 || len(res.Percentiles) == 0 {
		t.Errorf("series %d points, percentiles %d points; want some of each", len(res.Series), len(res.Percentiles))
	}
	var sum int64
	for _, iv := range res.Series {
		sum += iv.Requests
	}
	if sum != res.Requests {
		t.Errorf("series requests sum to %d, want %d", sum, res.Requests)
	}
}

func TestTargetsClosedModel(t *testing.T) {
	echoAddr := serve(t, echo.Handler{})
	rpcAddr := serveRPC(t)
	var counted atomic.Int64
	countAddr := serve(t, countingHandler(&counted))
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	t.Cleanup(hs.Close)

	tests := []struct {
		name string
		cfg  loadgen.Config
	}{
		{"line", loadgen.Config{Target: loadgen.Line, Addr: echoAddr, Expect: "ECHO: ping"}},
		{"connect", loadgen.Config{Target: loadgen.Connect, Addr: countAddr, Expect: "OK"}},
		{"connect echo", loadgen.Config{Target: loadgen.Connect, Addr: echoAddr, Expect: "ECHO: ping"}},
		{"rpc", loadgen.Config{Target: loadgen.RPC, Addr: rpcAddr}},
		{"rpc pipelined", loadgen.Config{Target: loadgen.RPC, Addr: rpcAddr, Pipeline: 8}},
		{"http", loadgen.Config{Target: loadgen.HTTP, URL: hs.URL + "/x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Conns = 4
			cfg.Requests = 400
			cfg.Duration = 20 * time.Second
			cfg.Interval = 50 * time.Millisecond
			res := run(t, cfg)
			checkClean(t, res, 400)
			if res.Model != "closed" || res.ServiceTime != nil {
				t.Errorf("Model = %q, ServiceTime = %v; want closed, nil", res.Model, res.ServiceTime)
			}
		})
	}
	if got := counted.Load(); got != 400 {
		t.Errorf("counting server saw %d requests, want 400", got)
	}
}

func TestTargetsOpenModel(t *testing.T) {
	echoAddr := serve(t, echo.Handler{})
	rpcAddr := serveRPC(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hs.Close)
	for _, cfg := range []loadgen.Config{
		{Target: loadgen.Line, Addr: echoAddr},
		{Target: loadgen.Connect, Addr: echoAddr, Expect: "ECHO: ping"},
		{Target: loadgen.RPC, Addr: rpcAddr, Pipeline: 2},
		{Target: loadgen.HTTP, URL: hs.URL},
	} {
		t.Run(string(cfg.Target), func(t *testing.T) {
			cfg.Conns = 2
			cfg.Rate = 400
			cfg.Duration = 500 * time.Millisecond
			cfg.Interval = 100 * time.Millisecond
			start := time.Now()
			res := run(t, cfg)
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("a 500 ms run took %v", took)
			}
			checkClean(t, res, 0)
			// 400/s for 0.5 s is 200 requests; allow for the edges.
			// 400/s for 0.5 s schedules 200 requests; on a loaded machine
			// the last few may still be in flight at the end.
			if res.Requests < 100 || res.Requests > 201 {
				t.Errorf("Requests = %d, want about 200 at 400/s for 500ms", res.Requests)
			}
			if res.Model != "open" || res.ServiceTime == nil {
				t.Errorf("Model = %q, ServiceTime = %v; want open and a service time", res.Model, res.ServiceTime)
			}
		})
	}
}

// TestCoordinatedOmission runs 200 requests/s for 3 s against an echo
// server that stops answering for 1 s once. A generator that measures from
// the actual send time sees only the few requests in flight at the stall
// as slow; measured from the intended send time, every request scheduled
// during the stall waited for it: about a sixth of them, so p90 and p99
// reflect the stall, as wrk2's figures do.
func TestCoordinatedOmission(t *testing.T) {
	var (
		mu      sync.RWMutex
		stalled atomic.Bool
		served  atomic.Int64
	)
	stallAt := int64(200) // after about 1 s of the run
	stall := tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		r := c.Reader()
		for c.Next() {
			line, err := r.ReadLine()
			if err != nil {
				return err
			}
			if served.Add(1) == stallAt && stalled.CompareAndSwap(false, true) {
				mu.Lock() // hold every connection's next reply for 1 s
				time.AfterFunc(time.Second, mu.Unlock)
			}
			mu.RLock()
			mu.RUnlock()
			if _, err := c.Write(echo.AppendReply(nil, line)); err != nil {
				return err
			}
		}
		return c.Err()
	})
	addr := serve(t, stall)
	res := run(t, loadgen.Config{
		Target: loadgen.Line, Addr: addr, Conns: 2, Rate: 200,
		Duration: 3 * time.Second, Interval: 250 * time.Millisecond,
	})
	if !stalled.Load() {
		t.Fatalf("the server never stalled (served %d)", served.Load())
	}
	t.Logf("corrected: p50 %v p90 %v p99 %v max %v; service time: p50 %v p90 %v p99 %v max %v; %d requests",
		res.Latency.P50, res.Latency.P90, res.Latency.P99, res.Latency.Max,
		res.ServiceTime.P50, res.ServiceTime.P90, res.ServiceTime.P99, res.ServiceTime.Max, res.Requests)
	if res.Errors != 0 {
		t.Errorf("Errors = %d (%v), want 0", res.Errors, res.ErrorsBy)
	}
	// Requests scheduled in the stall waited from 0 to 1 s: p99 close to
	// 1 s, p90 well above a loopback round trip.
	if p99 := time.Duration(res.Latency.P99); p99 < 800*time.Millisecond {
		t.Errorf("corrected p99 = %v, want >= 800ms: the stall must count for every request it delayed", p99)
	}
	if p90 := time.Duration(res.Latency.P90); p90 < 100*time.Millisecond {
		t.Errorf("corrected p90 = %v, want >= 100ms", p90)
	}
	// Uncorrected, the stall is one slow request per connection: 2 of
	// about 600, under 1%.
	if svc := time.Duration(res.ServiceTime.P99); svc >= 500*time.Millisecond {
		t.Errorf("service-time p99 = %v, want < 500ms (only the requests in flight stalled)", svc)
	}
	if max := time.Duration(res.ServiceTime.Max); max < 900*time.Millisecond {
		t.Errorf("service-time max = %v, want about 1s", max)
	}
}

// roomServer is a minimal chat room on a real socket: a welcome line,
// then every line is delivered to every client as
// "[HH:MM:SS] HOST:PORT: message".
func roomServer(t *testing.T) string {
	var (
		mu      sync.Mutex
		clients = map[net.Conn]*sync.Mutex{}
	)
	h := tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		nc := c.NetConn()
		name := nc.RemoteAddr().String()
		wmu := &sync.Mutex{}
		mu.Lock()
		clients[nc] = wmu
		n := len(clients)
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(clients, nc)
			mu.Unlock()
		}()
		if _, err := fmt.Fprintf(c, "Welcome! You are %s. %d client(s) connected.\n", name, n); err != nil {
			return err
		}
		r := c.Reader()
		for c.Next() {
			line, err := r.ReadLine()
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("[%s] %s: %s\n", time.Now().Format("15:04:05"), name, echo.Strip(line))
			mu.Lock()
			for oc, omu := range clients {
				omu.Lock()
				oc.SetWriteDeadline(time.Now().Add(2 * time.Second))
				oc.Write([]byte(msg))
				omu.Unlock()
			}
			mu.Unlock()
		}
		return c.Err()
	})
	return serve(t, h)
}

func TestChat(t *testing.T) {
	addr := roomServer(t)
	t.Run("open", func(t *testing.T) {
		res := run(t, loadgen.Config{
			Target: loadgen.Chat, Addr: addr, Conns: 5, Rate: 50,
			Duration: 600 * time.Millisecond, Interval: 100 * time.Millisecond,
		})
		checkClean(t, res, 0)
		// Each message reaches the 4 other clients, but for those still
		// in flight when the run ends.
		if res.Sent == 0 || res.Requests < 3*res.Sent || res.Requests > 4*res.Sent {
			t.Errorf("sent %d, deliveries %d; want 4 deliveries per message", res.Sent, res.Requests)
		}
	})
	t.Run("closed", func(t *testing.T) {
		res := run(t, loadgen.Config{
			Target: loadgen.Chat, Addr: addr, Conns: 3, Requests: 60,
			Duration: 10 * time.Second, Interval: 100 * time.Millisecond,
		})
		checkClean(t, res, 0)
		if res.Sent != 60 {
			t.Errorf("Sent = %d, want 60", res.Sent)
		}
	})
}

// TestHTTPAdmin drives netkit's own HTTP service, the admin listener's
// /healthz and /metrics, in both models.
func TestHTTPAdmin(t *testing.T) {
	hs := httptest.NewServer(admin.NewServer(admin.Config{}).Handler())
	t.Cleanup(hs.Close)
	for _, cfg := range []loadgen.Config{
		{Target: loadgen.HTTP, URL: hs.URL + "/healthz", Conns: 4, Requests: 300},
		{Target: loadgen.HTTP, URL: hs.URL + "/metrics", Conns: 2, Rate: 200, Duration: 500 * time.Millisecond},
	} {
		cfg.Interval = 100 * time.Millisecond
		if cfg.Duration == 0 {
			cfg.Duration = 20 * time.Second
		}
		res := run(t, cfg)
		checkClean(t, res, cfg.Requests)
	}
}

// TestChatService runs the chat target against netkit's own chat service,
// within its flood limit (10 lines a second per client).
func TestChatService(t *testing.T) {
	addr := serve(t, chat.NewServer(chat.Config{}))
	res := run(t, loadgen.Config{
		Target: loadgen.Chat, Addr: addr, Conns: 6, Rate: 30,
		Duration: time.Second, Interval: 200 * time.Millisecond,
	})
	checkClean(t, res, 0)
	if res.Sent < 20 || res.Requests < 4*res.Sent || res.Requests > 5*res.Sent {
		t.Errorf("sent %d, deliveries %d; want about 30 sent and 5 deliveries each", res.Sent, res.Requests)
	}
	t.Logf("chat: %d sent, %d delivered, p50 %v p99 %v", res.Sent, res.Requests, res.Latency.P50, res.Latency.P99)
}

func TestIdleConnsAndSourceAddrs(t *testing.T) {
	var conns atomic.Int64
	h := tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		conns.Add(1)
		return echo.Handler{}.ServeConn(ctx, c)
	})
	addr := serve(t, h)
	res := run(t, loadgen.Config{
		Target: loadgen.Line, Addr: addr, Conns: 2, IdleConns: 50, RampRate: 2000,
		Requests: 100, Duration: 10 * time.Second,
		SourceAddrs: sources(t, 3),
	})
	checkClean(t, res, 100)
	// The server's accept loop may lag the kernel's handshakes a little.
	testnet.Eventually(5*time.Second, func() bool { return conns.Load() >= 52 })
	if res.IdleConns != 50 || conns.Load() != 52 {
		t.Errorf("IdleConns = %d, server saw %d connections; want 50 and 52", res.IdleConns, conns.Load())
	}
}

// sources returns 127.0.0.1 .. 127.0.0.n, or skips when the system does
// not route all of 127.0.0.0/8 to loopback (Linux does).
func sources(t *testing.T, n int) []netip.Addr {
	t.Helper()
	var out []netip.Addr
	for i := 1; i <= n; i++ {
		a := netip.AddrFrom4([4]byte{127, 0, 0, byte(i)})
		ln, err := net.Listen("tcp", a.String()+":0")
		if err != nil {
			t.Skipf("cannot bind %v: %v", a, err)
		}
		ln.Close()
		out = append(out, a)
	}
	return out
}

func TestErrors(t *testing.T) {
	t.Run("refused at set-up", func(t *testing.T) {
		ln := testnet.Listen(t)
		addr := ln.Addr().String()
		ln.Close()
		_, err := loadgen.Run(context.Background(), loadgen.Config{Target: loadgen.Line, Addr: addr, Conns: 2, Duration: time.Second})
		if !errors.Is(err, loadgen.ErrNoConnections) {
			t.Fatalf("Run against a closed port: err = %v, want ErrNoConnections", err)
		}
	})
	t.Run("protocol", func(t *testing.T) {
		addr := serve(t, echo.Handler{})
		for _, target := range []loadgen.Target{loadgen.Line, loadgen.Connect} {
			res := run(t, loadgen.Config{Target: target, Addr: addr, Conns: 1, Requests: 5, Expect: "+PONG", Duration: 5 * time.Second})
			if res.Errors != 5 || res.ErrorsBy["protocol"] != 5 {
				t.Errorf("%s: Errors = %d %v, want 5 protocol errors", target, res.Errors, res.ErrorsBy)
			}
		}
	})
	t.Run("http status", func(t *testing.T) {
		// A 404 is an answer: counted by status, on one kept-alive
		// connection, and no error.
		var conns atomic.Int64
		hs := httptest.NewUnstartedServer(http.NotFoundHandler())
		hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		}
		hs.Start()
		t.Cleanup(hs.Close)
		res := run(t, loadgen.Config{Target: loadgen.HTTP, URL: hs.URL, Conns: 1, Requests: 50, Duration: 5 * time.Second})
		if res.Requests != 50 || res.Errors != 0 || res.StatusCodes[404] != 50 || conns.Load() != 1 {
			t.Errorf("Requests %d, Errors %d, StatusCodes %v, %d connections; want 50 answers of 404 on one connection",
				res.Requests, res.Errors, res.StatusCodes, conns.Load())
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// A server that reads and never answers.
		h := tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
			<-ctx.Done()
			return nil
		})
		addr := serve(t, h)
		res := run(t, loadgen.Config{Target: loadgen.Line, Addr: addr, Conns: 1, Timeout: 100 * time.Millisecond, Duration: 400 * time.Millisecond})
		if res.ErrorsBy["timeout"] == 0 || res.Requests != 0 {
			t.Errorf("Requests = %d, ErrorsBy = %v; want 0 and timeouts", res.Requests, res.ErrorsBy)
		}
	})
}

func TestValidate(t *testing.T) {
	bad := []loadgen.Config{
		{},
		{Target: "smtp", Addr: "127.0.0.1:1"},
		{Target: loadgen.Line},
		{Target: loadgen.HTTP, URL: "ftp://x"},
		{Target: loadgen.Line, Addr: "127.0.0.1:1", Conns: -1},
		{Target: loadgen.RPC, Addr: "127.0.0.1:1", Pipeline: loadgen.MaxPipeline + 1},
		{Target: loadgen.Line, Addr: "127.0.0.1:1", Rate: -5},
		{Target: loadgen.Line, Addr: "127.0.0.1:1", Duration: 48 * time.Hour},
		{Target: loadgen.HTTP, URL: "http://127.0.0.1/", IdleConns: 3},
	}
	for _, cfg := range bad {
		if err := cfg.Validate(); !errors.Is(err, loadgen.ErrConfig) {
			t.Errorf("Validate(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestProgress(t *testing.T) {
	addr := serve(t, echo.Handler{})
	var calls []loadgen.Progress
	res := run(t, loadgen.Config{
		Target: loadgen.Line, Addr: addr, Conns: 2, Duration: time.Second,
		Interval: 100 * time.Millisecond,
		Progress: func(p loadgen.Progress) { calls = append(calls, p) },
	})
	// A ticker drops ticks its reader misses, so a loaded machine may see
	// fewer than ten calls; never more.
	if len(calls) < 2 || len(calls) > 10 {
		t.Fatalf("Progress called %d times in 1s at 100ms intervals, want 2 to 10", len(calls))
	}
	for i := 1; i < len(calls); i++ {
		if calls[i].Requests < calls[i-1].Requests || calls[i].Elapsed <= calls[i-1].Elapsed {
			t.Errorf("progress went backwards: %+v then %+v", calls[i-1], calls[i])
		}
	}
	if last := calls[len(calls)-1]; last.Requests > res.Requests || last.RPS <= 0 {
		t.Errorf("last progress %+v, result %d requests", last, res.Requests)
	}
}
