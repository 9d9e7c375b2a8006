package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestH1NoAllocs: a request of the HTTP engine on a kept-alive connection
// (write, read, parse, count) allocates nothing.
func TestH1NoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own account")
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("hello")) }))
	defer hs.Close()
	cfg := &Config{Target: HTTP, URL: hs.URL + "/x?y=1", Header: http.Header{"X-A": {"1"}}}
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
