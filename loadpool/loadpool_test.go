package loadpool_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnats"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/loadpool"
	"github.com/netkit-dev/netkit/natsbus"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pool starts an embedded NATS server and n workers on it, each on its own
// connection, as n machines would be. kill[i] makes worker i vanish: its
// NATS connection closes and its run stops, with no result sent.
func pool(t *testing.T, n int) (url string, kill []func()) {
	t.Helper()
	url = testnats.Start(t, natsbus.ServerConfig{}).ClientURL()
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	for i := range n {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		w := &loadpool.Worker{Conn: nc, Name: "w" + string(rune('1'+i))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Serve(ctx)
		}()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				nc.Close() // first, so that nothing more is sent
				cancel()
			})
		}
		t.Cleanup(stop)
		kill = append(kill, stop)
	}
	return url, kill
}

func coordinator(t *testing.T, url string, workers int) *loadpool.Coordinator {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return &loadpool.Coordinator{Conn: nc, Workers: workers, WaitTimeout: 10 * time.Second, Silence: 2 * time.Second}
}

// TestDistributedHTTP: three workers share a run; the merged total is the
// sum of the workers' and the server's own count, and the merged
// percentiles those of the workers' histograms merged.
func TestDistributedHTTP(t *testing.T) {
	var served atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write([]byte("ok"))
	}))
	defer hs.Close()
	url, _ := pool(t, 3)
	c := coordinator(t, url, 3)
	res, err := c.Run(context.Background(), loadgen.Config{
		Target: loadgen.HTTP, URL: hs.URL, Conns: 7, Requests: 3001, Duration: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Partial {
		t.Errorf("a whole run is marked partial: %+v", res.Workers)
	}
	if len(res.Workers) != 3 {
		t.Fatalf("%d worker rows, want 3", len(res.Workers))
	}
	var sum int64
	conns := 0
	for _, w := range res.Workers {
		sum += w.Requests
		conns += w.Conns
		if w.Requests == 0 {
			t.Errorf("worker %s did nothing", w.Name)
		}
	}
	if res.Requests != 3001 || sum != res.Requests || served.Load() != res.Requests || res.StatusCodes[200] != res.Requests {
		t.Errorf("merged %d requests, workers' sum %d, the server served %d, status 200 ×%d; want 3001 each",
			res.Requests, sum, served.Load(), res.StatusCodes[200])
	}
	if conns != 7 || res.Conns != 7 {
		t.Errorf("connections: rows sum to %d, merged %d; want 7", conns, res.Conns)
	}
	if res.Errors != 0 {
		t.Errorf("errors: %v", res.ErrorsBy)
	}
	l := res.Latency
	if !(l.Min <= l.P50 && l.P50 <= l.P99 && l.P99 <= l.Max) || l.Max == 0 {
		t.Errorf("merged latency out of order: %+v", l)
	}
}

// TestDistributedTargets: a run on the workers works for the TCP targets
// as for HTTP. In chat, every client of every worker shares the room, so
// each message reaches all the others, across workers.
func TestDistributedTargets(t *testing.T) {
	echoAddr := testnet.Serve(t, &tcpserver.Server{Handler: echo.Handler{}})
	rpcSrv := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(rpcSrv)
	rpcAddr := testnet.Serve(t, &tcpserver.Server{Handler: rpcSrv.TCPHandler()})
	chatAddr := testnet.Serve(t, &tcpserver.Server{Handler: chat.NewServer(chat.Config{})})
	url, _ := pool(t, 3)
	for _, cfg := range []loadgen.Config{
		{Target: loadgen.Line, Addr: echoAddr, Conns: 3, Requests: 600},
		{Target: loadgen.RPC, Addr: rpcAddr, Conns: 3, Pipeline: 4, Requests: 600},
		{Target: loadgen.Chat, Addr: chatAddr, Conns: 6, Rate: 30, Duration: 2 * time.Second, Interval: 200 * time.Millisecond},
	} {
		t.Run(string(cfg.Target), func(t *testing.T) {
			if cfg.Duration == 0 {
				cfg.Duration = 30 * time.Second
			}
			res, err := coordinator(t, url, 3).Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Partial || len(res.Workers) != 3 {
				t.Fatalf("%d errors %v, partial %v, %d rows", res.Errors, res.ErrorsBy, res.Partial, len(res.Workers))
			}
			switch cfg.Target {
			case loadgen.Chat:
				// Six clients: each message is delivered to five.
				if res.Sent < 20 || res.Requests < 4*res.Sent || res.Requests > 5*res.Sent {
					t.Errorf("sent %d, delivered %d; want 5 deliveries each", res.Sent, res.Requests)
				}
			default:
				if res.Requests != 600 {
					t.Errorf("%d requests, want 600", res.Requests)
				}
			}
		})
	}
}

// TestWorkerLost: a worker killed mid-run makes the result partial, names
// it, and counts only the others.
func TestWorkerLost(t *testing.T) {
	var served atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer hs.Close()
	url, kill := pool(t, 3)
	c := coordinator(t, url, 3)
	cfg := loadgen.Config{Target: loadgen.HTTP, URL: hs.URL, Conns: 3, Rate: 300, Duration: 4 * time.Second}
	done := make(chan struct{})
	var res *loadgen.Result
	var err error
	go func() {
		defer close(done)
		res, err = c.Run(context.Background(), cfg)
	}()
	// Kill one worker once the run is under way: when the server has
	// seen requests.
	if !testnet.Eventually(10*time.Second, func() bool { return served.Load() >= 100 }) {
		t.Fatal("the run did not start")
	}
	kill[1]()
	const killed = "w2"
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial {
		t.Fatal("a run that lost a worker is not marked partial")
	}
	var sum int64
	for _, w := range res.Workers {
		if w.Lost != (w.Name == killed) {
			t.Errorf("worker %s: lost %v (%s)", w.Name, w.Lost, w.Reason)
		}
		sum += w.Requests
	}
	if sum != res.Requests {
		t.Errorf("merged %d requests, the rows sum to %d", res.Requests, sum)
	}
}

// TestNotEnoughWorkers: asking for more workers than the pool has fails
// in time with a clear error.
func TestNotEnoughWorkers(t *testing.T) {
	url, _ := pool(t, 2)
	c := coordinator(t, url, 3)
	c.WaitTimeout = 500 * time.Millisecond
	_, err := c.Run(context.Background(), loadgen.Config{Target: loadgen.Line, Addr: "127.0.0.1:9", Conns: 3, Duration: time.Second})
	if !errors.Is(err, loadpool.ErrWorkers) {
		t.Errorf("3 workers of a pool of 2: %v, want ErrWorkers", err)
	}
}
