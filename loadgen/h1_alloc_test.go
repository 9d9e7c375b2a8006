package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
)

// TestH1NoAllocs: a request of the HTTP engine on a kept-alive connection
// (write, read, parse, count) allocates nothing.
func TestH1NoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own account")
	}
	addr := quietServer(t)
	cfg := &Config{Target: HTTP, URL: "http://" + addr + "/x?y=1", Header: http.Header{"X-A": {"1"}}}
	st := &runState{cfg: cfg, rec: newRecorder(cfg), sessions: map[closer]struct{}{}}
	d, err := newDialer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := newH1Engine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := newH1Session(st, d, eng, 0)
	defer s.close()
	ctx := context.Background()
	do := func() {
		if err := s.do(ctx, time.Now(), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		do() // the connection, the buffer, the status code's counter
	}
	if n := testing.AllocsPerRun(2000, do); n != 0 {
		t.Errorf("%v allocations per request, want 0", n)
	}
}

// BenchmarkReadH1Response parses a typical small response from a buffer:
// the engine's share of a request's CPU beside its system calls.
func BenchmarkReadH1Response(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Fri, 04 Dec 2026 08:00:00 GMT\r\nContent-Length: 14\r\n\r\nHello, World!\n")
	data := bytes.Repeat(resp, 512)
	r := bytes.NewReader(data)
	br := bufio.NewReaderSize(r, h1BufSize)
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readH1Response(br, false, DefaultMaxReply); err != nil {
			r.Reset(data)
			br.Reset(r)
		}
	}
}

// quietServer answers every request head with the same bytes, and
// allocates nothing per request itself: it runs in the test's process,
// whose allocations the tests count (net/http's server would allocate).
func quietServer(t *testing.T) string {
	ln := testnet.Listen(t)
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
	testnet.Handle(t, ln, func(c net.Conn) {
		buf := make([]byte, 4096)
		var have int
		for {
			n, err := c.Read(buf[have:])
			if err != nil {
				return
			}
			have += n
			for {
				i := bytes.Index(buf[:have], []byte("\r\n\r\n"))
				if i < 0 {
					break
				}
				copy(buf, buf[i+4:have])
				have -= i + 4
				if _, err := c.Write(answer); err != nil {
					return
				}
			}
		}
	})
	return ln.Addr().String()
}

// TestH1LoopAllocs: the event loop's requests allocate nothing either. A
// whole run is measured, set-up included, so the bound is a fraction of
// an allocation per request: one per request would fail it.
func TestH1LoopAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own account")
	}
	if !loopSupported {
		t.Skip("no event loop on this platform")
	}
	addr := quietServer(t)
	const n = 20000
	cfg := Config{Target: HTTP, URL: "http://" + addr + "/", Conns: 4, Requests: n, Duration: time.Minute}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Run(context.Background(), cfg)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != n || res.Errors != 0 {
		t.Fatalf("%d requests, %d errors %v", res.Requests, res.Errors, res.ErrorsBy)
	}
	per := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%d allocations in the run, %.3f per request", after.Mallocs-before.Mallocs, per)
	if per > 0.25 {
		t.Errorf("%.3f allocations per request, want none beyond set-up", per)
	}
}
