package chat_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/chat/natshub"
	"github.com/netkit-dev/netkit/natsbus"
	"github.com/netkit-dev/netkit/tcpserver"
)

// BenchmarkBroadcast sends messages from one client to a room of 1,000
// (itself included), in bursts: a burst's messages are sent back to back,
// and the next burst waits until every client has read them all. One op is
// one message, so deliveries/s is 1,000 times msgs/s. Latency is from the
// send to the read, per delivery. The clients run in this process; the
// server runs in its own (peer=netkit: bench/chatserver; peer=python: the
// Python asyncio server made to broadcast, bench/python/chat_broadcast_server.py)
// or in this one (peer=netkit-inprocess, sharing the CPUs with the
// clients).
func BenchmarkBroadcast(b *testing.B) {
	for _, peer := range []string{"netkit", "python", "netkit-inprocess"} {
		for _, burst := range []int{1, 20} {
			// Connecting 1,000 clients (and their join notices) costs more
			// than the measurement: the rounds of b.N share one room, which
			// outlives each round's cleanups.
			var fx *broadcastFixture
			var stop []func()
			b.Run(fmt.Sprintf("peer=%s/clients=1000/burst=%d", peer, burst), func(sb *testing.B) {
				if fx == nil {
					var addr string
					switch peer {
					case "python":
						addr = startPeer(sb, &stop, "python3", "../bench/python/chat_broadcast_server.py", "0")
					case "netkit":
						addr = startPeer(sb, &stop, "go", "run", "../bench/chatserver")
					default:
						addr = startInProcess(sb, &stop)
					}
					fx = newBroadcastFixture(sb, &stop, []string{addr}, 1000)
				}
				fx.run(sb, burst)
			})
			for i := len(stop) - 1; i >= 0; i-- {
				stop[i]()
			}
		}
	}
}

// startPeer runs a chat server command that prints its port when ready,
// and returns its address; stop gets the function that kills it.
func startPeer(b *testing.B, stop *[]func(), name string, args ...string) string {
	path, err := exec.LookPath(name)
	if err != nil {
		b.Skipf("%s not found: %v", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // go run's child too
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	*stop = append(*stop, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		b.Fatalf("%s %v: %v", name, args, err)
	}
	return "127.0.0.1:" + strings.TrimSpace(line)
}

// startInProcess serves the chat service in this process.
func startInProcess(b *testing.B, stop *[]func()) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &tcpserver.Server{Handler: chat.NewServer(chat.Config{Rate: -1}), IdleTimeout: -1}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	*stop = append(*stop, func() { srv.Close(); <-done })
	return ln.Addr().String()
}

// broadcastFixture is a room of clients reading every line.
type broadcastFixture struct {
	conns     []net.Conn
	delivered atomic.Int64
	perBurst  atomic.Int64
	burstDone chan struct{}
	hists     []*hdrhistogram.Histogram
	wg        sync.WaitGroup
	// cpu, if set, returns the CPU time in µs that counts against the
	// deliveries (this process's, when the servers run in it).
	cpu func() int64
}

// newBroadcastFixture connects n clients, spread over addrs in turn.
func newBroadcastFixture(b *testing.B, stop *[]func(), addrs []string, n int) *broadcastFixture {
	fx := &broadcastFixture{burstDone: make(chan struct{}, 1)}
	*stop = append(*stop, fx.close)
	// Each client reads its welcome before the next connects: the server
	// sends it once the client is in the room, so none misses a message.
	readers := make([]*bufio.Reader, n)
	for i := range n {
		c, err := net.DialTimeout("tcp", addrs[i%len(addrs)], 5*time.Second)
		if err != nil {
			b.Fatalf("client %d: %v", i, err)
		}
		fx.conns = append(fx.conns, c)
		readers[i] = bufio.NewReaderSize(c, 16<<10)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := readers[i].ReadSlice('\n'); err != nil {
			b.Fatalf("client %d welcome: %v", i, err)
		}
		c.SetReadDeadline(time.Time{})
	}
	fx.hists = make([]*hdrhistogram.Histogram, n)
	for i := range n {
		fx.hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 2)
		fx.wg.Add(1)
		go func() {
			defer fx.wg.Done()
			for {
				s, err := readers[i].ReadSlice('\n')
				if err != nil {
					return // closed at the end
				}
				// "[T] NAME: b <unix nanoseconds>"
				j := strings.Index(string(s), ": b ")
				if j < 0 {
					continue // join notices
				}
				sent, _ := strconv.ParseInt(strings.TrimSpace(string(s[j+4:])), 10, 64)
				// Each reader has its own histogram; run reads them once
				// a burst is complete (after burstDone).
				fx.hists[i].RecordValue(max(1, time.Since(time.Unix(0, sent)).Microseconds()))
				if fx.delivered.Add(1) == fx.perBurst.Load() {
					fx.burstDone <- struct{}{}
				}
			}
		}()
	}
	return fx
}

func (fx *broadcastFixture) close() {
	for _, c := range fx.conns {
		c.Close()
	}
	fx.wg.Wait()
	fx.conns = nil
}

// sendBurst sends k messages back to back and waits until every client
// has read them.
func (fx *broadcastFixture) sendBurst(b *testing.B, w *bufio.Writer, k int) {
	fx.delivered.Store(0)
	fx.perBurst.Store(int64(k * len(fx.conns)))
	for range k {
		fmt.Fprintf(w, "b %d\n", time.Now().UnixNano())
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	select {
	case <-fx.burstDone:
	case <-time.After(60 * time.Second):
		b.Fatalf("%d of %d deliveries", fx.delivered.Load(), fx.perBurst.Load())
	}
}

func (fx *broadcastFixture) run(b *testing.B, burst int) {
	w := bufio.NewWriter(fx.conns[0])
	fx.sendBurst(b, w, burst) // warm-up, and the last join notices drain
	for _, h := range fx.hists {
		h.Reset()
	}
	var cpu0 int64
	if fx.cpu != nil {
		cpu0 = fx.cpu()
	}
	b.ResetTimer()
	start := time.Now()
	var delivered int64
	for sent := 0; sent < b.N; sent += burst {
		fx.sendBurst(b, w, burst)
		delivered += fx.perBurst.Load()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if fx.cpu != nil {
		b.ReportMetric(float64(fx.cpu()-cpu0)/float64(delivered), "cpu-µs/delivery")
	}
	all := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 2)
	for _, h := range fx.hists {
		all.Merge(h)
	}
	b.ReportMetric(float64(delivered)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(all.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(all.ValueAtQuantile(99)), "p99-µs")
}

// processCPU returns this process's user and system time in µs.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}

// BenchmarkClusterBroadcast is BenchmarkBroadcast across nodes: 1,000
// clients spread over three chat nodes that share the room on NATS (an
// embedded nats-server, all in this process), against one node with the
// in-process hub in the same run. cpu-µs/delivery is this process's CPU
// time (clients, chat servers and, for the cluster, NATS) per delivered
// line; the difference between the two is what the backplane costs.
func BenchmarkClusterBroadcast(b *testing.B) {
	for _, setup := range []string{"single", "nats-3"} {
		for _, burst := range []int{1, 20} {
			var fx *broadcastFixture
			var stop []func()
			b.Run(fmt.Sprintf("nodes=%s/clients=1000/burst=%d", setup, burst), func(sb *testing.B) {
				if fx == nil {
					var addrs []string
					if setup == "single" {
						addrs = []string{startInProcess(sb, &stop)}
					} else {
						addrs = startNATSNodes(sb, &stop, 3)
					}
					fx = newBroadcastFixture(sb, &stop, addrs, 1000)
					fx.cpu = processCPU
				}
				fx.run(sb, burst)
			})
			for i := len(stop) - 1; i >= 0; i-- {
				stop[i]()
			}
		}
	}
}

// startNATSNodes starts an embedded NATS server and n chat nodes on it, as
// netkit serve --nats runs them, and returns the nodes' addresses.
func startNATSNodes(b *testing.B, stop *[]func(), n int) []string {
	ns, err := natsbus.NewServer(natsbus.ServerConfig{StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if err := ns.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	*stop = append(*stop, func() { ns.Shutdown(context.Background()) })
	var addrs []string
	for i := range n {
		conn := natsbus.NewConn(natsbus.ConnConfig{Server: ns})
		if err := conn.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		dir := natshub.NewDirectory(conn, natshub.DirectoryConfig{Node: fmt.Sprintf("n%d", i+1)})
		cs := chat.NewServer(chat.Config{Rate: -1, Hub: natshub.New(conn, natshub.Config{}), Directory: dir, History: dir})
		dir.SetSource(func() chat.Presence { return cs.Presence("") })
		if err := dir.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		srv := &tcpserver.Server{Handler: cs, IdleTimeout: -1}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		*stop = append(*stop, func() { conn.Shutdown(context.Background()) }, func() { dir.Shutdown(context.Background()) }, func() { srv.Close(); <-done })
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}
