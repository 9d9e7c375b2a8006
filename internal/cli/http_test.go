package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/pretty"
	"github.com/netkit-dev/netkit/internal/testnet"
)

func TestHTTPFlags(t *testing.T) {
	tests := []struct {
		args []string
		want httpOptions
	}{
		{[]string{"example.org"}, httpOptions{URL: "http://example.org", Items: []string{}, Timeout: 30 * time.Second, Retries: 2, RetryMaxDelay: 10 * time.Second, MaxBody: 32 << 20}},
		{[]string{"post", ":8080/users", "a=b", "--retries", "0", "--timeout", "0.5", "--deadline", "2s", "--max-body", "64KiB", "--check-status", "-v", "--json", "--retry-post", "--form", "--offline", "-o", "out.bin", "--retry-max-delay", "100ms"},
			httpOptions{Method: "POST", URL: "http://localhost:8080/users", Items: []string{"a=b"}, Timeout: 500 * time.Millisecond, Deadline: 2 * time.Second, Retries: 0, RetryMaxDelay: 100 * time.Millisecond,
				MaxBody: 64 << 10, CheckStatus: true, Verbose: true, All: true, JSON: true, RetryPOST: true, Form: true, Offline: true, Output: "out.bin"}},
		{[]string{"https://x.test/a", "Accept:text/plain", "--follow"}, httpOptions{URL: "https://x.test/a", Items: []string{"Accept:text/plain"}, Timeout: 30 * time.Second, Retries: 2, RetryMaxDelay: 10 * time.Second, MaxBody: 32 << 20, Follow: true, MaxRedirects: 10}},
	}
	for _, tt := range tests {
		var got *httpOptions
		cmd := newHTTPCmd(&IOStreams{}, func(_ context.Context, o *httpOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("http %v: %v", tt.args, err)
		}
		got.Streams = nil
		if got.TLS != (httpTLSFlags{Verify: "yes"}) {
			t.Errorf("%v: TLS flags %+v, want HTTPie's defaults", tt.args, got.TLS)
		}
		got.TLS = httpTLSFlags{}
		if got.Style != pretty.DefaultStyle || got.AuthType != "basic" || got.MaxHeaders != 0 {
			t.Errorf("%v: --style %q, --auth-type %q, --max-headers %d; want the defaults", tt.args, got.Style, got.AuthType, got.MaxHeaders)
		}
		got.Style, got.AuthType, got.MaxHeaders = "", "", 0
		if diff := cmp.Diff(tt.want, *got); diff != "" {
			t.Errorf("http %v options (-want +got):\n%s", tt.args, diff)
		}
	}
}

// httpEchoServer answers with what it received, as JSON, and counts requests.
func httpEchoServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{
			"method": r.Method, "uri": r.RequestURI, "body": string(b),
			"ct": r.Header.Get("Content-Type"), "ua": r.Header.Get("User-Agent"), "key": r.Header.Get("Idempotency-Key"), "x": r.Header.Get("X-Test"),
		})
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

func TestHTTPRequests(t *testing.T) {
	s, _ := httpEchoServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	os.WriteFile(file, []byte("hello"), 0o644)
	tests := []struct {
		name string
		args []string
		want map[string]string
	}{
		{"get with query and header", []string{s.URL + "/a?z=1", "b==2", "a==x y", "X-Test:yes"},
			map[string]string{"method": "GET", "uri": "/a?z=1&b=2&a=x+y", "x": "yes", "body": ""}},
		{"json body means POST, order kept", []string{s.URL, "name=Zoë", "age:=30", "admin:=true"},
			map[string]string{"method": "POST", "body": `{"name": "Zo\u00eb", "age": 30, "admin": true}`, "ct": "application/json"}},
		{"form", []string{"--form", "PUT", s.URL, "b=2", "a=1"},
			map[string]string{"method": "PUT", "body": "b=2&a=1", "ct": "application/x-www-form-urlencoded; charset=utf-8"}},
		{"retry-post adds a key", []string{"--retry-post", s.URL, "a=1"}, map[string]string{"method": "POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(t, "", append([]string{"http"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("netkit http %v = %d, stderr %q", tt.args, code, stderr)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("output %q: %v", out, err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("server saw %s = %q, want %q", k, got[k], v)
				}
			}
			if got["ua"] != "netkit/"+Version {
				t.Errorf("User-Agent = %q", got["ua"])
			}
			if tt.name == "retry-post adds a key" && len(got["key"]) != 32 {
				t.Errorf("Idempotency-Key = %q, want 32 hex digits", got["key"])
			}
		})
	}

	code, out, stderr := run(t, "", "http", "--form", s.URL, "title=notes", "doc@"+file)
	if code != 0 || !strings.Contains(out, `multipart/form-data; boundary=`) || !strings.Contains(out, "hello") {
		t.Errorf("multipart upload = %d, %q, %q", code, out, stderr)
	}
}

func TestHTTPOffline(t *testing.T) {
	s, hits := httpEchoServer(t)
	code, out, stderr := run(t, "", "http", "--offline", "PUT", s.URL+"/v2/users/1", "name=Bob", "page==1", "Accept:application/json")
	if code != 0 || hits.Load() != 0 {
		t.Fatalf("--offline = %d (stderr %q), server saw %d requests; want 0 and none", code, stderr, hits.Load())
	}
	host := strings.TrimPrefix(s.URL, "http://")
	want := "PUT /v2/users/1?page=1 HTTP/1.1\r\nHost: " + host + "\r\nAccept: application/json\r\nContent-Length: 15\r\nContent-Type: application/json\r\nUser-Agent: netkit/" + Version + "\r\n\r\n{\"name\": \"Bob\"}" // nothing after the body, as in HTTPie
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("--offline output (-want +got):\n%s", diff)
	}
	code, out, _ = run(t, "", "http", "--offline", "--json", s.URL, "a=1")
	var got httpResultJSON
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Method != "POST" || got.Body == nil || *got.Body != `{"a": "1"}` {
		t.Errorf("--offline --json = %d, %q", code, out)
	}
}

func TestHTTPExitStatus(t *testing.T) {
	statuses := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/broken":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2048)))
		default:
			io.WriteString(w, "fine\n")
		}
	}))
	defer statuses.Close()
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	hole, _ := testnet.Blackhole(t)
	reset, resets := testnet.ResetHTTP(t)
	refused := testnet.RefusedAddr(t)
	fast := []string{"--retries", "1", "--retry-max-delay", "10ms"}

	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   string // substring; "" means stderr must be empty
		deadline time.Duration
	}{
		{"ok", []string{statuses.URL + "/"}, 0, "", 0},
		{"404 without --check-status", []string{statuses.URL + "/missing"}, 0, "", 0},
		{"3xx", []string{"--check-status", statuses.URL + "/moved"}, exitHTTP3xx, "status", 0},
		{"3xx followed", []string{"--check-status", "--follow", statuses.URL + "/moved"}, 0, "", 0},
		{"4xx", []string{"--check-status", statuses.URL + "/missing"}, exitHTTP4xx, "http-4xx: HTTP 404", 0},
		{"5xx after retries", []string{"--check-status", statuses.URL + "/broken"}, exitHTTP5xx, "2 attempts", 0},
		{"timeout", []string{"--timeout", "100ms", "--retries", "0", "http://" + hole}, exitHTTPTimeout, "timeout", 0},
		{"deadline", []string{"--timeout", "100ms", "--deadline", "250ms", "--retries", "50", "http://" + hole}, exitHTTPTimeout, "timeout", 250 * time.Millisecond},
		{"refused", []string{"http://" + refused}, exitHTTPConnect, "refused", 0},
		{"dns", []string{"http://netkit-test.invalid/"}, exitHTTPConnect, "dns", 0},
		{"reset", []string{"http://" + reset + "/"}, exitHTTPConnect, "reset", 0},
		{"tls", []string{tlsSrv.URL}, exitTLS, "tls", 0},
		{"body over --max-body", []string{"--max-body", "1KiB", statuses.URL + "/big"}, ExitError, "body-too-large", 0},
		{"usage: bad item", []string{statuses.URL, "age:=thirty"}, ExitError, "not JSON", 0},
		{"usage: file without --form", []string{statuses.URL, "doc@x"}, ExitError, "--form", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, _, stderr := run(t, "", append(append([]string{"http"}, fast...), tt.args...)...)
			if code != tt.code {
				t.Errorf("netkit http %v = %d, want %d (stderr %q)", tt.args, code, tt.code, stderr)
			}
			if tt.stderr == "" && stderr != "" || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("netkit http %v stderr = %q, want %q in it", tt.args, stderr, tt.stderr)
			}
			if strings.Count(stderr, "\n") > 1 {
				t.Errorf("stderr has more than one line: %q", stderr)
			}
			// 50 retries of 100ms would take over 5s: a second of slack
			// for a loaded machine still shows the deadline was kept.
			if tt.deadline > 0 && time.Since(start) > tt.deadline+time.Second {
				t.Errorf("took %v, past the %v deadline", time.Since(start), tt.deadline)
			}
		})
	}
	if got := resets.Load(); got != 2 {
		t.Errorf("reset server saw %d connections, want 2 (1 retry)", got)
	}
}

func TestHTTPOutput(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/latin1" {
			w.Header().Set("Content-Type", "text/plain; charset=iso-8859-1")
			w.Write([]byte("R\xe9sum\xe9"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a":[1,true,null],"b":"x"}`)
	}))
	defer s.Close()

	// Piped: the raw body.
	code, out, _ := run(t, "", "http", s.URL)
	if code != 0 || out != `{"a":[1,true,null],"b":"x"}` {
		t.Errorf("piped output = %q", out)
	}
	// On a terminal: the head, then the body, JSON indented by 4 with its
	// keys sorted, text decoded; coloured. As in HTTPie, the colouring ends
	// the body with a newline, and a blank line pair follows it.
	streams, outBuf, _ := Test("")
	streams.OutTTY = true
	code = Main(context.Background(), []string{"http", s.URL}, streams)
	plain := stripANSI(outBuf.String())
	if code != 0 || !strings.Contains(outBuf.String(), "\x1b[") || !strings.HasPrefix(plain, "HTTP/1.1 200 OK\n") ||
		!strings.HasSuffix(plain, "\n\n{\n    \"a\": [\n        1,\n        true,\n        null\n    ],\n    \"b\": \"x\"\n}\n\n\n") {
		t.Errorf("terminal output = %q", plain)
	}
	streams, outBuf, _ = Test("")
	streams.OutTTY = true
	// The status line and headers first, with plain line ends.
	if code := Main(context.Background(), []string{"http", s.URL + "/latin1"}, streams); code != 0 ||
		!strings.HasPrefix(stripANSI(outBuf.String()), "HTTP/1.1 200 OK\nContent-Length: 6\n") || !strings.HasSuffix(stripANSI(outBuf.String()), "\n\nRésumé\n\n\n") {
		t.Errorf("terminal latin-1 output = %q", stripANSI(outBuf.String()))
	}
	// NO_COLOR: formatted, not coloured.
	t.Setenv("NO_COLOR", "1")
	streams, outBuf, _ = Test("")
	streams.OutTTY = true
	if Main(context.Background(), []string{"http", s.URL}, streams); strings.Contains(outBuf.String(), "\x1b[") || !strings.Contains(outBuf.String(), "\n    \"a\"") {
		t.Errorf("NO_COLOR output = %q", outBuf.String())
	}
	// -v: request and response heads, then the body.
	_, out, _ = run(t, "", "http", "-v", s.URL)
	if !strings.HasPrefix(out, "GET / HTTP/1.1\r\n") || !strings.Contains(out, "HTTP/1.1 200 OK\r\n") || !strings.Contains(out, "Content-Type: application/json\r\n") {
		t.Errorf("-v output = %q", out)
	}
	// --json.
	_, out, _ = run(t, "", "http", "--json", s.URL)
	var got httpResultJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Status != 200 || got.Attempts != 1 || string(got.JSON) != `{"a":[1,true,null],"b":"x"}` {
		t.Errorf("--json output = %q (%v)", out, err)
	}
	// --output.
	file := filepath.Join(t.TempDir(), "body")
	code, out, _ = run(t, "", "http", "-o", file, s.URL+"/latin1")
	if b, err := os.ReadFile(file); code != 0 || out != "" || err != nil || string(b) != "R\xe9sum\xe9" {
		t.Errorf("--output wrote %q, %v; stdout %q", b, err, out)
	}
}

func TestHTTPJSONError(t *testing.T) {
	code, out, stderr := run(t, "", "http", "--json", "--retries", "0", "http://"+testnet.RefusedAddr(t))
	var got httpResultJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Error == nil || got.Error.Class != "refused" || !got.Error.Retryable || got.Attempts != 1 {
		t.Errorf("--json on refused = %q (%v)", out, err)
	}
	if code != exitHTTPConnect || !strings.Contains(stderr, "refused") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestHTTPRetryPOST(t *testing.T) {
	var hits atomic.Int64
	var mu sync.Mutex
	var keys []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer s.Close()
	args := []string{"http", "--check-status", "--retries", "2", "--retry-max-delay", "5ms", s.URL, "a=1"}
	code, _, stderr := run(t, "", args...)
	if code != exitHTTP5xx || hits.Load() != 1 {
		t.Errorf("POST without --retry-post = %d after %d requests (stderr %q); want %d after 1", code, hits.Load(), stderr, exitHTTP5xx)
	}
	hits.Store(0)
	mu.Lock()
	keys = nil
	mu.Unlock()
	code, _, stderr = run(t, "", append(args, "--retry-post")...)
	mu.Lock()
	defer mu.Unlock()
	if code != exitHTTP5xx || hits.Load() != 3 || !strings.Contains(stderr, "3 attempts") {
		t.Errorf("POST with --retry-post = %d after %d requests (stderr %q); want %d after 3", code, hits.Load(), stderr, exitHTTP5xx)
	}
	if len(keys) != 3 || keys[0] == "" || keys[0] != keys[1] || keys[1] != keys[2] {
		t.Errorf("Idempotency-Keys = %q, want one key repeated on each attempt", keys)
	}
}

// TestHTTPRetriesExact: --retries N makes N retries, more than the retry
// budget's initial burst included.
func TestHTTPRetriesExact(t *testing.T) {
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer s.Close()
	code, _, stderr := run(t, "", "http", "--check-status", "--retries", "15", "--retry-max-delay", "1ms", s.URL)
	if code != exitHTTP5xx || hits.Load() != 16 || !strings.Contains(stderr, "16 attempts") {
		t.Errorf("netkit http --retries 15 = %d after %d requests (stderr %q); want %d after 16", code, hits.Load(), stderr, exitHTTP5xx)
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripANSI removes colour codes.
func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// TestHTTPStyle: --style takes chroma's names and HTTPie's (auto, the
// pie family), and refuses others with the list of valid ones.
func TestHTTPStyle(t *testing.T) {
	for _, tt := range []struct {
		style, want string
		unknown     bool
	}{
		{style: "auto", want: pretty.DefaultStyle},
		{style: "pie-dark", want: "dracula"},
		{style: "vim", want: "vim"},
		{style: "no-such-style", unknown: true},
	} {
		var got string
		cmd := newHTTPCmd(&IOStreams{}, func(_ context.Context, o *httpOptions) error { got = o.Style; return nil })
		cmd.SetArgs([]string{"--style", tt.style, "example.org"})
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if got != tt.want || errors.Is(err, pretty.ErrUnknownStyle) != tt.unknown {
			t.Errorf("--style %s: %q, %v; want %q, unknown %v", tt.style, got, err, tt.want, tt.unknown)
		}
	}
}
