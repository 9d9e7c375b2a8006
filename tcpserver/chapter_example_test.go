package tcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/tcpserver"
)

// The chapter's "Scalability" cell: a counting server answers one line per
// connection with "OK", and 10, 50, 100 and 200 clients connect at once.
// Each connection is a goroutine parked on the runtime's network poller,
// Go's counterpart of an asyncio coroutine. Timings vary from run to run,
// so only the success counts are printed.
func ExampleServer_scalability() {
	var requests atomic.Int64
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		if !c.Next() {
			return c.Err()
		}
		if _, err := c.Reader().ReadLine(); err != nil {
			return err
		}
		requests.Add(1)
		_, err := c.Write([]byte("OK\n"))
		return err
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	makeRequest := func(msg string) bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "%s\n", msg)
		resp, err := bufio.NewReader(c).ReadString('\n')
		return err == nil && resp == "OK\n"
	}

	fmt.Println("=== Async Server Scalability ===")
	for _, n := range []int{10, 50, 100, 200} {
		requests.Store(0)
		var ok atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if makeRequest(fmt.Sprintf("req-%d", i)) {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		fmt.Printf("%d clients: %d/%d succeeded, %d requests counted\n", n, ok.Load(), n, requests.Load())
	}
	// Output:
	// === Async Server Scalability ===
	// 10 clients: 10/10 succeeded, 10 requests counted
	// 50 clients: 50/50 succeeded, 50 requests counted
	// 100 clients: 100/100 succeeded, 100 requests counted
	// 200 clients: 200/200 succeeded, 200 requests counted
}

// The chapter's "Sync Sockets vs Async Streams" comparison in Go terms: a
// goroutine per connection (tcpserver) against a fixed pool of 10 worker
// goroutines (the thread-pool model), 50 concurrent clients, 50 ms of
// simulated work per request. Concurrency is shown as the requests held at
// once rather than as a race between two clocks, which a loaded machine
// could decide either way: with a goroutine per connection all 50 requests
// are in progress together (each handler waits until they are), where the
// pool holds at most 10 and so needs at least 5 rounds of 50 ms.
func ExampleServer_goroutinePerConnection() {
	const clients, workers, latency = 50, 10, 50 * time.Millisecond

	var inflight, peak atomic.Int64
	// handle serves one request; with all non-nil it waits (at most 10 s)
	// until every client's request is in progress before working.
	handle := func(c net.Conn, all chan struct{}) {
		buf := make([]byte, 1024)
		c.Read(buf)
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if all != nil {
			if n == clients { // no request ends before all are in progress
				close(all)
			}
			select {
			case <-all:
			case <-time.After(10 * time.Second):
			}
		}
		time.Sleep(latency) // simulated processing
		inflight.Add(-1)
		c.Write([]byte("OK"))
	}
	runClients := func(addr string) (time.Duration, int) {
		start := time.Now()
		var ok atomic.Int64
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer c.Close()
				c.Write([]byte("hello"))
				buf := make([]byte, 2)
				if _, err := c.Read(buf); err == nil {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		return time.Since(start), int(ok.Load())
	}

	// Goroutine per connection.
	all := make(chan struct{})
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		handle(c.NetConn(), all)
		return nil
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	_, okPerConn := runClients(ln.Addr().String())
	srv.Close()
	perConnPeak := peak.Swap(0)

	// A fixed pool of workers taking connections from the accept loop.
	pln, _ := net.Listen("tcp", "127.0.0.1:0")
	conns := make(chan net.Conn)
	var pool sync.WaitGroup
	for range workers {
		pool.Add(1)
		go func() {
			defer pool.Done()
			for c := range conns {
				handle(c, nil)
				c.Close()
			}
		}()
	}
	go func() {
		defer close(conns)
		for {
			c, err := pln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	pooled, okPooled := runClients(pln.Addr().String())
	pln.Close()
	pool.Wait()
	poolPeak := peak.Load()

	fmt.Printf("=== Benchmark: %d Concurrent Connections ===\n", clients)
	fmt.Printf("Simulated latency: %v per request\n\n", latency)
	fmt.Printf("goroutine per connection: %d/%d served, %d requests in progress at once\n", okPerConn, clients, perConnPeak)
	fmt.Printf("pool of %d workers: %d/%d served, at most %d in progress at once: %v\n", workers, okPooled, clients, workers, poolPeak <= workers)
	fmt.Printf("pool took at least %d x %v: %v\n", clients/workers, latency, pooled >= clients/workers*latency)
	// Output:
	// === Benchmark: 50 Concurrent Connections ===
	// Simulated latency: 50ms per request
	//
	// goroutine per connection: 50/50 served, 50 requests in progress at once
	// pool of 10 workers: 50/50 served, at most 10 in progress at once: true
	// pool took at least 5 x 50ms: true
}

// The chapter's "Graceful Shutdown Pattern": five clients send three
// messages each, then Shutdown stops accepting, closes the idle
// connections, waits for requests in progress, and the stats are printed.
// Unlike the chapter's version it needs no one-second polling loop in the
// handler and no fixed grace sleep: Shutdown returns as soon as the last
// handler does.
func ExampleServer_Shutdown() {
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		r := c.Reader()
		for c.Next() {
			line, err := r.ReadLine()
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(c, "Processed: %s", line); err != nil {
				return err
			}
		}
		return c.Err()
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Println("Server started on 127.0.0.1")

	var wg sync.WaitGroup
	replies := make([][]string, 5)
	for id := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i := range 3 {
				fmt.Fprintf(c, "Client-%d msg-%d\n", id, i)
				resp, _ := br.ReadString('\n')
				replies[id] = append(replies[id], resp)
				time.Sleep(50 * time.Millisecond) // think time
			}
		}()
	}
	wg.Wait()
	fmt.Print("Client-4 got: ", replies[4][2])

	fmt.Println("Initiating graceful shutdown...")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Println("shutdown:", err)
	}
	<-served
	st := srv.Stats()
	fmt.Printf("Server shut down. Stats: accepted=%d active=%d requests=%d errors=%d\n",
		st.Accepted, st.Active, st.Requests, st.Errors)
	// Output:
	// Server started on 127.0.0.1
	// Client-4 got: Processed: Client-4 msg-2
	// Initiating graceful shutdown...
	// Server shut down. Stats: accepted=5 active=0 requests=15 errors=0
}
