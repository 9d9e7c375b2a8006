package tcpserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/stream"
	"github.com/netkit-dev/netkit/tcpserver"
)

// bytesEcho answers whole lines from ServeBytes with "b:LINE" and, once
// handed over, from ServeConn with "c:LINE", "partial:REST" or "too long",
// so a test sees which path answered. "panic\n" panics in ServeBytes.
type bytesEcho struct{}

func (bytesEcho) ServeBytes(_ context.Context, in, out []byte) ([]byte, int, error) {
	advance := 0
	for {
		i := bytes.IndexByte(in[advance:], '\n')
		if i < 0 {
			return out, advance, nil
		}
		line := in[advance : advance+i+1]
		if string(line) == "panic\n" {
			panic("test panic")
		}
		if string(line) == "stream\n" {
			return out, advance, tcpserver.ErrStreaming
		}
		out = append(append(out, "b:"...), line...)
		advance += i + 1
	}
}

func (bytesEcho) ServeConn(ctx context.Context, c *tcpserver.Conn) error {
	r := c.Reader()
	for c.Next() {
		line, err := r.ReadLine()
		var ie *stream.IncompleteError
		switch {
		case errors.As(err, &ie):
			_, err = c.Write([]byte("partial:" + string(ie.Partial) + "\n"))
			return err
		case errors.Is(err, stream.ErrTooLong):
			c.Write([]byte("too long\n"))
			return err
		case err != nil:
			return err
		}
		if _, err := c.Write(append([]byte("c:"), line...)); err != nil {
			return err
		}
	}
	return c.Err()
}

// TestBytesHandler: a BytesHandler's connection is served by ServeBytes,
// and handed to ServeConn for what ServeBytes cannot answer: a request
// longer than MaxRequest, a last request cut off by the end of stream, or
// ErrStreaming. The end of stream that arrives with the last request is
// seen at once.
func TestBytesHandler(t *testing.T) {
	tests := []struct {
		name, send, want string
		panics           int64
	}{
		{"pipelined lines", "a\nb\nc\n", "b:a\nb:b\nb:c\n", 0},
		{"last line without newline", "a\ntail", "b:a\npartial:tail\n", 0},
		{"line over MaxRequest", "a\n" + strings.Repeat("x", 40) + "\n", "b:a\ntoo long\n", 0},
		{"handed over", "a\nstream\nz\n", "b:a\nc:stream\nc:z\n", 0},
		{"panic", "a\npanic\n", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &tcpserver.Server{Handler: bytesEcho{}, MaxRequest: 16, Linger: -1}
			addr := start(t, srv)
			c := testnet.Dial(t, addr)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, tt.send)
			c.(*net.TCPConn).CloseWrite()
			got, _ := io.ReadAll(c)
			if tt.panics == 0 && string(got) != tt.want {
				t.Errorf("replies = %q, want %q", got, tt.want)
			}
			if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Active == 0 }) {
				t.Fatal("the connection was not closed")
			}
			if st := srv.Stats(); st.Panics != tt.panics {
				t.Errorf("Panics = %d, want %d", st.Panics, tt.panics)
			}
		})
	}
}

// TestCloseBytesHandlerUnderLoad: Close returns while connections are busy
// in the BytesHandler loop. It once deadlocked: Close held a connection's
// mutex while closing its socket, which waits for the loop's callback, and
// the callback was waiting for the mutex.
func TestCloseBytesHandlerUnderLoad(t *testing.T) {
	const clients = 20
	for round := range 5 {
		srv := &tcpserver.Server{Handler: bytesEcho{}, Linger: -1}
		ln := testnet.Listen(t)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return // the server closed first
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				batch := []byte(strings.Repeat("ping\n", 64))
				buf := make([]byte, 4096)
				for range 100_000 {
					if _, err := c.Write(batch); err != nil {
						return
					}
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
		if !testnet.Eventually(10*time.Second, func() bool { return srv.Stats().Requests > 20*clients }) {
			t.Fatalf("round %d: load did not start: %+v", round, srv.Stats())
		}
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Close did not return", round)
		}
		wg.Wait()
		if err := <-served; !errors.Is(err, tcpserver.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
		srv.Wait(context.Background())
	}
}
