package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/web"
)

// BenchmarkFanOut sends lines from one TCP client to a room of 1,000
// clients, all TCP or all WebSocket, served in this process by one chat
// service, in bursts: the next burst waits until every client has read the
// last. One op is one line; deliveries/s counts lines read by clients;
// latency is from the send to each read.
func BenchmarkFanOut(b *testing.B) {
	for _, kind := range []string{"tcp", "websocket"} {
		for _, burst := range []int{1, 20} {
			b.Run(fmt.Sprintf("clients=%s/n=1000/burst=%d", kind, burst), func(b *testing.B) {
				fanOut(b, kind, 1000, burst)
			})
		}
	}
}

func fanOut(b *testing.B, kind string, n, burst int) {
	cs := chat.NewServer(chat.Config{Rate: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	tcp := &tcpserver.Server{Handler: cs, IdleTimeout: -1, MaxConns: 4 * n}
	go tcp.Serve(ln)
	defer tcp.Close()
	ws := web.NewServer(web.Config{Chat: cs, MaxConns: 4 * n})
	ws.Start(context.Background())
	hs := httptest.NewServer(ws.Handler())
	defer func() { hs.Close(); ws.Shutdown(context.Background()); ws.Wait() }()

	var delivered, want atomic.Int64
	done := make(chan struct{}, 1)
	hists := make([]*hdrhistogram.Histogram, n)
	record := func(i int, line string) {
		k := strings.Index(line, ": b ")
		if k < 0 {
			return
		}
		sent, _ := strconv.ParseInt(strings.TrimSpace(line[k+4:]), 10, 64)
		hists[i].RecordValue(max(1, time.Since(time.Unix(0, sent)).Microseconds()))
		if delivered.Add(1) == want.Load() {
			done <- struct{}{}
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range n {
		hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 2)
		if kind == "tcp" {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			if _, err := r.ReadString('\n'); err != nil {
				b.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					record(i, line)
				}
			}()
			continue
		}
		c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws/chat", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		if _, _, err := c.Read(context.Background()); err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, msg, err := c.Read(context.Background())
				if err != nil {
					return
				}
				record(i, string(msg))
			}
		}()
	}
	sender, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	go func() { // the sender reads the room too
		buf := make([]byte, 64<<10)
		for {
			if _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	w := bufio.NewWriter(sender)
	sendBurst := func() {
		delivered.Store(0)
		want.Store(int64(burst * n))
		for range burst {
			fmt.Fprintf(w, "b %d\n", time.Now().UnixNano())
		}
		w.Flush()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			b.Fatalf("%d of %d deliveries", delivered.Load(), want.Load())
		}
	}
	sendBurst() // warm-up; the join notices drain
	for _, h := range hists {
		h.Reset()
	}
	b.ResetTimer()
	start := time.Now()
	var total int64
	for sent := 0; sent < b.N; sent += burst {
		sendBurst()
		total += int64(burst * n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	all := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 2)
	for _, h := range hists {
		all.Merge(h)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(all.ValueAtQuantile(50)), "p50-µs")
	b.ReportMetric(float64(all.ValueAtQuantile(99)), "p99-µs")
}
