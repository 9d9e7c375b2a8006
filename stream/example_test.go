package stream_test

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/netkit-dev/netkit/stream"
)

// A server and a client using the calls of asyncio's StreamReader and
// StreamWriter: the server reads with ReadExactly, ReadLine and Read
// (readexactly, readline, read(100)) and answers with one gathered write
// (writelines, then drain); the client half-closes (write_eof) and reads
// the whole reply (read(-1)).
func Example() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		r := stream.NewReader(conn, 0)

		header, _ := r.ReadExactly(4)
		fmt.Printf("[Server] readexactly(4): %q\n", header)
		line, _ := r.ReadLine()
		fmt.Printf("[Server] readline(): %q\n", line)
		chunk := make([]byte, 100)
		n, _ := r.Read(chunk)
		fmt.Printf("[Server] read(100): %q\n", chunk[:n])

		peer := conn.RemoteAddr().(*net.TCPAddr)
		local := conn.LocalAddr().(*net.TCPAddr)
		fmt.Printf("[Server] peername=%v, sockname=%v\n", peer.IP, local.IP)

		// writelines + drain: net.Buffers sends the parts with one writev.
		bufs := net.Buffers{
			[]byte("HTTP/1.1 200 OK\r\n"),
			[]byte("Content-Type: text/plain\r\n"),
			[]byte("\r\n"),
			[]byte("Response body here"),
		}
		bufs.WriteTo(conn)
	}()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	conn.Write([]byte("HDR!"))
	conn.Write([]byte("A line of text\n"))
	conn.Write([]byte("Remaining data"))
	stream.CloseWrite(conn) // write_eof

	response, err := stream.NewReader(conn, 0).ReadAll() // read(-1)
	<-done
	fmt.Printf("\n[Client] Full response:\n%s\n", strings.ReplaceAll(string(response), "\r\n", "\n"))
	fmt.Println("error:", err)
	// Output:
	// [Server] readexactly(4): "HDR!"
	// [Server] readline(): "A line of text\n"
	// [Server] read(100): "Remaining data"
	// [Server] peername=127.0.0.1, sockname=127.0.0.1
	//
	// [Client] Full response:
	// HTTP/1.1 200 OK
	// Content-Type: text/plain
	//
	// Response body here
	// error: <nil>
}

// ReadLine stops at its maximum instead of growing to the line's size, and
// ReadExactly reports a short stream with the bytes it did get, like
// asyncio's IncompleteReadError.
func ExampleReader_errors() {
	r := stream.NewReader(strings.NewReader(strings.Repeat("x", 100)+"\n"), 64)
	_, err := r.ReadLine()
	fmt.Println(err)

	r = stream.NewReader(strings.NewReader("abc"), 0)
	_, err = r.ReadExactly(8)
	var ie *stream.IncompleteError
	errors.As(err, &ie)
	fmt.Println(err)
	fmt.Printf("partial %q\n", ie.Partial)
	// Output:
	// stream: readline: longer than 64 bytes
	// stream: readexactly: 3 bytes read on a total of 8 expected bytes
	// partial "abc"
}
