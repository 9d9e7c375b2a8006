package jsonrpc_test

import (
	"context"
	"net"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// serveFrames serves s on a loopback listener until the test ends, with
// the plain accept loop of serveListener.
func serveFrames(t testing.TB, s *jsonrpc.Server) string {
	t.Helper()
	ln := testnet.Listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveListener(ctx, s, ln)
	}()
	t.Cleanup(func() { cancel(); ln.Close(); <-done })
	return ln.Addr().String()
}

// serveListener accepts connections until ln is closed and serves each in
// its own goroutine; cancelling ctx stops the connections gracefully. It
// returns once every connection has ended.
func serveListener(ctx context.Context, s *jsonrpc.Server, ln net.Listener) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Go(func() { s.ServeConn(ctx, conn) })
	}
}
