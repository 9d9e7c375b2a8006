package tcpserver_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

// closedAtOnce reports whether the server closes c without answering a
// line.
func closedAtOnce(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "anyone?\n")
	b, err := io.ReadAll(c)
	var ne net.Error
	return len(b) == 0 && !(errors.As(err, &ne) && ne.Timeout())
}

// TestPerIPConns: with MaxConns 100 per address, the 101st connection
// from 127.0.0.1 is closed at once, the first 100 keep working, and a
// place freed is taken again.
func TestPerIPConns(t *testing.T) {
	srv := &tcpserver.Server{Handler: tlsLineEcho, PerIP: tcpserver.IPLimits{MaxConns: 100, Loopback: true}}
	addr := start(t, srv)
	conns := make([]net.Conn, 100)
	readers := make([]*bufio.Reader, 100)
	for i := range conns {
		conns[i] = testnet.Dial(t, addr)
		readers[i] = bufio.NewReader(conns[i])
		conns[i].SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(conns[i], "hi\n")
		if got, err := readers[i].ReadString('\n'); err != nil || got != "hi\n" {
			t.Fatalf("connection %d: %q, %v", i, got, err)
		}
	}
	if !closedAtOnce(testnet.Dial(t, addr)) {
		t.Fatal("the 101st connection was served")
	}
	for i, c := range conns {
		io.WriteString(c, "still\n")
		if got, err := readers[i].ReadString('\n'); err != nil || got != "still\n" {
			t.Fatalf("connection %d after the refusal: %q, %v", i, got, err)
		}
	}
	if st := srv.Stats(); st.RefusedPerIP != 1 {
		t.Errorf("RefusedPerIP = %d, want 1", st.RefusedPerIP)
	}
	conns[0].Close()
	if !testnet.Eventually(10*time.Second, func() bool {
		c := testnet.Dial(t, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "again\n")
		got, _ := bufio.NewReader(c).ReadString('\n')
		c.Close()
		return got == "again\n"
	}) {
		t.Error("a freed place was not taken again")
	}
}

// TestPerIPRate: a flood of connections from one address gets the burst
// and the rate, and the rest are closed at once.
func TestPerIPRate(t *testing.T) {
	srv := &tcpserver.Server{Handler: tlsLineEcho, PerIP: tcpserver.IPLimits{Rate: 10, Burst: 20, Loopback: true}}
	addr := start(t, srv)
	begin := time.Now()
	for range 200 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	elapsed := time.Since(begin)
	if !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Accepted == 200 }) {
		t.Fatalf("stats %+v", srv.Stats())
	}
	st := srv.Stats()
	admitted := st.Accepted - st.RefusedRate
	if limit := 20 + int64(elapsed.Seconds()*10) + 1; admitted > limit {
		t.Errorf("%d of 200 admitted in %v, want at most %d (burst 20, 10/s)", admitted, elapsed, limit)
	}
	if admitted < 20 {
		t.Errorf("%d admitted, want the burst of 20 at least", admitted)
	}
}

// TestPerIPLoopbackExempt: without Loopback, local clients are not
// limited.
func TestPerIPLoopbackExempt(t *testing.T) {
	srv := &tcpserver.Server{Handler: tlsLineEcho, PerIP: tcpserver.IPLimits{MaxConns: 5, Rate: 1, Burst: 1}}
	addr := start(t, srv)
	for i := range 20 {
		c := testnet.Dial(t, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, "x\n")
		if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "x\n" {
			t.Fatalf("loopback connection %d: %q, %v", i, got, err)
		}
	}
}

// TestIPLimiterPrefix: IPv6 clients share their /64; IPv4 ones are
// apart.
func TestIPLimiterPrefix(t *testing.T) {
	addr := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:2000", true},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:3::1]:1000", false},
		{"192.0.2.1:1000", "192.0.2.2:1000", false},
		{"192.0.2.7:1000", "[::ffff:192.0.2.7]:2000", true},
	} {
		l := tcpserver.NewIPLimiter(tcpserver.IPLimits{MaxConns: 1})
		rel, err := l.Admit(addr(tt.a))
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Admit(addr(tt.b))
		if same := errors.Is(err, tcpserver.ErrIPConns); same != tt.same {
			t.Errorf("%s then %s: refused %v, want %v", tt.a, tt.b, same, tt.same)
		}
		rel()
	}
}

// TestLimitListener: an HTTP-style listener refuses the address's
// connection over its limit before any read.
func TestLimitListener(t *testing.T) {
	ln := testnet.Listen(t)
	l := tcpserver.NewIPLimiter(tcpserver.IPLimits{MaxConns: 1, Loopback: true})
	ll := tcpserver.LimitListener(ln, l, nil, "test")
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ll.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	first := testnet.Dial(t, ln.Addr().String())
	a := <-accepted
	second := testnet.Dial(t, ln.Addr().String())
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Error("the second connection was not closed")
	}
	if conns, _ := l.Refused(); conns != 1 {
		t.Errorf("refused %d, want 1", conns)
	}
	a.Close() // gives the place back
	first.Close()
	if !testnet.Eventually(10*time.Second, func() bool {
		testnet.Dial(t, ln.Addr().String())
		select {
		case c := <-accepted:
			c.Close()
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}) {
		t.Error("no connection accepted after the first closed")
	}
	ln.Close()
}
