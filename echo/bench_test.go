package echo_test

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/stream"
	"github.com/netkit-dev/netkit/tcpserver"
)

func benchServer(b *testing.B) string {
	b.Helper()
	srv := &tcpserver.Server{Handler: echo.Handler{}, MaxConns: -1}
	return testnet.Serve(b, srv)
}

// BenchmarkEchoRoundTrip: one connection, one request at a time (the
// chapter's client pattern); ns/op is the round-trip time on loopback.
func BenchmarkEchoRoundTrip(b *testing.B) {
	c := testnet.Dial(b, benchServer(b))
	br := bufio.NewReader(c)
	req := []byte("hello netkit\n")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Write(req)
		if _, err := br.ReadSlice('\n'); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEchoParallel: GOMAXPROCS x 16 connections at once (see
// bench/echo.sh for 1, 100 and 1,000 connections with CPU per request).
func BenchmarkEchoParallel(b *testing.B) {
	addr := benchServer(b)
	b.SetParallelism(16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		req := []byte("hello netkit\n")
		for pb.Next() {
			c.Write(req)
			if _, err := br.ReadSlice('\n'); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkEchoPipelined: 64 lines per write on one connection, answered
// in batches with one write each.
func BenchmarkEchoPipelined(b *testing.B) {
	c := testnet.Dial(b, benchServer(b))
	var batch []byte
	for range 64 {
		batch = append(batch, "hello netkit\n"...)
	}
	want := 64 * len("ECHO: hello netkit\n")
	buf := make([]byte, want)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Write(batch)
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadLine measures the bounded line reader alone.
func BenchmarkReadLine(b *testing.B) {
	var data []byte
	for range 1000 {
		data = append(data, "hello netkit, a line of modest length\n"...)
	}
	rd := &repeatReader{data: data}
	r := stream.NewReader(rd, 0)
	b.SetBytes(int64(len("hello netkit, a line of modest length\n")))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := r.ReadLine(); err != nil {
			b.Fatal(err)
		}
	}
}

type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}
