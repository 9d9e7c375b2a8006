// Command rpcserver serves netkit's JSON-RPC service (the chapter's add,
// greet and echo methods over 4-byte length-prefixed frames) on one
// address, for the comparative suite while netkit serve has no JSON-RPC
// listener of its own. It prints "PORT <n>" when ready and stops on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	rpc := &jsonrpc.Server{}
	jsonrpc.RegisterChapterMethods(rpc)
	srv := &tcpserver.Server{Handler: rpc.TCPHandler()}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcserver:", err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\n", ln.Addr().(*net.TCPAddr).Port)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "rpcserver:", err)
		os.Exit(1)
	}
}
