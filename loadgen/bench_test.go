package loadgen

import (
	"bufio"
	"bytes"
	"testing"
	"time"
)

// BenchmarkAccounting is what the generator adds to every request beyond
// its system calls: claiming it, two clock readings, and recording its
// latency in a shard's histogram. Compare with a loopback round trip
// (tens of microseconds).
func BenchmarkAccounting(b *testing.B) {
	cfg := &Config{Target: Line, Addr: "127.0.0.1:1", Conns: 1}
	st := &runState{cfg: cfg, rec: newRecorder(cfg)}
	sh := st.rec.shard(0)
	b.ReportAllocs()
	for b.Loop() {
		if !st.claim() {
			b.Fatal("claim failed")
		}
		start := time.Now()
		end := time.Now()
		sh.success(end.Sub(start), end.Sub(start))
	}
}

// BenchmarkReadLine reads echo replies with the bounded line reader the
// line targets use.
func BenchmarkReadLine(b *testing.B) {
	data := bytes.Repeat([]byte("ECHO: ping\n"), 1024)
	r := bytes.NewReader(data)
	br := bufio.NewReaderSize(r, 4096)
	b.SetBytes(int64(len("ECHO: ping\n")))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readLine(br, DefaultMaxReply); err != nil {
			r.Reset(data)
			br.Reset(r)
		}
	}
}
