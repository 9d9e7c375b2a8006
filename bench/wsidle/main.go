// Command wsidle holds many idle chat connections open against a running
// netkit serve on this machine (loopback addresses only), so that the server's memory per idle connection can be
// read: TCP chat clients (-kind tcp) or WebSocket chat clients (-kind ws).
//
//	wsidle -kind tcp -addr 127.0.0.1:7002 -n 10000
//	wsidle -kind ws -url ws://127.0.0.1:8080/ws/chat -n 10000
//
// Each connection reads its welcome line, so it is known to be served.
// Then it moves to a room of -room-size members (connection i to room
// "idle-" i/size) and reads its own join notice there: every client that
// connects is announced to the whole of the room it lands in ("lobby"),
// so 10,000 clients left there (-room-size 0) would cost the server 50
// million notice deliveries. Rooms of 100 (the default) are the workload
// of docs/CLUSTER.md's capacity plan; a connection receives the join
// notices of the rest of its room, then nothing more.
//
// Connections are dialled 64 at a time (-c), each dial and handshake
// bounded by -dial-timeout. Once all are open, wsidle prints "ready N" on
// stdout and holds them until stdin is closed, SIGINT or SIGTERM arrives,
// or -hold passes (60 s by default, at most 10 minutes); then it closes
// them all (without the WebSocket closing handshake) and exits. From its
// join on, a goroutine per connection keeps reading: for WebSocket it
// answers the server's pings (every 30 s; a ping unanswered for 10 s
// closes the connection), for both it counts connections that the server
// closes. wsidle exits with status 1 if a connection could not be opened
// or was lost.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

const (
	maxConns = 100000
	maxHold  = 10 * time.Minute
)

func main() {
	kind := flag.String("kind", "tcp", "tcp (chat over TCP, -addr) or ws (chat over WebSocket, -url)")
	addr := flag.String("addr", "127.0.0.1:7002", "chat service address, for -kind tcp")
	wsURL := flag.String("url", "ws://127.0.0.1:8080/ws/chat", "WebSocket chat URL, for -kind ws")
	n := flag.Int("n", 10000, "connections to hold (at most 100000)")
	conc := flag.Int("c", 64, "dials in progress at once")
	dialTimeout := flag.Duration("dial-timeout", 10*time.Second, "bound on each connection's dial, handshake and first lines")
	hold := flag.Duration("hold", 60*time.Second, "hold the connections at most this long (at most 10m)")
	roomSize := flag.Int("room-size", 100, "members per room: connection i joins room idle-<i/size> (0: all stay in the lobby)")
	flag.Parse()

	if *n < 1 || *n > maxConns || *conc < 1 || *conc > 1024 || *hold <= 0 || *hold > maxHold || *dialTimeout <= 0 || *dialTimeout > time.Minute || *roomSize < 0 {
		fatalf("-n must be in [1, %d], -c in [1, 1024], -hold in (0, %v], -dial-timeout in (0, 1m], -room-size at least 0", maxConns, maxHold)
	}
	var d dialer
	switch *kind {
	case "tcp":
		requireLoopback(*addr)
		d = &tcpDialer{addr: *addr}
	case "ws":
		u, err := url.Parse(*wsURL)
		if err != nil || u.Scheme != "ws" {
			fatalf("-url %q: want ws://HOST:PORT/PATH", *wsURL)
		}
		requireLoopback(u.Host)
		d = newWSDialer(*wsURL)
	default:
		fatalf("-kind must be tcp or ws")
	}
	raiseNoFile()

	start := time.Now()
	var r readers
	conns, err := dialAll(d, *n, *conc, *dialTimeout, *roomSize, &r)
	if err != nil {
		r.stop(conns)
		fatalf("%v (%d of %d connections were open)", err, countOpen(conns), *n)
	}
	if l := r.lost.Load(); l > 0 {
		r.stop(conns)
		fatalf("%d connections were closed by the server while the others were opened", l)
	}
	fmt.Fprintf(os.Stderr, "wsidle: %d %s connections open in %v\n", *n, *kind, time.Since(start).Round(time.Millisecond))

	fmt.Printf("ready %d\n", len(conns))
	waitForEnd(*hold)

	r.stop(conns)
	if l := r.lost.Load(); l > 0 {
		fatalf("%d connections were closed by the server while held", l)
	}
	fmt.Fprintf(os.Stderr, "wsidle: closed %d connections\n", len(conns))
}

// readers are the goroutines that read the open connections: they answer
// WebSocket pings and count the connections that the server closes.
type readers struct {
	wg      sync.WaitGroup
	closing atomic.Bool // set before we close the connections
	lost    atomic.Int64
}

func (r *readers) start(c conn) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		c.drain()
		if !r.closing.Load() {
			r.lost.Add(1)
		}
	}()
}

// stop closes the connections and waits for their readers.
func (r *readers) stop(conns []conn) {
	r.closing.Store(true)
	closeAll(conns)
	r.wg.Wait()
}

// waitForEnd returns when stdin reaches its end, a signal arrives or hold
// passes.
func waitForEnd(hold time.Duration) {
	stdinDone := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stdinDone)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	t := time.NewTimer(hold)
	defer t.Stop()
	select {
	case <-stdinDone:
	case <-sig:
	case <-t.C:
		fmt.Fprintf(os.Stderr, "wsidle: -hold %v passed\n", hold)
	}
}

// conn is one held chat connection.
type conn interface {
	// readLine reads the next line from the server.
	readLine() (string, error)
	// writeLine sends one line.
	writeLine(ctx context.Context, s string) error
	// drain reads until the connection fails or is closed.
	drain()
	close()
}

type dialer interface {
	dial(ctx context.Context) (conn, error)
}

// dialAll opens n connections, conc at a time, and starts a reader for
// each. On an error it returns the first one with the connections opened
// so far (nil entries for the others).
func dialAll(d dialer, n, conc int, timeout time.Duration, roomSize int, r *readers) ([]conn, error) {
	conns := make([]conn, n)
	next := make(chan int)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := open(d, i, timeout, roomSize)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
				r.start(c)
			}
		}()
	}
	for i := 0; i < n && !failed(); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return conns, firstErr
}

// open dials connection i, reads its welcome and, with roomSize > 0,
// moves it to its room, all within timeout.
func open(d dialer, i int, timeout time.Duration, roomSize int) (conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := d.dial(ctx)
	if err != nil {
		return nil, err
	}
	// The connection's reads are bounded by ctx too: a TCP deadline, or
	// the WebSocket read's context.
	stop := context.AfterFunc(ctx, c.close)
	err = handshake(ctx, c, i, roomSize)
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func handshake(ctx context.Context, c conn, i, roomSize int) error {
	line, err := c.readLine()
	if err != nil {
		return fmt.Errorf("reading the welcome: %w", err)
	}
	// "Welcome! You are NAME. N client(s) connected."
	name, ok := strings.CutPrefix(line, "Welcome! You are ")
	if k := strings.Index(name, ". "); ok && k > 0 {
		name = name[:k]
	} else {
		return fmt.Errorf("first line %q is no welcome", line)
	}
	if roomSize == 0 {
		return nil
	}
	room := "idle-" + strconv.Itoa(i/roomSize)
	if err := c.writeLine(ctx, "/join "+room); err != nil {
		return fmt.Errorf("sending /join: %w", err)
	}
	// Notices of other clients joining and leaving the lobby, or joining
	// the room, may come first; the join is done at our own notice.
	want := "* " + name + " joined " + room
	for range 10000 {
		line, err := c.readLine()
		if err != nil {
			return fmt.Errorf("waiting for the join of %s: %w", room, err)
		}
		if strings.HasSuffix(line, want) {
			return nil
		}
		if strings.Contains(line, "] ! ") {
			return fmt.Errorf("/join %s: %s", room, line)
		}
	}
	return fmt.Errorf("no join notice for %s in 10000 lines", room)
}

func closeAll(conns []conn) {
	for _, c := range conns {
		if c != nil {
			c.close()
		}
	}
}

func countOpen(conns []conn) int {
	k := 0
	for _, c := range conns {
		if c != nil {
			k++
		}
	}
	return k
}

// TCP chat.

type tcpDialer struct{ addr string }

func (d *tcpDialer) dial(ctx context.Context) (conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	return &tcpConn{c: c, r: bufio.NewReaderSize(c, 1024)}, nil
}

type tcpConn struct {
	c net.Conn
	r *bufio.Reader
}

func (c *tcpConn) readLine() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c *tcpConn) writeLine(_ context.Context, s string) error {
	_, err := io.WriteString(c.c, s+"\n")
	return err
}

func (c *tcpConn) drain() { io.Copy(io.Discard, c.r) }

func (c *tcpConn) close() { c.c.Close() }

// WebSocket chat: one text message per line.

type wsDialer struct {
	url    string
	client *http.Client
}

func newWSDialer(u string) *wsDialer {
	// A transport of its own, without http.DefaultTransport's proxy from
	// the environment: the server is on loopback.
	return &wsDialer{url: u, client: &http.Client{Transport: &http.Transport{}}}
}

func (d *wsDialer) dial(ctx context.Context) (conn, error) {
	ws, resp, err := websocket.Dial(ctx, d.url, &websocket.DialOptions{HTTPClient: d.client})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %s)", err, resp.Status)
		}
		return nil, err
	}
	// The server sends chat lines, short notices; a small limit keeps the
	// client's buffers small too.
	ws.SetReadLimit(8 << 10)
	ctx2, cancel := context.WithCancel(context.Background())
	return &wsConn{ws: ws, ctx: ctx2, cancel: cancel}, nil
}

type wsConn struct {
	ws     *websocket.Conn
	ctx    context.Context // of reads; cancelled by close
	cancel context.CancelFunc
}

func (c *wsConn) readLine() (string, error) {
	typ, msg, err := c.ws.Read(c.ctx)
	if err != nil {
		return "", err
	}
	if typ != websocket.MessageText {
		return "", fmt.Errorf("binary message from the server")
	}
	return string(msg), nil
}

func (c *wsConn) writeLine(ctx context.Context, s string) error {
	return c.ws.Write(ctx, websocket.MessageText, []byte(s))
}

func (c *wsConn) drain() {
	for {
		if _, _, err := c.ws.Read(c.ctx); err != nil {
			return
		}
	}
}

func (c *wsConn) close() {
	c.cancel()
	c.ws.CloseNow()
}

// requireLoopback exits unless hostport names a loopback address: wsidle
// is a benchmark of a server on this machine, not a load generator.
func requireLoopback(hostport string) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		fatalf("%q: want HOST:PORT", hostport)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fatalf("%q is not a loopback address", hostport)
	}
}

// raiseNoFile lifts the soft open-files limit to the hard one.
func raiseNoFile() {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "wsidle: "+format+"\n", args...)
	os.Exit(1)
}
