//go:build linux

package tcpserver_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestParkIdle(t *testing.T) {
	const clients = 20
	srv := &tcpserver.Server{Handler: &lineEcho{}, ParkIdle: 20 * time.Millisecond}
	addr := start(t, srv)
	var conns []net.Conn
	var readers []*bufio.Reader
	for i := 0; i < clients; i++ {
		c := testnet.Dial(t, addr)
		conns = append(conns, c)
		readers = append(readers, bufio.NewReader(c))
	}
	// New connections wait parked until their first request.
	if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Parked == clients }) {
		t.Fatalf("new connections not parked: %+v", srv.Stats())
	}
	for round := 0; round < 3; round++ {
		for i, c := range conns {
			msg := fmt.Sprintf("r%d-c%d\n", round, i)
			if got := roundTrip(t, c, readers[i], msg); got != msg {
				t.Fatalf("after parking: %q, want %q", got, msg)
			}
		}
		// Idle past ParkIdle: every connection gives up its goroutine.
		if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Parked == clients }) {
			t.Fatalf("round %d: idle connections not parked: %+v", round, srv.Stats())
		}
	}
	// Pipelined lines sent to a parked connection are all answered.
	io.WriteString(conns[0], "a\nb\nc\n")
	for _, want := range []string{"a\n", "b\n", "c\n"} {
		if got, err := readers[0].ReadString('\n'); got != want || err != nil {
			t.Fatalf("pipelined reply %q, %v; want %q", got, err, want)
		}
	}
	// A client closing a parked connection is noticed.
	conns[1].Close()
	if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Active == clients-1 }) {
		t.Fatalf("closed parked connection still active: %+v", srv.Stats())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown with parked connections = %v", err)
	}
	for i, c := range conns[2:] {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := readers[i+2].ReadByte(); err != io.EOF {
			t.Errorf("parked connection %d at shutdown: %v, want EOF", i+2, err)
		}
	}
	if st := srv.Stats(); st.Active != 0 || st.Parked != 0 || st.Errors != 0 {
		t.Errorf("after Shutdown: %+v", st)
	}
}

func TestParkedIdleTimeout(t *testing.T) {
	// A long ReadTimeout (by default IdleTimeout) keeps a slow round trip
	// on a loaded machine from being cut as a request.
	srv := &tcpserver.Server{Handler: &lineEcho{}, ParkIdle: 10 * time.Millisecond, IdleTimeout: 100 * time.Millisecond, ReadTimeout: time.Minute}
	addr := start(t, srv)
	c := testnet.Dial(t, addr)
	roundTrip(t, c, bufio.NewReader(c), "hi\n")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("parked connection past the idle timeout read %d, %v; want EOF", n, err)
	}
	if !testnet.Eventually(2*time.Second, func() bool { return srv.Stats().Active == 0 }) {
		t.Fatalf("timed-out connection still active: %+v", srv.Stats())
	}
	if st := srv.Stats(); st.Timeouts != 1 || st.Parked != 0 {
		t.Errorf("Stats = %+v; want 1 timeout, none parked", st)
	}
}

func TestParkedClose(t *testing.T) {
	srv := &tcpserver.Server{Handler: &lineEcho{}, ParkIdle: 10 * time.Millisecond}
	addr := start(t, srv)
	for i := 0; i < 5; i++ {
		testnet.Dial(t, addr)
	}
	if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Parked == 5 }) {
		t.Fatalf("not parked: %+v", srv.Stats())
	}
	srv.Close()
	if err := srv.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Active != 0 || st.Parked != 0 {
		t.Errorf("after Close: %+v", st)
	}
}
