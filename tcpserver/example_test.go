package tcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/netkit-dev/netkit/tcpserver"
)

// A line protocol on the server core: Next marks the request boundaries, so
// Shutdown closes connections waiting between requests and lets a request
// already read get its reply.
func Example() {
	srv := &tcpserver.Server{
		IdleTimeout: 30 * time.Second,
		Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
			r := c.Reader()
			for c.Next() {
				line, err := r.ReadLine()
				if err != nil {
					return err
				}
				if _, err := c.Write([]byte(strings.ToUpper(string(line)))); err != nil {
					return err
				}
			}
			return c.Err()
		}),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	fmt.Fprint(c, "hello\nworld\n")
	br := bufio.NewReader(c)
	for range 2 {
		reply, _ := br.ReadString('\n')
		fmt.Print(reply)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", srv.Shutdown(ctx))
	_, err = br.ReadByte()
	fmt.Println("client reads:", err)
	fmt.Println("serve:", <-served)
	c.Close()
	st := srv.Stats()
	fmt.Printf("accepted=%d requests=%d errors=%d\n", st.Accepted, st.Requests, st.Errors)
	// Output:
	// HELLO
	// WORLD
	// shutdown: <nil>
	// client reads: EOF
	// serve: tcpserver: server closed
	// accepted=1 requests=2 errors=0
}
