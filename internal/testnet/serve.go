package testnet

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/tcpserver"
)

// Serve runs srv on a Listen listener and returns its address; when the
// test ends it shuts srv down as ServeOn does.
func Serve(t testing.TB, srv *tcpserver.Server) string {
	t.Helper()
	return ServeOn(t, srv, Listen(t))
}

// ServeOn runs srv on ln, for tests that need a listener other than
// Listen's (another address family, a wrapped listener), and returns ln's
// address. When the test ends it shuts srv down gracefully (5 s at most)
// and waits for Serve to return, so no connection outlives the test.
func ServeOn(t testing.TB, srv *tcpserver.Server, ln net.Listener) string {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	})
	return ln.Addr().String()
}
