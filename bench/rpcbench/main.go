// Command rpcbench measures JSON-RPC servers for docs/BENCHMARKS.md: calls
// per second and the server's CPU time per call, on loopback.
//
//	rpcbench server -kind netkit|netrpc   serve, print the port, run until killed
//	rpcbench client -kind netkit|netrpc|python -addr A -pid P -conns C -inflight M -duration D
//
// Servers: netkit's jsonrpc on tcpserver with rpcdemo's methods; Go's
// net/rpc/jsonrpc (JSON-RPC 1.0) with the same add; the Python asyncio
// server (bench/python/json_rpc_server.py) is started by bench/rpc.sh.
// The client makes add calls ({"a": 10, "b": 32}) from C connections with M
// calls in flight on each (M goroutines sharing one pipelined client), for
// D after a warm-up, and prints one JSON object: calls, calls per second,
// p50/p99 latency, and the server's CPU time per call from /proc/PID/stat.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/rpc"
	netjsonrpc "net/rpc/jsonrpc"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netkit-dev/netkit/internal/procstat"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rpcbench server|client [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = server(os.Args[2:])
	case "client":
		err = client(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcbench:", err)
		os.Exit(1)
	}
}

// Arith is net/rpc's service: Arith.Add is rpcdemo's add.
type Arith struct{}

// AddArgs are Arith.Add's params.
type AddArgs struct{ A, B int }

// Add sets *sum to a + b.
func (Arith) Add(args AddArgs, sum *int) error {
	*sum = args.A + args.B
	return nil
}

func server(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	kind := fs.String("kind", "netkit", "netkit (on tcpserver), netkit-plain (ServeConn) or netrpc")
	addr := fs.String("addr", "127.0.0.1:0", "listen address (loopback)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file until stopped")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch *kind {
	case "netkit":
		s := &jsonrpc.Server{AcceptBare: true}
		rpcdemo.Register(s)
		ts := &tcpserver.Server{Handler: s.TCPHandler()}
		go func() { <-ctx.Done(); ts.Close() }()
		if err := ts.Serve(ln); !errors.Is(err, tcpserver.ErrServerClosed) {
			return err
		}
		return nil
	case "netkit-plain":
		// ServeConn on a plain accept loop, without tcpserver.
		s := &jsonrpc.Server{AcceptBare: true}
		rpcdemo.Register(s)
		go func() { <-ctx.Done(); ln.Close() }()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return nil
			}
			go s.ServeConn(ctx, conn)
		}
	case "netrpc":
		rs := rpc.NewServer()
		if err := rs.Register(Arith{}); err != nil {
			return err
		}
		go func() { <-ctx.Done(); ln.Close() }()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return nil
			}
			go rs.ServeCodec(netjsonrpc.NewServerCodec(conn))
		}
	}
	return fmt.Errorf("unknown server kind %q", *kind)
}

// caller makes one add call.
type caller func(ctx context.Context) error

func dial(ctx context.Context, kind, addr string) (caller, func(), error) {
	switch kind {
	case "netkit", "python":
		d := jsonrpc.V2
		if kind == "python" {
			d = jsonrpc.Bare
		}
		c, err := jsonrpc.Dial(ctx, addr, &jsonrpc.ClientOptions{Dialect: d})
		if err != nil {
			return nil, nil, err
		}
		params := map[string]int{"a": 10, "b": 32}
		return func(ctx context.Context) error {
			var sum int
			if err := c.Call(ctx, "add", params, &sum); err != nil {
				return err
			}
			if sum != 42 {
				return fmt.Errorf("add = %d, want 42", sum)
			}
			return nil
		}, func() { c.Close() }, nil
	case "netrpc":
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, err
		}
		c := netjsonrpc.NewClient(conn)
		return func(ctx context.Context) error {
			var sum int
			if err := c.Call("Arith.Add", AddArgs{10, 32}, &sum); err != nil {
				return err
			}
			if sum != 42 {
				return fmt.Errorf("add = %d, want 42", sum)
			}
			return nil
		}, func() { c.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown client kind %q", kind)
}

type result struct {
	Kind       string  `json:"kind"`
	Conns      int     `json:"conns"`
	InFlight   int     `json:"inflight"`
	Calls      int64   `json:"calls"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	CallsPerS  float64 `json:"calls_per_s"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
	ServerCPU  float64 `json:"server_cpu_s"`
	CPUPerCall float64 `json:"server_cpu_us_per_call"`
	// The user-space and kernel shares of CPUPerCall.
	UserPerCall float64 `json:"server_user_us_per_call"`
	SysPerCall  float64 `json:"server_sys_us_per_call"`
}

func client(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	kind := fs.String("kind", "netkit", "netkit, netrpc or python (the bare dialect, as the Python peer speaks it)")
	addr := fs.String("addr", "", "server address (loopback)")
	pid := fs.Int("pid", 0, "server process id, for its CPU time")
	conns := fs.Int("conns", 1, "connections")
	inflight := fs.Int("inflight", 1, "calls in flight per connection")
	duration := fs.Duration("duration", 5*time.Second, "measured time")
	warmup := fs.Duration("warmup", time.Second, "unmeasured warm-up")
	maxCalls := fs.Int64("max-calls", 100_000_000, "stop after this many calls")
	fs.Parse(args)
	if h, _, err := net.SplitHostPort(*addr); err != nil || !net.ParseIP(h).IsLoopback() {
		return fmt.Errorf("-addr %q: want a loopback host:port", *addr)
	}
	ctx := context.Background()
	callers := make([]caller, *conns)
	for i := range callers {
		c, closeFn, err := dial(ctx, *kind, *addr)
		if err != nil {
			return err
		}
		defer closeFn()
		callers[i] = c
	}

	var measuring atomic.Bool
	var calls, errs atomic.Int64
	stop := make(chan struct{})
	var mu sync.Mutex
	hist := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
	var wg sync.WaitGroup
	for _, call := range callers {
		for range *inflight {
			wg.Go(func() {
				local := hdrhistogram.New(1, int64(10*time.Second/time.Microsecond), 3)
				defer func() { mu.Lock(); hist.Merge(local); mu.Unlock() }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					err := call(cctx)
					cancel()
					if !measuring.Load() {
						continue
					}
					if err != nil {
						errs.Add(1)
						continue
					}
					local.RecordValue(max(1, time.Since(t0).Microseconds()))
					if calls.Add(1) >= *maxCalls {
						return
					}
				}
			})
		}
	}
	time.Sleep(*warmup) // bounded warm-up before the measured window
	cpu0, _ := procstat.ReadCPU(*pid)
	t0 := time.Now()
	measuring.Store(true)
	deadline := time.NewTimer(*duration)
	<-deadline.C
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1, _ := procstat.ReadCPU(*pid)
	n := calls.Load()
	close(stop)
	wg.Wait()

	r := result{
		Kind: *kind, Conns: *conns, InFlight: *inflight,
		Calls: n, Errors: errs.Load(), Seconds: elapsed.Seconds(),
		CallsPerS: float64(n) / elapsed.Seconds(),
		P50us:     float64(hist.ValueAtQuantile(50)),
		P99us:     float64(hist.ValueAtQuantile(99)),
	}
	if *pid > 0 && n > 0 {
		d := cpu1.Sub(cpu0)
		r.ServerCPU = d.Total().Seconds()
		r.CPUPerCall = r.ServerCPU * 1e6 / float64(n)
		r.UserPerCall = d.User.Seconds() * 1e6 / float64(n)
		r.SysPerCall = d.System.Seconds() * 1e6 / float64(n)
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
