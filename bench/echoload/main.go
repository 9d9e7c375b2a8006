// Command echoload drives a line echo server (netkit's, the
// Python asyncio peer, redis-server with inline PING) for the benchmarks
// in docs/BENCHMARKS.md. It is a small, bounded load driver; the project's
// full load generator is a separate command.
//
//	echoload -mode rps  -addr 127.0.0.1:7001 -conns 100 -duration 5s
//	echoload -mode idle -addr 127.0.0.1:7001 -conns 10000 -pid 1234
//
// rps mode: each connection sends a request, waits for the reply, and
// repeats until -duration or -max-requests; it prints one JSON object with
// requests, requests per second, p50/p99/max latency, and, with -pid, the
// server's CPU time per request read from /proc/PID/stat.
//
// idle mode: opens -conns connections, has each do one exchange, and
// reports the server's resident memory (VmRSS from /proc/PID/status)
// before and after, per connection.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/netkit-dev/netkit/internal/procstat"
)

func main() {
	mode := flag.String("mode", "rps", "rps or idle")
	addr := flag.String("addr", "127.0.0.1:7001", "server address (loopback only)")
	conns := flag.Int("conns", 1, "concurrent connections")
	duration := flag.Duration("duration", 5*time.Second, "rps: how long to send")
	maxReq := flag.Int64("max-requests", 50_000_000, "rps: stop after this many requests")
	warmup := flag.Duration("warmup", time.Second, "rps: unmeasured warm-up time")
	pid := flag.Int("pid", 0, "server process id, for CPU time and memory from /proc")
	request := flag.String("request", "hello netkit", "rps: the request line, without newline")
	expect := flag.String("expect", "", "rps: expected reply line (default: ECHO: <request>)")
	label := flag.String("label", "", "a name copied into the output")
	hold := flag.Duration("hold", 0, "idle: keep the connections open this long after measuring")
	settle := flag.Duration("settle", 0, "idle: wait this long after the exchanges before the last reading (past the server's --park-idle)")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fatalf("-addr must be a loopback address, got %q", *addr)
	}
	raiseNoFile()
	want := *expect
	if want == "" {
		want = "ECHO: " + *request
	}
	var out any
	switch *mode {
	case "rps":
		out, err = runRPS(*addr, *conns, *warmup, *duration, *maxReq, *pid, *request+"\n", want+"\n")
	case "idle":
		out, err = runIdle(*addr, *conns, *pid, *settle, *hold)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fatalf("%v", err)
	}
	b, _ := json.Marshal(map[string]any{"label": *label, "mode": *mode, "conns": *conns, "result": out})
	fmt.Println(string(b))
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "echoload: "+format+"\n", args...)
	os.Exit(1)
}

// raiseNoFile lifts the soft open-files limit to the hard one, for 10,000
// connections.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

type rpsResult struct {
	Requests      int64   `json:"requests"`
	Errors        int64   `json:"errors"`
	Seconds       float64 `json:"seconds"`
	RPS           float64 `json:"rps"`
	P50us         float64 `json:"p50_us"`
	P99us         float64 `json:"p99_us"`
	MaxUs         float64 `json:"max_us"`
	ServerCPUms   float64 `json:"server_cpu_ms,omitempty"`
	CPUusPerReq   float64 `json:"server_cpu_us_per_request,omitempty"`
	UserUsPerReq  float64 `json:"server_user_us_per_request,omitempty"` // CPUusPerReq's user-space share
	SysUsPerReq   float64 `json:"server_sys_us_per_request,omitempty"`  // and its kernel share
	ServerRSSKiB  int64   `json:"server_rss_kib,omitempty"`
	ClientCPUms   float64 `json:"client_cpu_ms"`
	ClientUsPerRq float64 `json:"client_cpu_us_per_request"`
}

func dialAll(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("dial %d of %d: %w", i+1, n, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func runRPS(addr string, n int, warmup, duration time.Duration, maxReq int64, pid int, req, want string) (*rpsResult, error) {
	conns, err := dialAll(addr, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var measuring atomic.Bool
	var count, errs atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), warmup+duration)
	defer cancel()
	hists := make([]*hdrhistogram.Histogram, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		hists[i] = hdrhistogram.New(1, 10_000_000, 3) // 1 us .. 10 s
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 4096)
			reqb := []byte(req)
			c.SetDeadline(time.Now().Add(warmup + duration + 10*time.Second))
			for ctx.Err() == nil {
				t0 := time.Now()
				if _, err := c.Write(reqb); err != nil {
					errs.Add(1)
					return
				}
				line, err := br.ReadSlice('\n')
				if err != nil || string(line) != want {
					errs.Add(1)
					return
				}
				if measuring.Load() {
					hists[i].RecordValue(time.Since(t0).Microseconds())
					if count.Add(1) >= maxReq {
						cancel()
					}
				}
			}
		}()
	}
	time.Sleep(warmup)
	cpu0, _ := procstat.ReadCPU(pid)
	self0, _ := procstat.ReadCPU(os.Getpid())
	start := time.Now()
	measuring.Store(true)
	<-ctx.Done()
	measuring.Store(false)
	elapsed := time.Since(start)
	cpu1, _ := procstat.ReadCPU(pid)
	self1, _ := procstat.ReadCPU(os.Getpid())
	wg.Wait()
	h := hdrhistogram.New(1, 10_000_000, 3)
	for _, x := range hists {
		h.Merge(x)
	}
	clientCPU := self1.Sub(self0).Total()
	r := &rpsResult{
		Requests: count.Load(), Errors: errs.Load(), Seconds: elapsed.Seconds(),
		RPS:   float64(count.Load()) / elapsed.Seconds(),
		P50us: float64(h.ValueAtQuantile(50)), P99us: float64(h.ValueAtQuantile(99)), MaxUs: float64(h.Max()),
		ClientCPUms: clientCPU.Seconds() * 1000,
	}
	if r.Requests > 0 {
		r.ClientUsPerRq = clientCPU.Seconds() * 1e6 / float64(r.Requests)
	}
	if pid > 0 && r.Requests > 0 {
		d := cpu1.Sub(cpu0)
		perReq := func(t time.Duration) float64 { return t.Seconds() * 1e6 / float64(r.Requests) }
		r.ServerCPUms = d.Total().Seconds() * 1000
		r.CPUusPerReq = perReq(d.Total())
		r.UserUsPerReq, r.SysUsPerReq = perReq(d.User), perReq(d.System)
		rss, _ := procstat.RSS(pid)
		r.ServerRSSKiB = rss >> 10
	}
	if r.Requests == 0 {
		return r, errors.New("no request succeeded")
	}
	return r, nil
}

type idleResult struct {
	RSSBeforeKiB     int64   `json:"rss_before_kib"`
	RSSConnectedKiB  int64   `json:"rss_connected_kib"`
	RSSAfterUseKiB   int64   `json:"rss_after_one_request_kib"`
	PerConnKiB       float64 `json:"kib_per_idle_conn"`
	PerUsedConnKiB   float64 `json:"kib_per_idle_conn_after_one_request"`
	ConnectedSeconds float64 `json:"connect_seconds"`
}

func runIdle(addr string, n, pid int, settle, hold time.Duration) (*idleResult, error) {
	if pid <= 0 {
		return nil, errors.New("idle mode needs -pid")
	}
	before, err := settledRSS(pid)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	conns, err := dialAll(addr, n)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	r := &idleResult{RSSBeforeKiB: before, ConnectedSeconds: time.Since(t0).Seconds()}
	r.RSSConnectedKiB, _ = settledRSS(pid)
	// One exchange per connection, 200 at a time, then idle again.
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, c := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, "hello\n"); err != nil {
				failed.Add(1)
				return
			}
			buf := make([]byte, 64)
			if _, err := c.Read(buf); err != nil {
				failed.Add(1)
			}
			c.SetDeadline(time.Time{})
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return nil, fmt.Errorf("%d connections failed their exchange", failed.Load())
	}
	time.Sleep(settle)
	r.RSSAfterUseKiB, _ = settledRSS(pid)
	r.PerConnKiB = float64(r.RSSConnectedKiB-before) / float64(n)
	r.PerUsedConnKiB = float64(r.RSSAfterUseKiB-before) / float64(n)
	if hold > 0 {
		fmt.Fprintf(os.Stderr, "echoload: holding %d connections for %v\n", n, hold)
		time.Sleep(hold)
	}
	return r, nil
}

// settledRSS polls VmRSS (in KiB) until two readings 200 ms apart agree within 1%,
// or 5 s pass, so the figure is taken after the server has settled.
func settledRSS(pid int) (int64, error) {
	kib := func() (int64, error) { b, err := procstat.RSS(pid); return b >> 10, err }
	prev, err := kib()
	if err != nil {
		return 0, err
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		cur, err := kib()
		if err != nil {
			return 0, err
		}
		if d := cur - prev; d*100 <= cur && -d*100 <= cur {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}
