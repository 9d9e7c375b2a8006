package testnet

import (
	"context"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/tcpserver"
)

// Serve runs srv on a Listen listener and returns its address; when the
// test ends it shuts srv down gracefully (5 s at most) and waits for Serve
// to return.
func Serve(t testing.TB, srv *tcpserver.Server) string {
	t.Helper()
	ln := Listen(t)
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
