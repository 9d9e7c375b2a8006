// Command chatserver runs netkit's chat service alone, for benchmarks that
// want the server in its own process (as the Python peer is): it listens on
// 127.0.0.1, prints the port when ready, and serves until killed.
//
//	go run ./bench/chatserver [-port 0] [-rate -1]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"strconv"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/tcpserver"
)

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: any free port)")
	rate := flag.Float64("rate", -1, "lines a second per client (negative: no flood control)")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		log.Fatal(err)
	}
	srv := &tcpserver.Server{
		Handler:     chat.NewServer(chat.Config{Rate: *rate}),
		IdleTimeout: -1,
		MaxConns:    -1,
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	log.Fatal(srv.Serve(ln))
}
