package loadgen_test

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

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
	testnet.Handle(t, ln, func(c net.Conn) {
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
	})
	cfg := loadgen.Config{Target: loadgen.HTTP, URL: "http://" + ln.Addr().String() + "/", Method: http.MethodPost,
		Body: bytes.Repeat([]byte("x"), size), Conns: 1, Requests: 3, Duration: 20 * time.Second, Timeout: 10 * time.Second,
		Interval: time.Millisecond, Progress: func(p loadgen.Progress) { counted.Store(p.Requests) }}
	res := run(t, cfg)
	counted.Store(math.MaxInt64) // the last answer may fall after the last Progress
	if res.Requests != 3 || res.Errors != 0 || res.StatusCodes[405] != 3 {
		t.Errorf("%d answers (status %v), %d errors %v; want three 405s", res.Requests, res.StatusCodes, res.Errors, res.ErrorsBy)
	}
	if garbled.Load() != 0 {
		t.Errorf("%d request bodies held bytes of the next request", garbled.Load())
	}
}

// TestHTTPEngineResetMidAnswer: a server that resets a kept-alive
// connection after part of an answer has failed that request, which
// counts as an error; only a connection that ends before any byte of the
// answer is taken for an idle close and its request sent again.
func TestHTTPEngineResetMidAnswer(t *testing.T) {
	for _, e := range engines {
		if e.name == "pipelined" {
			continue // a pipelined connection's failure fails all it carries
		}
		t.Run(e.name, func(t *testing.T) {
			var cut atomic.Int64
			ln := testnet.Listen(t)
			testnet.Handle(t, ln, func(c net.Conn) {
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					if _, err := http.ReadRequest(br); err != nil {
						return
					}
					if i == 0 {
						io.WriteString(c, okResponse)
						continue
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
					// Reset only once the client's kernel has the bytes:
					// a reset discards what the sender still holds.
					if !testnet.Eventually(10*time.Second, func() bool { return unacked(c) == 0 }) {
						t.Error("the client never acknowledged the partial answer")
					}
					cut.Add(1)
					c.(*net.TCPConn).SetLinger(0)
					return
				}
			})
			cfg := loadgen.Config{Target: loadgen.HTTP, URL: "http://" + ln.Addr().String() + "/", Conns: 1, Requests: 4,
				Duration: 20 * time.Second, Timeout: 5 * time.Second}
			e.set(&cfg)
			res := run(t, cfg)
			if cut.Load() == 0 || res.Errors != cut.Load() || res.Requests+res.Errors != 4 {
				t.Errorf("the server cut %d answers short; the engine counted %d answers and %d errors %v",
					cut.Load(), res.Requests, res.Errors, res.ErrorsBy)
			}
		})
	}
}

// unacked returns how many bytes written on c its peer has yet to
// acknowledge (SIOCOUTQ).
func unacked(c net.Conn) int {
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1
	}
	var n int32
	raw.Control(func(fd uintptr) {
		syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCOUTQ, uintptr(unsafe.Pointer(&n)))
	})
	return int(n)
}

// TestHTTPEngineEndDuringDial: against a server that closes every
// connection, the run's end finds dials in progress; they fail with the
// run's deadline, and such failures are not the server's: none counts.
func TestHTTPEngineEndDuringDial(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
	}))
	defer hs.Close()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			for range 3 {
				cfg := loadgen.Config{Target: loadgen.HTTP, URL: hs.URL, Conns: 50, Duration: 300 * time.Millisecond}
				e.set(&cfg)
				res := run(t, cfg)
				if res.Requests == 0 || res.Errors != 0 {
					t.Fatalf("%d answers, %d errors %v; want answers and no error", res.Requests, res.Errors, res.ErrorsBy)
				}
			}
		})
	}
}

// TestHTTPEngineReconnectRefused: the engine reconnects after each answer
// of a server that closes every connection, and once the server stops
// listening those reconnects fail as refused, counted as such, while the
// run goes on to its end.
func TestHTTPEngineReconnectRefused(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			var served atomic.Int64
			hs := httptest.NewUnstartedServer(nil)
			hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Connection", "close")
				if served.Add(1) == 200 {
					hs.Listener.Close()
				}
			})
			hs.Start()
			defer hs.Close()
			cfg := loadgen.Config{Target: loadgen.HTTP, URL: hs.URL, Conns: 4, Duration: 500 * time.Millisecond}
			e.set(&cfg)
			res := run(t, cfg)
			// A connection waiting in the listener's queue when it closes
			// is reset, and one that was accepted may close early: a few
			// errors of other classes.
			if refused := res.ErrorsBy["refused"]; res.Requests < 150 || refused == 0 || res.Errors-refused > 5 {
				t.Errorf("%d answers, errors %v; want the answers before the listener closed, then refused dials", res.Requests, res.ErrorsBy)
			}
		})
	}
}
