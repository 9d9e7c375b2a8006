package loadgen_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/loadgen"
)

// TestHTTPEngineEarlyAnswer: a server may answer a request before it has
// read the body, as nginx answers 405 or 413 to a large upload, and keep
// the connection. The engine must then finish the body or close the
// connection, never start the next request inside the previous body. The
// server here reads each body only once the engine has counted its answer,
// so the answer always comes while the body is still being written.
//
// Only the event loop (the closed model) reads while it writes. The other
// engines write a request whole before they read its answer, which the
// RFC allows, and which this server, reading nothing until the answer is
// counted, would hold up to the timeout.
func TestHTTPEngineEarlyAnswer(t *testing.T) {
	const size = 16 << 20 // more than the sockets' buffers hold
	var counted, answered, garbled atomic.Int64
	ln := testnet.Listen(t)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					k := answered.Add(1)
					if _, err := io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n"); err != nil {
						return
					}
					testnet.Eventually(10*time.Second, func() bool { return counted.Load() >= k })
					body, err := io.ReadAll(req.Body)
					if bytes.ContainsFunc(body, func(r rune) bool { return r != 'x' }) {
						garbled.Add(1)
					}
					if err != nil {
						return // the engine closed the connection: the body is cut short
					}
				}
			}()
		}
	}()
	cfg := loadgen.Config{Target: loadgen.HTTP, URL: "http://" + ln.Addr().String() + "/", Method: http.MethodPost,
		Body: bytes.Repeat([]byte("x"), size), Conns: 1, Requests: 3, Duration: 20 * time.Second, Timeout: 10 * time.Second,
		Interval: time.Millisecond, Progress: func(p loadgen.Progress) { counted.Store(p.Requests) }}
	res := run(t, cfg)
	if res.Requests != 3 || res.Errors != 0 || res.StatusCodes[405] != 3 {
		t.Errorf("%d answers (status %v), %d errors %v; want three 405s", res.Requests, res.StatusCodes, res.Errors, res.ErrorsBy)
	}
	if garbled.Load() != 0 {
		t.Errorf("%d request bodies held bytes of the next request", garbled.Load())
	}
}
