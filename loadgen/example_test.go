package loadgen_test

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/tcpserver"
)

// The async chapter's scalability cell: 10, 50, 100 and 200 concurrent
// clients each open a connection to the counting server, send one line and
// read "OK". With the Connect target, Conns clients and Requests equal to
// Conns, each client makes exactly one request. (The chapter also prints
// timings and requests per second; they vary from run to run, so this
// example prints only the counts.)
func Example_scalability() {
	var count atomic.Int64
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		if !c.Next() {
			return c.Err()
		}
		if _, err := c.Reader().ReadLine(); err != nil {
			return err
		}
		count.Add(1)
		_, err := c.Write([]byte("OK\n"))
		return err
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	fmt.Println("=== Async Server Scalability ===")
	for _, n := range []int{10, 50, 100, 200} {
		count.Store(0)
		res, err := loadgen.Run(context.Background(), loadgen.Config{
			Target: loadgen.Connect, Addr: ln.Addr().String(), Message: "req",
			Conns: n, Requests: int64(n), Expect: "OK", Duration: 30 * time.Second,
		})
		if err != nil {
			panic(err)
		}
		fmt.Printf("  %4d clients: %d/%d succeeded (server counted %d)\n", n, res.Requests, n, count.Load())
	}
	// Output:
	// === Async Server Scalability ===
	//     10 clients: 10/10 succeeded (server counted 10)
	//     50 clients: 50/50 succeeded (server counted 50)
	//    100 clients: 100/100 succeeded (server counted 100)
	//    200 clients: 200/200 succeeded (server counted 200)
}
