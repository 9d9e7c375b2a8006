package loadgen_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/tcpserver"
)

// engines are the ways the HTTP engine runs a workload: the closed model
// one request at a time, pipelined, and the open model on a schedule.
var engines = []struct {
	name string
	set  func(*loadgen.Config)
}{
	{"closed", func(*loadgen.Config) {}},
	{"pipelined", func(c *loadgen.Config) { c.Pipeline = 4 }},
	{"open", func(c *loadgen.Config) { c.Rate = 2000 }},
}

// TestHTTPEngine: responses that are framed every way HTTP/1.1 allows are
// answers, counted by status, with their body sizes.
func TestHTTPEngine(t *testing.T) {
	body := strings.Repeat("b", 3000)
	var dials atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			w.Write([]byte(body[:1000]))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Write([]byte(body))
	})
	mux.HandleFunc("/early", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Write([]byte(body))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/length", http.StatusFound)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/head", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3000")
		if r.Method != http.MethodHead {
			w.Write([]byte(body))
		}
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		w.Write(b.Bytes())
	})
	hs := httptest.NewUnstartedServer(mux)
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	hs.Start()
	defer hs.Close()

	const n = 40
	cases := []struct {
		path, method string
		body         []byte
		status       int
		size         int64 // body bytes per answer
		newConns     bool  // every answer closes its connection
	}{
		{path: "/length", status: 200, size: 3000},
		{path: "/chunked", status: 200, size: 3000},
		{path: "/close", status: 200, size: 3000, newConns: true},
		{path: "/early", status: 200, size: 3000},
		{path: "/redirect", status: 302, size: int64(len(`<a href="/length">Found</a>.` + "\n\n"))},
		{path: "/empty", status: 204},
		{path: "/head", method: "HEAD", status: 200},
		{path: "/echo", method: "POST", body: []byte(body), status: 200, size: 3000},
	}
	for _, e := range engines {
		for _, c := range cases {
			t.Run(e.name+c.path, func(t *testing.T) {
				before := dials.Load()
				cfg := loadgen.Config{Target: loadgen.HTTP, URL: hs.URL + c.path, Method: c.method, Body: c.body,
					Conns: 2, Requests: n, Duration: 20 * time.Second}
				e.set(&cfg)
				res := run(t, cfg)
				if res.Errors != 0 {
					t.Errorf("%d errors: %v", res.Errors, res.ErrorsBy)
				}
				if res.Requests != n {
					t.Errorf("Requests = %d, want %d", res.Requests, n)
				}
				if diff := cmp.Diff(map[int]int64{c.status: res.Requests}, res.StatusCodes); diff != "" {
					t.Errorf("status codes (-want +got):\n%s", diff)
				}
				if res.BodyBytes != res.Requests*c.size {
					t.Errorf("BodyBytes = %d, want %d × %d", res.BodyBytes, res.Requests, c.size)
				}
				if got := dials.Load() - before; c.newConns && got < n {
					t.Errorf("%d connections for %d answers that each closed theirs", got, n)
				} else if !c.newConns && got > int64(cfg.Conns) {
					t.Errorf("%d connections, want at most %d kept alive", got, cfg.Conns)
				}
			})
		}
	}
}

// rawServer answers each request on its connections with respond, given
// the request's index on that connection (from 0), until the test ends.
// respond returns false to hang up.
func rawServer(t *testing.T, respond func(c net.Conn, i int) bool) string {
	t.Helper()
	h := tcpserver.HandlerFunc(func(_ context.Context, c *tcpserver.Conn) error {
		for i := 0; ; i++ {
			// A request of the tests is a head without a body.
			if !c.Next() {
				return c.Err()
			}
			if _, err := c.Reader().ReadUntil([]byte("\r\n\r\n")); err != nil {
				return err
			}
			if !respond(c.NetConn(), i) {
				return nil
			}
		}
	})
	return "http://" + testnet.Serve(t, &tcpserver.Server{Handler: h}) + "/"
}

func write(c net.Conn, s string) bool {
	_, err := c.Write([]byte(s))
	return err == nil
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"

// TestHTTPEngineOddStatus: an answer with a three-digit status above 599
// is counted under its code, so that the codes add up to the answers.
func TestHTTPEngineOddStatus(t *testing.T) {
	url := rawServer(t, func(c net.Conn, _ int) bool {
		return write(c, "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n")
	})
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			cfg := loadgen.Config{Target: loadgen.HTTP, URL: url, Conns: 1, Requests: 5, Duration: 10 * time.Second}
			e.set(&cfg)
			res := run(t, cfg)
			if res.Requests != 5 || res.StatusCodes[999] != 5 {
				t.Errorf("%d answers, status codes %v; want five 999s", res.Requests, res.StatusCodes)
			}
		})
	}
}

// TestHTTPEngineHostile: servers that break HTTP/1.1 fail requests by
// class, never hang one past its timeout, and leave the run going.
func TestHTTPEngineHostile(t *testing.T) {
	bigHeader := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 10<<20) + "\r\nContent-Length: 0\r\n\r\n"
	cases := []struct {
		name    string
		respond func(c net.Conn, i int) bool
		class   string // the class of the failures, "" for none
		ok      bool   // some requests are answered
		hangsUp bool   // the server closes connections
		timeout time.Duration
	}{
		{"truncated body", func(c net.Conn, _ int) bool {
			write(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
			return false
		}, "eof", false, true, 0},
		{"content length short", func(c net.Conn, _ int) bool {
			return write(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhello")
		}, "protocol", true, false, 0},
		{"content length long", func(c net.Conn, _ int) bool {
			// Then silence, however many requests follow.
			write(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")
			io.Copy(io.Discard, c)
			return false
		}, "timeout", false, false, 0},
		{"10 MiB header", func(c net.Conn, _ int) bool {
			write(c, bigHeader)
			return false
		}, "protocol", false, true, 5 * time.Second}, // reading the first MiB takes time under the race detector
		{"slow drip", func(c net.Conn, _ int) bool {
			for _, b := range []byte(okResponse) {
				if !write(c, string(b)) {
					return false
				}
				time.Sleep(50 * time.Millisecond) // the drip itself, not a wait for readiness
			}
			return true
		}, "timeout", false, false, 0},
		{"chunk extensions and trailers", func(c net.Conn, _ int) bool {
			return write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+
				"5;name=value;other=\"q\"\r\nhello\r\n3 ; ext\r\n!!!\r\n0;last\r\nX-Trailer: 1\r\n\r\n")
		}, "", true, false, 0},
		{"bad chunk size", func(c net.Conn, _ int) bool {
			return write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
		}, "protocol", false, false, 0},
		{"not HTTP", func(c net.Conn, _ int) bool {
			return write(c, "SSH-2.0-OpenSSH_9.2\r\n")
		}, "protocol", false, false, 0},
		{"not HTTP, no line end", func(c net.Conn, _ int) bool {
			return write(c, "\x15\x03\x03\x00\x02\x02\x46") // a TLS alert
		}, "protocol", false, false, 0},
		{"closes after 3 requests", func(c net.Conn, i int) bool {
			write(c, okResponse)
			return i < 2
		}, "", true, true, 0},
		{"says close after 3 requests", func(c net.Conn, i int) bool {
			if i == 2 {
				write(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello")
				return false
			}
			return write(c, okResponse)
		}, "", true, true, 0},
		{"HTTP/1.0 without keep-alive", func(c net.Conn, _ int) bool {
			write(c, "HTTP/1.0 200 OK\r\n\r\nbody to the close")
			return false
		}, "", true, true, 0},
		{"switching protocols", func(c net.Conn, _ int) bool {
			return write(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
		}, "protocol", false, false, 0},
	}
	for _, e := range engines {
		for _, c := range cases {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				url := rawServer(t, c.respond)
				timeout := c.timeout
				if timeout == 0 {
					timeout = 300 * time.Millisecond
				}
				cfg := loadgen.Config{Target: loadgen.HTTP, URL: url, Conns: 2, Requests: 30,
					Duration: 3 * time.Second, Timeout: timeout}
				e.set(&cfg)
				res := run(t, cfg)
				// A pipelined connection that fails takes the requests
				// queued behind on it down too, as class closed; and a
				// server that hangs up on requests it has not read resets
				// the connection, which can destroy the answer before.
				fallout := res.ErrorsBy["closed"]
				if cfg.Pipeline > 1 && c.hangsUp {
					fallout += res.ErrorsBy["reset"]
				}
				if c.class == "" && res.Errors != fallout {
					t.Errorf("%d errors (%v), want none", res.Errors, res.ErrorsBy)
				}
				if c.class != "" && (res.ErrorsBy[c.class] == 0 || res.ErrorsBy[c.class]+fallout != res.Errors) {
					t.Errorf("errors %v, want all of class %s", res.ErrorsBy, c.class)
				}
				if c.ok != (res.Requests > 0) {
					t.Errorf("%d requests answered; want some: %v", res.Requests, c.ok)
				}
				if res.Requests > 0 && res.StatusCodes[200] != res.Requests {
					t.Errorf("status codes %v for %d answers", res.StatusCodes, res.Requests)
				}
			})
		}
	}
}

// TestHTTPEngineMixed: several requests, sent in turn, each reach the
// server as built.
func TestHTTPEngineMixed(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(bytes.Buffer)
		b.ReadFrom(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-K")+" "+b.String()]++
		mu.Unlock()
	}))
	defer hs.Close()
	reqs := []loadgen.HTTPRequest{
		{Method: "GET", URL: hs.URL + "/a?x=1", Header: http.Header{"X-K": {"1"}}},
		{Method: "POST", URL: hs.URL + "/b", Body: []byte("body")},
		{Method: "DELETE", URL: hs.URL + "/c"},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			mu.Lock()
			clear(seen)
			mu.Unlock()
			cfg := loadgen.Config{Target: loadgen.HTTP, HTTPRequests: reqs, Conns: 1, Requests: 30, Duration: 20 * time.Second}
			e.set(&cfg)
			checkClean(t, run(t, cfg), 30)
			want := map[string]int{"GET /a?x=1 1 ": 10, "POST /b  body": 10, "DELETE /c  ": 10}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("requests the server saw (-want +got):\n%s", diff)
			}
		})
	}
}
