package testnet

import (
	"bufio"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
)

// Blackhole listens on loopback, accepts connections and never answers,
// the way a hung server behaves. It returns the address and a counter of
// accepted connections; everything is closed when the test ends.
func Blackhole(t testing.TB) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln := Listen(t)
	accepted = new(atomic.Int64)
	Handle(t, ln, func(net.Conn) {
		accepted.Add(1)
		// Waiting rather than reading: a hung server leaves the
		// client's bytes unread.
		<-t.Context().Done()
	})
	return ln.Addr().String(), accepted
}

// ResetHTTP is an HTTP server on loopback that reads each request, sends a
// response head promising 1000 bytes and 10 of them, then resets the
// connection (SO_LINGER 0 makes close send RST): a response cut off in the
// middle of its body. It returns the address and a counter of connections.
func ResetHTTP(t testing.TB) (addr string, accepted *atomic.Int64) {
	t.Helper()
	ln := Listen(t)
	accepted = new(atomic.Int64)
	Handle(t, ln, func(c net.Conn) {
		accepted.Add(1)
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789"))
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	})
	return ln.Addr().String(), accepted
}

// RefusedAddr returns a loopback address on which nothing listens: a port
// the kernel just handed out and that was closed again.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
