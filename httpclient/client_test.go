package httpclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
	"github.com/netkit-dev/netkit/urlparse"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// call runs c.Do under a deadline and checks that it returned within it.
func call(t *testing.T, c *Client, deadline time.Duration, r *Request) (*Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	resp, err := c.Do(ctx, r)
	// The slack covers scheduling on a loaded machine running -race; the
	// tests make calls that would run for many seconds past the deadline
	// if it were not kept.
	if el := time.Since(start); el > deadline+time.Second {
		t.Errorf("Do took %v, past its %v deadline", el, deadline)
	}
	return resp, err
}

// wantErr checks err's class and attempt count.
func wantErr(t *testing.T, err error, class netclass.Class, attempts int) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Do error = %v (%T), want *Error of class %s", err, err, class)
	}
	if e.Class != class || e.Attempts != attempts {
		t.Errorf("Do error = %v: class %s after %d attempts, want %s after %d", err, e.Class, e.Attempts, class, attempts)
	}
	return e
}

func TestRetry503Then200(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	})
	c := newTestClient(t)
	resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL})
	if err != nil || resp.StatusCode != 200 || string(resp.Body) != "ok" || resp.Attempts != 3 {
		t.Fatalf("Do = %+v, %v; want 200 ok after 3 attempts", resp, err)
	}
	if got := s.hits.Load(); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name  string
		value func() string
		lo    time.Duration
		hi    time.Duration
	}{
		{"seconds", func() string { return "1" }, time.Second, time.Second},
		// An HTTP-date has whole seconds: 2s ahead is 1s to 2s away.
		{"http-date", func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) }, time.Millisecond, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 0 {
					w.Header().Set("Retry-After", tt.value())
					http.Error(w, "slow down", http.StatusTooManyRequests)
					return
				}
				io.WriteString(w, "ok")
			})
			c := newTestClient(t)
			var delays []time.Duration
			c.Retry.OnRetry = func(a retry.Attempt) {
				if a.Hinted {
					delays = append(delays, a.Delay)
				}
			}
			resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL})
			if err != nil || resp.Attempts != 2 {
				t.Fatalf("Do = %v, %v; want success after 2 attempts", resp, err)
			}
			if len(delays) != 1 || delays[0] < tt.lo || delays[0] > tt.hi {
				t.Errorf("hinted delays = %v, want one in [%v, %v]", delays, tt.lo, tt.hi)
			}
		})
	}
}

func TestRetryAfterCappedAndDeadline(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	c := newTestClient(t)
	// An hour's Retry-After, capped to 5s, still passes a 300ms deadline:
	// the client gives up at once with the last response.
	resp, err := call(t, c, 300*time.Millisecond, &Request{URL: s.URL})
	e := wantErr(t, err, netclass.HTTP5xx, 1)
	if !errors.Is(err, retry.ErrDeadline) || e.StatusCode != 503 || resp == nil || resp.StatusCode != 503 {
		t.Errorf("Do = %v, %v; want the 503 response and retry.ErrDeadline", resp, err)
	}
}

func TestResetMidResponse(t *testing.T) {
	addr, hits := resetServer(t)
	c := newTestClient(t)
	c.Retry.MaxAttempts = 3
	resp, err := call(t, c, 5*time.Second, &Request{URL: "http://" + addr + "/"})
	e := wantErr(t, err, netclass.Reset, 3)
	if resp != nil || !e.Retryable() || hits.Load() != 3 {
		t.Errorf("Do = %v, %v (retryable %v), server saw %d connections; want no response and 3 connections", resp, err, e.Retryable(), hits.Load())
	}
}

func TestNeverAnswers(t *testing.T) {
	addr, hits := blackhole(t)
	c := newTestClient(t)
	c.Timeout = 100 * time.Millisecond
	c.Retry.MaxAttempts = 100 // 10s and more without the deadline
	c.Retry.BaseDelay = 10 * time.Millisecond
	c.Retry.Jitter = retry.NoJitter
	_, err := call(t, c, time.Second, &Request{URL: "http://" + addr + "/"})
	var e *Error
	if !errors.As(err, &e) || e.Class != netclass.Timeout {
		t.Fatalf("Do = %v, want a timeout", err)
	}
	// Per-attempt timeouts of 100ms with waits of 10, 20, 40, 80 and
	// 160ms fit 6 attempts in the 1s deadline, and the next wait would
	// pass it. A loaded machine makes fewer; the deadline leaves room for
	// the second even when the first is slow to start.
	if e.Attempts < 2 || e.Attempts > 6 {
		t.Errorf("attempts = %d, want 2 to 6", e.Attempts)
	}
	// The listener's accept loop may lag behind the client's dials.
	if !testnet.Eventually(5*time.Second, func() bool { return int(hits.Load()) == e.Attempts }) {
		t.Errorf("server accepted %d connections, want one per attempt (%d)", hits.Load(), e.Attempts)
	}
}

func TestRefused(t *testing.T) {
	c := newTestClient(t)
	c.Retry.MaxAttempts = 3
	_, err := call(t, c, 5*time.Second, &Request{URL: "http://" + refusedAddr(t) + "/"})
	e := wantErr(t, err, netclass.Refused, 3)
	if !e.Retryable() {
		t.Errorf("refused error not retryable")
	}
}

func TestUnresolvable(t *testing.T) {
	c := newTestClient(t)
	// RFC 6761 reserves .invalid: it never resolves, and "no such host"
	// is an answer, so it is not retried.
	_, err := call(t, c, 5*time.Second, &Request{URL: "http://netkit-test.invalid/"})
	var e *Error
	if !errors.As(err, &e) || (e.Class != netclass.DNS && e.Class != netclass.Timeout) {
		t.Fatalf("Do = %v, want a dns error", err)
	}
	if e.Class == netclass.DNS && (e.Attempts != 1 || e.Retryable()) {
		t.Errorf("Do = %v after %d attempts (retryable %v); want 1 attempt, not retryable", err, e.Attempts, e.Retryable())
	}
}

func TestLatin1Body(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/default" {
			w.Header().Set("Content-Type", "text/plain")
		} else {
			w.Header().Set("Content-Type", `text/plain; Charset="ISO-8859-1"`)
		}
		w.Write([]byte("R\xe9sum\xe9"))
	})
	c := newTestClient(t)
	for _, path := range []string{"/declared", "/default"} {
		resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL + path})
		if err != nil || resp.Attempts != 1 {
			t.Fatalf("Do(%s) = %v, %v", path, resp, err)
		}
		text, err := resp.Text()
		if text != "Résumé" || err != nil {
			t.Errorf("Text() of %s = %q, %v; want %q", path, text, err, "Résumé")
		}
	}
}

func TestBodyOverCap(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			// Flushing before the end sends no Content-Length: the cap
			// is found while reading.
			w.Write(bytes.Repeat([]byte("x"), 2048))
			w.(http.Flusher).Flush()
			w.Write(bytes.Repeat([]byte("x"), 2048))
			return
		}
		w.Write(bytes.Repeat([]byte("x"), 4096))
	})
	c := newTestClient(t)
	c.MaxBody = 1024
	for _, path := range []string{"/", "/chunked"} {
		resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL + path})
		e := wantErr(t, err, netclass.BodyTooLarge, 1)
		if resp != nil || e.Retryable() || !errors.Is(err, ErrBodyTooLarge) {
			t.Errorf("Do(%s) = %v, %v; want no response and ErrBodyTooLarge, not retryable", path, resp, err)
		}
	}
	if got := s.hits.Load(); got != 2 {
		t.Errorf("server saw %d requests, want 2 (not retried)", got)
	}
	// Exactly at the cap is fine.
	c.MaxBody = 4096
	for _, path := range []string{"/", "/chunked"} {
		if resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL + path}); err != nil || len(resp.Body) != 4096 {
			t.Errorf("Do(%s) with MaxBody 4096 = %v, %v; want the whole body", path, resp, err)
		}
	}
}

// TestDeclaredLength: a Content-Length is the peer's word. A huge one under
// an unlimited cap must not become an allocation of that size (it used to
// panic in makeslice); a large honest one is read whole; a short one is a
// reset. A body without a length is read whole under the largest cap (the
// cap plus one byte used to overflow and read nothing).
func TestDeclaredLength(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 3<<20)
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/large":
			w.Write(big)
			return
		case "/chunked":
			w.Write(big[:10])
			w.(http.Flusher).Flush()
			w.Write(big[10:])
			return
		}
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 4611686018427387904\r\n\r\nabc")
		buf.Flush()
	})
	c := newTestClient(t)
	c.MaxBody = 1<<63 - 1
	c.Retry.MaxAttempts = 1
	resp, err := call(t, c, 5*time.Second, &Request{URL: s.URL + "/huge"})
	wantErr(t, err, netclass.EOF, 1)
	if resp != nil {
		t.Errorf("Do(/huge) = %v, want no response", resp)
	}
	for _, path := range []string{"/large", "/chunked"} {
		resp, err = call(t, c, 5*time.Second, &Request{URL: s.URL + path})
		if err != nil || !bytes.Equal(resp.Body, big) {
			t.Errorf("Do(%s) = %v, want the whole %d-byte body", path, err, len(big))
		}
	}
}

func TestPost503(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	c := newTestClient(t)
	c.Retry.MaxAttempts = 3

	resp, err := c.PostJSON(context.Background(), s.URL, map[string]string{"name": "Zoë"})
	wantErr(t, err, netclass.HTTP5xx, 1)
	if resp == nil || resp.StatusCode != 503 || s.hits.Load() != 1 {
		t.Fatalf("POST without Idempotency-Key: %v, %d requests; want the 503 response after 1", resp, s.hits.Load())
	}

	r := NewRequest("POST", s.URL)
	if err := r.SetJSON(map[string]string{"name": "Zoë"}); err != nil {
		t.Fatal(err)
	}
	r.Header.Set(IdempotencyKeyHeader, "key-1")
	resp, err = call(t, c, 5*time.Second, r)
	e := wantErr(t, err, netclass.HTTP5xx, 3)
	if resp == nil || resp.StatusCode != 503 || e.StatusCode != 503 || !errors.Is(err, retry.ErrAttempts) {
		t.Errorf("POST with Idempotency-Key: %v, %v; want the last 503 and ErrAttempts", resp, err)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("error %q does not say how many attempts", err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := `{"name":"Zoë"}`
	if len(bodies) != 4 {
		t.Fatalf("server saw %d requests, want 1 + 3", len(bodies))
	}
	for i, b := range bodies {
		if b != want {
			t.Errorf("request %d body = %q, want %q (replayed)", i, b, want)
		}
	}
}

// TestBudget: 100 requests against an upstream that always answers 503,
// each allowed 4 attempts, make at most 100 + 20% + the initial burst.
func TestBudget(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	c := &Client{Retry: retry.Policy{MaxAttempts: 4, BaseDelay: time.Microsecond, MaxDelay: time.Millisecond}}
	defer c.CloseIdleConnections()
	budgetStops := 0
	for range 100 {
		_, err := c.Get(context.Background(), s.URL, nil)
		if errors.Is(err, retry.ErrBudget) {
			budgetStops++
		}
	}
	limit := int64(100 + 20 + retry.DefaultBudgetBurst)
	if got := s.hits.Load(); got > limit || budgetStops == 0 {
		t.Errorf("100 requests made %d attempts (%d stopped by the budget), want at most %d", got, budgetStops, limit)
	}
	t.Logf("100 requests against an always-503 upstream: %d attempts", s.hits.Load())
}

func TestTLSFailure(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	s.StartTLS()
	defer s.Close()
	c := newTestClient(t)
	_, err := call(t, c, 5*time.Second, &Request{URL: s.URL})
	e := wantErr(t, err, netclass.TLS, 1)
	if e.Retryable() {
		t.Errorf("TLS error retryable")
	}
}

func TestTooManyRedirects(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	c := newTestClient(t)
	c.MaxRedirects = 3
	_, err := call(t, c, 5*time.Second, &Request{URL: s.URL})
	wantErr(t, err, netclass.Redirects, 1)
	if got := s.hits.Load(); got != 4 {
		t.Errorf("server saw %d requests, want 1 + 3 redirects", got)
	}
	c2 := newTestClient(t)
	c2.MaxRedirects = -1
	resp, err := call(t, c2, 5*time.Second, &Request{URL: s.URL})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("MaxRedirects -1: %v, %v; want the 302 itself", resp, err)
	}
}

func TestCanceled(t *testing.T) {
	addr, _ := blackhole(t)
	c := newTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := c.Do(ctx, &Request{URL: "http://" + addr})
	wantErr(t, err, netclass.Canceled, 1)
}

func TestRequestBuilding(t *testing.T) {
	var got *http.Request
	var gotBody string
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, `{"id": 42, "name": "Zoë"}`)
	})
	c := newTestClient(t)
	c.BaseURL = s.URL + "/v2/"
	c.Header = http.Header{"Accept": {"application/json"}, "X-Team": {"net"}}
	r := NewRequest("", "users?page=1")
	r.Query = urlparse.Query{{Key: "b", Value: "2"}, {Key: "a", Value: "x y"}}
	r.Header.Set("X-Team", "kit")
	r.SetForm(urlparse.Query{{Key: "z", Value: "1"}, {Key: "a", Value: "é"}})
	resp, err := c.Do(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != "POST" || got.URL.Path != "/v2/users" || got.URL.RawQuery != "page=1&b=2&a=x+y" {
		t.Errorf("request line = %s %s, want POST /v2/users?page=1&b=2&a=x+y", got.Method, got.URL)
	}
	if ua := got.Header.Get("User-Agent"); ua != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", ua, DefaultUserAgent)
	}
	if got.Header.Get("X-Team") != "kit" || got.Header.Get("Accept") != "application/json" {
		t.Errorf("headers = %v, want the request's over the client's", got.Header)
	}
	if gotBody != "z=1&a=%C3%A9" || got.Header.Get("Content-Type") != ContentTypeForm {
		t.Errorf("form body = %q (%s)", gotBody, got.Header.Get("Content-Type"))
	}
	var v struct {
		ID   int
		Name string
	}
	if err := resp.JSON(&v); err != nil || v.ID != 42 || v.Name != "Zoë" || !resp.ContentType.IsJSON() {
		t.Errorf("JSON() = %+v, %v", v, err)
	}
}

func TestMultipart(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, h, err := r.FormFile("doc")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		b, _ := io.ReadAll(f)
		io.WriteString(w, r.FormValue("title")+"|"+h.Filename+"|"+string(b))
	})
	c := newTestClient(t)
	r := NewRequest("POST", s.URL)
	if err := r.SetMultipart(urlparse.Query{{Key: "title", Value: "notes"}}, []File{{Field: "doc", Name: "a.txt", Data: []byte("hello")}}); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(context.Background(), r)
	if err != nil || string(resp.Body) != "notes|a.txt|hello" {
		t.Errorf("multipart upload = %v, %v", resp, err)
	}
}

func TestTransport(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if n%4 < 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(b)
	})
	tr := &Transport{Base: http.DefaultTransport.(*http.Transport).Clone(), Policy: retry.Policy{MaxAttempts: 3, BaseDelay: time.Millisecond}}
	defer tr.Base.(*http.Transport).CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	req, _ := http.NewRequest("PUT", s.URL, strings.NewReader("payload"))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "payload" || s.hits.Load() != 3 {
		t.Errorf("PUT through Transport = %d %q after %d requests; want 200 payload after 3", resp.StatusCode, b, s.hits.Load())
	}
	// Retries run out at 2 attempts: the last 503 comes back, body intact.
	tr.Policy.MaxAttempts = 2
	s.hits.Store(0)
	resp, err = hc.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "busy") || s.hits.Load() != 2 {
		t.Errorf("GET through Transport = %d %q after %d requests; want the last 503 after 2", resp.StatusCode, b, s.hits.Load())
	}
	// POST without a key is sent once.
	s.hits.Store(0)
	resp, err = hc.Post(s.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if s.hits.Load() != 1 {
		t.Errorf("POST through Transport made %d requests, want 1", s.hits.Load())
	}
	// A body without GetBody is buffered for replay up to MaxReplayBody,
	// and sent once, whole, when it is longer.
	tr.Policy.MaxAttempts = 3
	tr.MaxReplayBody = 8
	for _, tt := range []struct {
		body string
		hits int64
		code int
	}{{"short", 3, 200}, {"longer than eight", 1, 503}} {
		s.hits.Store(0)
		req, _ := http.NewRequest("PUT", s.URL, io.NopCloser(strings.NewReader(tt.body)))
		if req.GetBody != nil {
			t.Fatal("NewRequest set GetBody for an opaque body")
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.code || s.hits.Load() != tt.hits || (tt.code == 200 && string(b) != tt.body) {
			t.Errorf("PUT %q without GetBody = %d %q after %d requests; want %d after %d", tt.body, resp.StatusCode, b, s.hits.Load(), tt.code, tt.hits)
		}
	}
	// The request's own body is sent first and closed, GetBody's copies
	// serve the retries (the RoundTripper contract).
	s.hits.Store(0)
	own := &closeCounter{Reader: strings.NewReader("payload")}
	req, _ = http.NewRequest("PUT", s.URL, own)
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("payload")), nil }
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || s.hits.Load() != 3 || own.closed.Load() == 0 {
		t.Errorf("PUT with GetBody = %d after %d requests, body closed %d times; want 200 after 3, closed", resp.StatusCode, s.hits.Load(), own.closed.Load())
	}
}

type closeCounter struct {
	io.Reader
	closed atomic.Int64
}

func (c *closeCounter) Close() error { c.closed.Add(1); return nil }

func TestHead(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5000")
		if r.Method != http.MethodHead {
			w.Write(bytes.Repeat([]byte("x"), 5000))
		}
	})
	c := newTestClient(t)
	c.MaxBody = 1 << 20
	resp, err := call(t, c, 5*time.Second, &Request{Method: http.MethodHead, URL: s.URL})
	if err != nil || resp.StatusCode != 200 || len(resp.Body) != 0 || resp.Header.Get("Content-Length") != "5000" {
		t.Errorf("HEAD = %+v, %v; want 200 with no body and the declared length", resp, err)
	}
}

func TestDebugLog(t *testing.T) {
	s := newScripted(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		}
	})
	var buf bytes.Buffer
	c := newTestClient(t)
	c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := call(t, c, 5*time.Second, &Request{URL: s.URL}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level=DEBUG", "attempt=1", "class=http-5xx", "delay=", `error="HTTP 503: Service Unavailable"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("debug log %q lacks %q", buf.String(), want)
		}
	}
}
