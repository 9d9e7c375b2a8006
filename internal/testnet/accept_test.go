package testnet_test

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/internal/testnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestHandle: each connection gets its own handler, and Handle closes the
// connection once the handler returns.
func TestHandle(t *testing.T) {
	ln := testnet.Listen(t)
	testnet.Handle(t, ln, func(c net.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil {
			io.WriteString(c, line)
		}
	})
	// The clients connect first and the last one talks first: a server
	// taking one connection at a time would not answer it.
	var clients []net.Conn
	for range 3 {
		c := testnet.Dial(t, ln.Addr().String())
		c.SetDeadline(time.Now().Add(10 * time.Second))
		clients = append(clients, c)
	}
	for i := len(clients) - 1; i >= 0; i-- {
		c := clients[i]
		want := string(rune('a'+i)) + "\n"
		io.WriteString(c, want)
		got, err := io.ReadAll(c)
		if string(got) != want || err != nil {
			t.Errorf("client %d read %q, %v; want %q and the end of the connection", i, got, err, want)
		}
	}
}

// TestHandleCleanup: the test's end ends a handler blocked reading from a
// client that is still connected.
func TestHandleCleanup(t *testing.T) {
	started, returned := make(chan struct{}), make(chan struct{})
	var client net.Conn
	// The client stays connected past the server's test.
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	t.Run("server", func(t *testing.T) {
		ln := testnet.Listen(t)
		testnet.Handle(t, ln, func(c net.Conn) {
			defer close(returned)
			close(started)
			c.Read(make([]byte, 1))
		})
		var err error
		if client, err = net.Dial("tcp", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		<-started
	})
	select {
	case <-returned:
	default:
		t.Error("the handler was still running after its test ended")
	}
}
