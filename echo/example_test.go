package echo_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/tcpserver"
)

// An echo server on a free port and a client exchanging three lines with
// it.
func Example() {
	srv := &tcpserver.Server{Handler: echo.Handler{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	fmt.Println("Server started on 127.0.0.1")

	ctx := context.Background()
	cl, err := echo.Dial(ctx, ln.Addr().String())
	if err != nil {
		panic(err)
	}
	fmt.Println("[Client] Connected")
	messages := []string{"Hello async!", "Python networking", "Goodbye"}
	var responses []string
	for _, msg := range messages {
		resp, err := cl.Echo(ctx, msg)
		if err != nil {
			panic(err)
		}
		fmt.Printf("[Client] Sent: %q, Got: %q\n", msg, resp)
		responses = append(responses, resp)
	}
	cl.Close()

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)

	var expected []string
	for _, m := range messages {
		expected = append(expected, "ECHO: "+m)
	}
	fmt.Printf("\nAll responses correct: %v\n", slices.Equal(responses, expected))
	st := srv.Stats()
	fmt.Printf("Server: %d connection, %d bytes in, %d bytes out\n", st.Accepted, st.BytesIn, st.BytesOut)
	// Output:
	// Server started on 127.0.0.1
	// [Client] Connected
	// [Client] Sent: "Hello async!", Got: "ECHO: Hello async!"
	// [Client] Sent: "Python networking", Got: "ECHO: Python networking"
	// [Client] Sent: "Goodbye", Got: "ECHO: Goodbye"
	//
	// All responses correct: true
	// Server: 1 connection, 39 bytes in, 57 bytes out
}
