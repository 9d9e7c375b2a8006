package httpclient

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/retry"
)

// scripted is an httptest server that answers the n-th request (from 0)
// with script(n, w, r) and counts the requests.
type scripted struct {
	*httptest.Server
	hits atomic.Int64
}

func newScripted(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request)) *scripted {
	t.Helper()
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.hits.Add(1) - 1
		script(int(n), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// newTestClient returns a client with a fast retry policy: 4 attempts,
// millisecond backoff, a budget large enough not to interfere.
func newTestClient(t *testing.T) *Client {
	t.Helper()
	c := &Client{Retry: retry.Policy{
		MaxAttempts: 4,
		BaseDelay:   time.Millisecond,
		MaxDelay:    5 * time.Second,
		Budget:      &retry.Budget{Burst: 1000},
	}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// resetServer accepts connections, reads a request head, sends a response
// head promising 1000 bytes and 10 of them, then resets the connection
// (SO_LINGER 0 makes close send RST). It counts connections.
func resetServer(t *testing.T) (addr string, hits *atomic.Int64) {
	t.Helper()
	ln := testnet.Listen(t)
	hits = new(atomic.Int64)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789"))
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
			}()
		}
	}()
	return ln.Addr().String(), hits
}

// blackhole accepts connections and never answers; they are closed when
// the test ends.
func blackhole(t *testing.T) (addr string, hits *atomic.Int64) {
	t.Helper()
	ln := testnet.Listen(t)
	hits = new(atomic.Int64)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	return ln.Addr().String(), hits
}

// refusedAddr returns an address on which nothing listens.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
