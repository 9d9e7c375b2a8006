package tcpserver_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// lineEcho answers each line with the same line; "panic\n" panics and
// "block\n" waits for release before answering.
type lineEcho struct {
	release chan struct{}
	started chan struct{}
}

func (h *lineEcho) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	r := c.Reader()
	for c.Next() {
		line, err := r.ReadLine()
		if err != nil {
			return err
		}
		switch string(line) {
		case "panic\n":
			panic("boom")
		case "block\n":
			h.started <- struct{}{}
			<-h.release
		}
		if _, err := c.Write(line); err != nil {
			return err
		}
	}
	return c.Err()
}

// start serves h on a loopback port and returns the server and its address;
// the server is closed when the test ends.
func start(t *testing.T, srv *tcpserver.Server) string {
	t.Helper()
	ln := testnet.Listen(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, tcpserver.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		srv.Wait(context.Background())
	})
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, msg string) string {
	t.Helper()
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
	got, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reply to %q: %v", msg, err)
	}
	return got
}

func TestServePipelined(t *testing.T) {
	srv := &tcpserver.Server{Handler: &lineEcho{}}
	addr := start(t, srv)
	c := testnet.Dial(t, addr)
	io.WriteString(c, "one\ntwo\nthree\n")
	br := bufio.NewReader(c)
	for _, want := range []string{"one\n", "two\n", "three\n"} {
		if got, err := br.ReadString('\n'); got != want || err != nil {
			t.Fatalf("reply = %q, %v; want %q", got, err, want)
		}
	}
	c.(*net.TCPConn).CloseWrite()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after client FIN: %v, want EOF", err)
	}
	if !testnet.Eventually(2*time.Second, func() bool { return srv.Stats().Active == 0 }) {
		t.Fatalf("connection still active: %+v", srv.Stats())
	}
	st := srv.Stats()
	if st.Accepted != 1 || st.Requests != 3 || st.BytesIn != 14 || st.BytesOut != 14 || st.Errors != 0 {
		t.Errorf("Stats = %+v; want 1 accepted, 3 requests, 14 bytes each way, no errors", st)
	}
}

func TestPanicRecovered(t *testing.T) {
	srv := &tcpserver.Server{Handler: &lineEcho{}}
	addr := start(t, srv)
	bad := testnet.Dial(t, addr)
	io.WriteString(bad, "panic\n")
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Error("panicking connection stayed open")
	}
	good := testnet.Dial(t, addr)
	if got := roundTrip(t, good, bufio.NewReader(good), "still here\n"); got != "still here\n" {
		t.Errorf("after a panic: %q", got)
	}
	if st := srv.Stats(); st.Panics != 1 || st.Errors != 1 {
		t.Errorf("Stats = %+v; want 1 panic counted as an error", st)
	}
}

func TestMaxConns(t *testing.T) {
	srv := &tcpserver.Server{Handler: &lineEcho{}, MaxConns: 5}
	addr := start(t, srv)
	var held []net.Conn
	for i := 0; i < 5; i++ {
		c := testnet.Dial(t, addr)
		roundTrip(t, c, bufio.NewReader(c), "hi\n")
		held = append(held, c)
	}
	extra := testnet.Dial(t, addr)
	extra.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := extra.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("connection over the limit read %d, %v; want EOF", n, err)
	}
	if st := srv.Stats(); st.Rejected != 1 || st.Active != 5 {
		t.Errorf("Stats = %+v; want 1 rejected, 5 active", st)
	}
	// The held connections are still served, and a slot frees up on close.
	roundTrip(t, held[0], bufio.NewReader(held[0]), "again\n")
	held[1].Close()
	if !testnet.Eventually(2*time.Second, func() bool { return srv.Stats().Active == 4 }) {
		t.Fatal("closed connection not released")
	}
	c := testnet.Dial(t, addr)
	if got := roundTrip(t, c, bufio.NewReader(c), "in\n"); got != "in\n" {
		t.Errorf("after a slot freed: %q", got)
	}
}

// TestIdleTimeoutSlowDrip: clients that send a byte at a time without ever
// finishing a line are cut off by the timeout while normal clients are
// served throughout (scaled down from 1,000 clients at 1 byte/s).
func TestIdleTimeoutSlowDrip(t *testing.T) {
	const drips = 50
	// 400 ms leaves the well-behaved client (10 ms think time) a wide
	// margin on a loaded machine; the drips would last 2 s.
	srv := &tcpserver.Server{Handler: &lineEcho{}, IdleTimeout: 400 * time.Millisecond}
	if closed := slowDrip(t, srv, drips, 50*time.Millisecond, 40, 20, 10*time.Millisecond); closed != drips {
		t.Errorf("%d of %d slow clients were closed", closed, drips)
	}
	if !testnet.Eventually(3*time.Second, func() bool { return srv.Stats().Active <= 1 }) {
		t.Errorf("Stats = %+v; want only the good client active", srv.Stats())
	}
}

// slowDrip serves srv and opens drips connections that each send a byte
// every interval, at most count bytes and never a newline, while one
// well-behaved client makes rounds round trips with think time between
// them. It returns how many of the drips the server closed.
func slowDrip(t *testing.T, srv *tcpserver.Server, drips int, every time.Duration, count, rounds int, think time.Duration) int64 {
	t.Helper()
	addr := start(t, srv)
	var wg sync.WaitGroup
	var closed atomic.Int64
	for i := range drips {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				tick := time.NewTicker(every)
				defer tick.Stop()
				for range count {
					if _, err := c.Write([]byte("x")); err != nil {
						return
					}
					select {
					case <-stop:
						return
					case <-tick.C:
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(2*time.Duration(count)*every + time.Second))
			if _, err := io.Copy(io.Discard, c); !errors.Is(err, os.ErrDeadlineExceeded) {
				closed.Add(1) // EOF or reset: the server closed it
			}
		}()
	}
	// The well-behaved client keeps being served while the drips are cut.
	good := testnet.Dial(t, addr)
	br := bufio.NewReader(good)
	for i := range rounds {
		msg := fmt.Sprintf("ok %d\n", i)
		if got := roundTrip(t, good, br, msg); got != msg {
			t.Fatalf("good client got %q, want %q", got, msg)
		}
		time.Sleep(think) // client think time, shorter than the idle timeout
	}
	wg.Wait()
	return closed.Load()
}

func TestIdleTimeoutErr(t *testing.T) {
	errc := make(chan error, 1)
	// ReadTimeout (by default IdleTimeout) runs from the accept until the
	// first Next: a long one keeps a handler that starts late on a loaded
	// machine from seeing a read timeout instead.
	srv := &tcpserver.Server{IdleTimeout: 50 * time.Millisecond, ReadTimeout: time.Minute, Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		for c.Next() {
			c.Reader().ReadLine()
		}
		errc <- c.Err()
		return nil
	})}
	addr := start(t, srv)
	testnet.Dial(t, addr)
	if err := <-errc; !errors.Is(err, tcpserver.ErrIdleTimeout) {
		t.Errorf("Err() after idling = %v, want ErrIdleTimeout", err)
	}
	if st := srv.Stats(); st.Timeouts != 1 {
		t.Errorf("Timeouts = %d, want 1", st.Timeouts)
	}
}

// TestTooLongLine sends a 10 MiB line without a newline: the server answers
// with an error and closes, without buffering the line.
func TestTooLongLine(t *testing.T) {
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		for c.Next() {
			if _, err := c.Reader().ReadLine(); err != nil {
				c.Write([]byte("ERR " + err.Error() + "\n"))
				return err
			}
		}
		return c.Err()
	})}
	addr := start(t, srv)
	chunk := []byte(strings.Repeat("x", 64<<10))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := testnet.Dial(t, addr)
	reply := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(c)
		reply <- string(b)
	}()
	sent := 0
	for sent < 10<<20 {
		n, err := c.Write(chunk)
		sent += n
		if err != nil {
			break // the server closed: what it expected
		}
	}
	got := <-reply
	runtime.ReadMemStats(&after)
	if !strings.HasPrefix(got, "ERR stream: readline: longer than 65536 bytes") {
		t.Errorf("reply to a 10 MiB line = %.60q, want the too-long error", got)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("server allocated %d bytes while receiving a 10 MiB line; want well under the line's size", grew)
	}
	// Others are still served.
	g := testnet.Dial(t, addr)
	g.Write([]byte("fine\n"))
	g.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, g)
}

// TestShutdownBusyFinishes: a request being answered when Shutdown begins
// gets its reply; the idle connection is closed at once.
func TestShutdownBusyFinishes(t *testing.T) {
	h := &lineEcho{release: make(chan struct{}), started: make(chan struct{})}
	srv := &tcpserver.Server{Handler: h}
	addr := start(t, srv)
	busy := testnet.Dial(t, addr)
	idle := testnet.Dial(t, addr)
	roundTrip(t, idle, bufio.NewReader(idle), "warm\n")
	io.WriteString(busy, "block\n")
	<-h.started

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	// The idle connection reads a clean end of stream.
	idle.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("idle connection during shutdown read %d, %v; want EOF", n, err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("new connection accepted after Shutdown began")
	}
	close(h.release)
	br := bufio.NewReader(busy)
	if got, err := br.ReadString('\n'); got != "block\n" || err != nil {
		t.Errorf("busy reply = %q, %v; want block", got, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("busy connection after its reply: %v, want EOF", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	h := &lineEcho{release: make(chan struct{}), started: make(chan struct{})}
	srv := &tcpserver.Server{Handler: h}
	addr := start(t, srv)
	c := testnet.Dial(t, addr)
	io.WriteString(c, "block\n")
	<-h.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown with a stuck handler = %v, want DeadlineExceeded", err)
	}
	close(h.release)
}

func TestHandlerContextCancelled(t *testing.T) {
	ctxDone := make(chan struct{})
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		<-ctx.Done() // a handler that never calls Next must watch ctx
		close(ctxDone)
		return nil
	})}
	addr := start(t, srv)
	testnet.Dial(t, addr)
	if !testnet.Eventually(2*time.Second, func() bool { return srv.Stats().Active == 1 }) {
		t.Fatal("connection not accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	<-ctxDone
}

// TestShutdownUnderLoad: 200 clients send requests back to back; Shutdown
// must answer every request the server read, give every client a clean end
// of stream, and return before its deadline.
func TestShutdownUnderLoad(t *testing.T) {
	t.Run("goroutines", func(t *testing.T) { shutdownUnderLoad(t, 0) })
	// With parking every few milliseconds, connections move between their
	// goroutines and the parker throughout the run.
	t.Run("parking", func(t *testing.T) { shutdownUnderLoad(t, time.Millisecond) })
}

func shutdownUnderLoad(t *testing.T, park time.Duration) {
	const clients = 200
	srv := &tcpserver.Server{Handler: &lineEcho{}, ParkIdle: park}
	addr := start(t, srv)
	var replies, sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			br := bufio.NewReader(c)
			for j := 0; j < 1_000_000; j++ {
				msg := fmt.Sprintf("c%d-%d\n", i, j)
				if _, err := io.WriteString(c, msg); err != nil {
					errs <- fmt.Errorf("write: %w", err)
					return
				}
				sent.Add(1)
				got, err := br.ReadString('\n')
				if err == io.EOF && got == "" {
					return // clean close by the server
				}
				if err != nil || got != msg {
					errs <- fmt.Errorf("reply %q, %v; want %q", got, err, msg)
					return
				}
				replies.Add(1)
			}
		}()
	}
	// Every client is connected and sending before Shutdown: a connection
	// still in the accept queue when it begins is reset, not served.
	if !testnet.Eventually(10*time.Second, func() bool {
		st := srv.Stats()
		return st.Accepted == clients && st.Requests > 5*clients
	}) {
		t.Fatalf("load did not start: %+v", srv.Stats())
	}
	grace := 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	began := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v after %v", err, time.Since(began))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := srv.Stats()
	if st.Requests != replies.Load() {
		t.Errorf("server read %d requests, clients got %d replies (sent %d)", st.Requests, replies.Load(), sent.Load())
	}
	t.Logf("%d requests answered; Shutdown took %v", st.Requests, time.Since(began))
}

// TestWriteTimeout: a client that stops reading cannot hold a handler
// longer than WriteTimeout.
func TestWriteTimeout(t *testing.T) {
	errc := make(chan error, 1)
	srv := &tcpserver.Server{WriteTimeout: 100 * time.Millisecond, Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		chunk := make([]byte, 64<<10)
		for i := 0; i < 10000; i++ { // at most 640 MiB, far beyond any socket buffer
			if _, err := c.Write(chunk); err != nil {
				errc <- err
				return err
			}
		}
		errc <- nil
		return nil
	})}
	addr := start(t, srv)
	testnet.Dial(t, addr) // never reads
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("Write to a client that does not read = %v, want a deadline error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("write to a stalled client was not cut off")
	}
	if st := srv.Stats(); st.Timeouts != 1 {
		t.Errorf("Timeouts = %d, want 1", st.Timeouts)
	}
}

// TestSlowDripThousand is the figure: 1,000 clients each sending a
// byte a second are all closed by the timeout, while a normal client is
// served throughout. Skipped with -short.
func TestSlowDripThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 connections")
	}
	const drips = 1000
	srv := &tcpserver.Server{Handler: &lineEcho{}, IdleTimeout: time.Second, Linger: -1}
	if closed := slowDrip(t, srv, drips, time.Second, 5, 15, 100*time.Millisecond); closed != drips {
		t.Errorf("%d of %d slow clients were closed", closed, drips)
	}
	if st := srv.Stats(); st.Timeouts < drips {
		t.Errorf("Stats = %+v; want %d timeouts", st, drips)
	}
}

// TestWriteErrors: Conn.Write reports failures as net.Conn.Write does (a
// *net.OpError wrapping the cause, for errors.Is), and counts only the
// bytes the kernel took.
func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(c *tcpserver.Conn, client *net.TCPConn)
		want  []error // any of these
	}{
		{"peer reset", func(c *tcpserver.Conn, client *net.TCPConn) {
			client.SetLinger(0)
			client.Close()
		}, []error{syscall.ECONNRESET, syscall.EPIPE}},
		{"closed by the server", func(c *tcpserver.Conn, client *net.TCPConn) {
			c.NetConn().Close()
		}, []error{net.ErrClosed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ready := make(chan *tcpserver.Conn)
			result := make(chan error, 1)
			proceed := make(chan struct{})
			srv := &tcpserver.Server{Linger: -1, Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
				ready <- c
				<-proceed
				chunk := make([]byte, 64<<10)
				for i := 0; i < 1000; i++ {
					if n, err := c.Write(chunk); err != nil {
						if n == len(chunk) {
							t.Errorf("Write failed but reports all %d bytes written", n)
						}
						result <- err
						return nil
					}
				}
				result <- nil
				return nil
			})}
			addr := start(t, srv)
			client := testnet.Dial(t, addr).(*net.TCPConn)
			c := <-ready
			tt.setup(c, client)
			close(proceed)
			err := <-result
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "write" {
				t.Fatalf("Write error = %#v, want a *net.OpError for a write", err)
			}
			for _, w := range tt.want {
				if errors.Is(err, w) {
					return
				}
			}
			t.Errorf("Write error = %v, want one matching %v", err, tt.want)
		})
	}
}

// TestSetMaxConns: raising the limit on a running server admits a
// connection that the old limit refused, with those open kept.
func TestSetMaxConns(t *testing.T) {
	srv := &tcpserver.Server{MaxConns: 2, Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		<-ctx.Done()
		return nil
	})}
	addr := testnet.Serve(t, srv)
	var open []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		open = append(open, c)
	}
	if !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Active == 2 }) {
		t.Fatalf("active %d, want 2", srv.Stats().Active)
	}
	refused := func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = c.Read(make([]byte, 1))
		return err == io.EOF
	}
	if !refused() {
		t.Fatal("a third connection was served over MaxConns 2")
	}
	srv.SetMaxConns(3)
	third, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	if !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Active == 3 }) {
		t.Errorf("after SetMaxConns(3): active %d, want 3", srv.Stats().Active)
	}
}

// TestSetIdleTimeout: lowering the idle timeout on a running server
// closes a connection that has waited longer than the new limit.
func TestSetIdleTimeout(t *testing.T) {
	srv := &tcpserver.Server{IdleTimeout: time.Hour, Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error {
		for c.Next() {
			if _, err := c.Reader().ReadLine(); err != nil {
				return err
			}
		}
		return c.Err()
	})}
	addr := testnet.Serve(t, srv)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.SetIdleTimeout(100 * time.Millisecond)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("an idle connection after SetIdleTimeout(100ms): %v, want it closed (EOF)", err)
	}
}
