package testnet

import (
	"net"
	"sync"
	"testing"
)

// Handle accepts connections on ln until the test ends, running handle for
// each in its own goroutine; at the end of the test it closes ln and waits
// for the accept loop and every handler to return. Handle closes each
// connection once its handler returns, so handlers need not. At the end of
// the test it also closes the connections still open: a handler blocked
// reading from a client that never hangs up returns with an error instead
// of hanging the cleanup.
func Handle(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var (
		mu    sync.Mutex
		conns = make(map[net.Conn]struct{})
		ended bool
		wg    sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		ended = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if ended {
				// Accepted just as the cleanup closed the others.
				mu.Unlock()
				c.Close()
				return
			}
			conns[c] = struct{}{}
			mu.Unlock()
			// The accept loop is still counted in wg, so this Add may
			// run while the cleanup waits.
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
					c.Close()
				}()
				handle(c)
			})
		}
	})
}
