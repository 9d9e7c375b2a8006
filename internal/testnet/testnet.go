// Package testnet holds helpers for tests that use real sockets on loopback.
package testnet

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// Listen returns a TCP listener on 127.0.0.1 with a kernel-chosen port,
// closed when the test ends.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// Dial connects to addr, failing the test on error; the connection is closed
// when the test ends.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// WaitDial polls addr until a TCP connection succeeds or timeout passes, for
// servers started in another process that announce no readiness signal.
func WaitDial(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	if !Eventually(timeout, func() bool {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("%s did not accept connections within %v", addr, timeout)
	}
}

// Eventually polls cond every few milliseconds until it holds or timeout
// passes, and reports whether it held. Tests use it instead of sleeping.
func Eventually(timeout time.Duration, cond func() bool) bool {
	return EventuallyEvery(timeout, 5*time.Millisecond, cond)
}

// EventuallyEvery is Eventually polling every interval: for conditions
// that ask a server something, which a server with flood control would
// refuse at Eventually's pace.
func EventuallyEvery(timeout, interval time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-tick.C:
		}
	}
}

// ReadUntil reads lines from r until one contains want, and returns that
// line without surrounding space; the test fails if the stream ends or its
// read deadline passes first.
func ReadUntil(t testing.TB, r *bufio.Reader, want string) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading until %q: %v", want, err)
		}
		if strings.Contains(line, want) {
			return strings.TrimSpace(line)
		}
	}
}
