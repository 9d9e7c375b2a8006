package tcpserver_test

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

// BenchmarkIdleConnMemory reports the Go memory (heap and goroutine
// stacks, server and client sides together) per idle connection after one
// request each, with a goroutine per connection and with parking. The
// resident-memory figures at 10,000 connections, server alone, come from
// bench/echo.sh.
func BenchmarkIdleConnMemory(b *testing.B) {
	for _, tc := range []struct {
		name string
		park time.Duration
	}{{"goroutine", 0}, {"parked", 10 * time.Millisecond}} {
		b.Run(tc.name, func(b *testing.B) {
			const conns = 2000
			for i := 0; i < b.N; i++ {
				perConn := idleMemory(b, conns, tc.park)
				b.ReportMetric(perConn, "B/conn")
			}
		})
	}
}

func idleMemory(b *testing.B, n int, park time.Duration) float64 {
	srv := &tcpserver.Server{Handler: &lineEcho{}, MaxConns: -1, ParkIdle: park, Linger: -1}
	ln := testnet.Listen(b)
	go srv.Serve(ln)
	defer func() {
		srv.Close()
		srv.Wait(context.Background())
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cs := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	buf := make([]byte, 16)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		cs = append(cs, c)
		c.Write([]byte("hi\n"))
		if _, err := c.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	if park > 0 && !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Parked == int64(n) }) {
		b.Fatalf("not all parked: %+v", srv.Stats())
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := func(m *runtime.MemStats) float64 { return float64(m.HeapInuse + m.StackInuse) }
	return (used(&after) - used(&before)) / float64(n)
}
