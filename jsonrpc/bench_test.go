package jsonrpc_test

import (
	"context"
	"net"
	"net/rpc"
	netjsonrpc "net/rpc/jsonrpc"
	"sync"
	"testing"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
)

func BenchmarkHandleMessage(b *testing.B) {
	s := demoServer()
	ctx := context.Background()
	for _, bm := range []struct{ name, msg string }{
		{"bare add", `{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`},
		{"v2 add", `{"jsonrpc": "2.0", "id": 1, "method": "add", "params": {"a": 10, "b": 32}}`},
		{"v2 echo", `{"jsonrpc": "2.0", "id": 1, "method": "echo", "params": {"data": [1, 2, 3], "nested": {"key": "value"}}}`},
	} {
		b.Run(bm.name, func(b *testing.B) {
			msg := []byte(bm.msg)
			b.ReportAllocs()
			for b.Loop() {
				s.HandleMessage(ctx, msg)
			}
		})
	}
}

// Arith is net/rpc's counterpart of rpcdemo's add.
type Arith struct{}

type AddArgs struct{ A, B int }

func (Arith) Add(args AddArgs, sum *int) error { *sum = args.A + args.B; return nil }

// BenchmarkCall compares one add call over loopback: netkit's server on
// tcpserver with netkit's client, and net/rpc/jsonrpc with its own client,
// one call at a time and with 64 in flight on one connection.
func BenchmarkCall(b *testing.B) {
	s := demoServer()
	ts := &tcpserver.Server{Handler: s.TCPHandler()}
	ln := testnet.Listen(b)
	go ts.Serve(ln)
	b.Cleanup(func() { ts.Close() })

	rs := rpc.NewServer()
	rs.Register(Arith{})
	rln := testnet.Listen(b)
	var wg sync.WaitGroup
	go func() {
		for {
			conn, err := rln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { rs.ServeCodec(netjsonrpc.NewServerCodec(conn)) })
		}
	}()
	b.Cleanup(func() { rln.Close(); wg.Wait() })

	ctx := context.Background()
	for _, inflight := range []int{1, 64} {
		b.Run("netkit/inflight="+itoa(inflight), func(b *testing.B) {
			c, err := jsonrpc.Dial(ctx, ln.Addr().String(), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			params := map[string]int{"a": 10, "b": 32}
			b.SetParallelism(inflight)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var sum int
				for pb.Next() {
					if err := c.Call(ctx, "add", params, &sum); err != nil || sum != 42 {
						b.Errorf("add = %d, %v", sum, err)
						return
					}
				}
			})
		})
		b.Run("netrpc/inflight="+itoa(inflight), func(b *testing.B) {
			conn, err := net.Dial("tcp", rln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			c := netjsonrpc.NewClient(conn)
			defer c.Close()
			b.SetParallelism(inflight)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				var sum int
				for pb.Next() {
					if err := c.Call("Arith.Add", AddArgs{10, 32}, &sum); err != nil || sum != 42 {
						b.Errorf("add = %d, %v", sum, err)
						return
					}
				}
			})
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
