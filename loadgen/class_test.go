package loadgen_test

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/netclass"
)

// hangUp serves 127.0.0.1:0 with a server that reads each request line and
// then closes the connection without an answer: with a FIN, or with an RST
// when abort is set.
func hangUp(t *testing.T, abort bool) string {
	t.Helper()
	ln := testnet.Listen(t)
	testnet.Handle(t, ln, func(c net.Conn) {
		// Reading the line first keeps the close orderly: a line
		// arriving after it would draw an RST.
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			return
		}
		if abort {
			c.(*net.TCPConn).SetLinger(0)
		}
	})
	return ln.Addr().String()
}

// TestErrorClasses: Result.ErrorsBy counts by netclass.Of, so a server
// that hangs up is "eof" and one that aborts is "reset", as the HTTP client
// names them.
func TestErrorClasses(t *testing.T) {
	for _, tt := range []struct {
		abort bool
		want  netclass.Class
	}{
		{false, netclass.EOF},
		{true, netclass.Reset},
	} {
		t.Run(string(tt.want), func(t *testing.T) {
			addr := hangUp(t, tt.abort)
			res := run(t, loadgen.Config{Target: loadgen.Line, Addr: addr, Conns: 1, Requests: 3, Duration: 5 * time.Second})
			if res.Errors != 3 || res.ErrorsBy[string(tt.want)] != 3 {
				t.Errorf("Errors = %d %v, want 3 %s", res.Errors, res.ErrorsBy, tt.want)
			}
		})
	}
}
