package cli

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTPDownload: a Content-Disposition name with ../ is saved as its
// base name, an existing file is not overwritten, a body cut short is an
// error that keeps the partial file, and --continue completes it.
func TestHTTPDownload(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/evil":
			w.Header().Set("Content-Disposition", `attachment; filename="../../evil.txt"`)
			w.Write([]byte("not in the parent"))
		case "/short":
			// Promises the whole file, sends a part, and hangs up.
			w.Header().Set("Content-Length", "65536")
			w.Write(content[:20000])
			w.(http.Flusher).Flush()
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		default:
			http.ServeContent(w, r, "data.bin", time.Unix(0, 0), bytes.NewReader(content))
		}
	}))
	defer ts.Close()
	dir := t.TempDir()
	t.Chdir(dir)

	// Output redirected: the body goes there.
	if code, out, _ := run(t, "", "http", "--download", ts.URL+"/evil"); code != 0 || out != "not in the parent" {
		t.Fatalf("redirected download: %d %q", code, out)
	}
	// On a terminal: to a file.
	if code, _, stderr := runTTY(t, "http", "--download", ts.URL+"/evil"); code != 0 {
		t.Fatalf("download: %d %q", code, stderr)
	}
	if b, err := os.ReadFile("evil.txt"); err != nil || string(b) != "not in the parent" {
		t.Errorf("evil.txt: %q, %v", b, err)
	}
	if code, _, _ := runTTY(t, "http", "-d", ts.URL+"/evil"); code != 0 {
		t.Fatal("second download failed")
	}
	if _, err := os.Stat("evil.txt-1"); err != nil {
		t.Errorf("the second download did not go to evil.txt-1: %v", err)
	}

	code, _, stderr := run(t, "", "http", "-d", "-o", "data.bin", ts.URL+"/short")
	if code == 0 || !strings.Contains(stderr, "incomplete download") || !strings.Contains(stderr, "--continue") {
		t.Fatalf("short download: exit %d, %q", code, stderr)
	}
	if fi, err := os.Stat("data.bin"); err != nil || fi.Size() != 20000 {
		t.Fatalf("partial file: %v, %v", fi, err)
	}
	code, _, stderr = run(t, "", "http", "-d", "-c", "-o", "data.bin", ts.URL+"/data.bin")
	if code != 0 || !strings.Contains(stderr, "Resuming data.bin at byte 20000") {
		t.Fatalf("--continue: exit %d, %q", code, stderr)
	}
	if b, _ := os.ReadFile("data.bin"); !bytes.Equal(b, content) {
		t.Errorf("resumed file: %d bytes, equal %v", len(b), bytes.Equal(b, content))
	}
	// Complete already: nothing to do.
	if code, _, stderr = run(t, "", "http", "-d", "-c", "-o", "data.bin", ts.URL+"/data.bin"); code != 0 || !strings.Contains(stderr, "already complete") {
		t.Errorf("complete file: exit %d, %q", code, stderr)
	}
	if code, _, _ = run(t, "", "http", "-c", "-d", ts.URL+"/data.bin"); code == 0 {
		t.Error("--continue without --output accepted")
	}
}

// TestHTTPRetryAndTimeoutMessages: with -v each retry is shown with its
// wait, and a timeout names the limit that ran out.
func TestHTTPRetryAndTimeoutMessages(t *testing.T) {
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond) // the server's work; the client's --timeout is shorter
		}
		if hits.Load() < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer ts.Close()
	code, _, stderr := run(t, "", "http", "-v", "--retry-max-delay", "10ms", ts.URL)
	if code != 0 || strings.Count(stderr, "retrying in") != 2 || !strings.Contains(stderr, "attempt 1 of 3 failed: http-5xx") {
		t.Errorf("retries: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "", "http", "--timeout", "50ms", "--retries", "0", ts.URL+"/slow")
	if code != exitHTTPTimeout || !strings.Contains(stderr, "no response within --timeout 50ms") {
		t.Errorf("timeout: exit %d, stderr %q", code, stderr)
	}
}

// TestHTTPNetworkFlags: --stream prints lines as they come, --max-headers
// refuses a response with more, --proxy sends through the proxy, and
// --print=m shows the elapsed time.
func TestHTTPNetworkFlags(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ndjson":
			for i := range 3 {
				fmt.Fprintf(w, `{"n":%d}`+"\n", i)
				w.(http.Flusher).Flush()
			}
		case "/many":
			for i := range 5 {
				w.Header().Set(fmt.Sprintf("X-H%d", i), "v")
			}
		default:
			fmt.Fprintf(w, "host=%s uri=%s", r.Host, r.RequestURI)
		}
	}))
	defer ts.Close()
	code, out, stderr := run(t, "", "http", "--stream", ts.URL+"/ndjson")
	if code != 0 || out != "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n" {
		t.Errorf("--stream: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := run(t, "", "http", "--max-headers", "4", ts.URL+"/many"); code == 0 || !strings.Contains(stderr, "over --max-headers 4") {
		t.Errorf("--max-headers: %d %q", code, stderr)
	}
	// The test server is the proxy: a proxied request carries the whole
	// URL as its target.
	_, out, _ = run(t, "", "http", "--proxy", "http:"+ts.URL, "http://example.invalid/x")
	if !strings.Contains(out, "host=example.invalid uri=http://example.invalid/x") {
		t.Errorf("--proxy: %q", out)
	}
	if _, out, _ = run(t, "", "http", "--print=m", ts.URL); !strings.HasPrefix(out, "Elapsed time: ") {
		t.Errorf("--print=m: %q", out)
	}
}

// TestHTTP2: over TLS, HTTP/2 is negotiated and shown; --http1 keeps
// HTTP/1.1.
func TestHTTP2(t *testing.T) {
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Proto)
	}))
	ts.EnableHTTP2 = true
	ts.StartTLS()
	defer ts.Close()
	if _, out, stderr := run(t, "", "http", "--verify", "no", "--print=hb", ts.URL); !strings.HasPrefix(out, "HTTP/2 200 OK") || !strings.HasSuffix(out, "HTTP/2.0") {
		t.Errorf("default: %q %q", out, stderr)
	}
	if _, out, _ := run(t, "", "http", "--verify", "no", "--http1", "--print=hb", ts.URL); !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.HasSuffix(out, "HTTP/1.1") {
		t.Errorf("--http1: %q", out)
	}
}

// TestHTTPBodyCodings: --chunked sends chunked transfer coding, and -x a
// deflated body the server can inflate.
func TestHTTPBodyCodings(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "deflate" {
			zr, err := zlib.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		fmt.Fprintf(w, "te=%v cl=%d ce=%s len=%d", r.TransferEncoding, r.ContentLength, r.Header.Get("Content-Encoding"), len(b))
	}))
	defer ts.Close()
	long := "a=" + strings.Repeat("x", 2000)
	if _, out, _ := run(t, "", "http", "--chunked", "POST", ts.URL, long); !strings.HasPrefix(out, "te=[chunked] cl=-1") {
		t.Errorf("--chunked: %q", out)
	}
	if _, out, _ := run(t, "", "http", "-x", "POST", ts.URL, long); !strings.Contains(out, "ce=deflate len=2009") {
		t.Errorf("-x: %q", out)
	}
	if _, out, _ := run(t, "", "http", "-x", "POST", ts.URL, "a=1"); !strings.Contains(out, "ce= len=10") {
		t.Errorf("-x on a body deflate makes longer: %q", out)
	}
	if _, out, _ := run(t, "", "http", "-xx", "POST", ts.URL, "a=1"); !strings.Contains(out, "ce=deflate len=10") {
		t.Errorf("-xx: %q", out)
	}
}

// runTTY runs netkit with standard output on a terminal, as far as the
// command can tell.
func runTTY(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, out, errOut := Test("")
	streams.OutTTY = true
	code = Main(context.Background(), args, streams)
	return code, out.String(), errOut.String()
}

// TestHTTPDownloadStall: a server that stops sending mid-body is given up
// after --timeout of silence, the partial file kept.
func TestHTTPDownloadStall(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // silent until the client gives up
	}))
	defer ts.Close()
	t.Chdir(t.TempDir())
	done := make(chan int, 1)
	go func() {
		code, _, _ := run(t, "", "http", "-d", "-o", "part.bin", "--timeout", "200ms", ts.URL)
		done <- code
	}()
	select {
	case code := <-done:
		if code == 0 {
			t.Error("a stalled download succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a stalled download hung past --timeout")
	}
	if fi, err := os.Stat("part.bin"); err != nil || fi.Size() != 100 {
		t.Errorf("partial file: %v, %v", fi, err)
	}
}

// TestHTTPMaxHeaders: by default there is no limit, as in HTTPie; with
// --max-headers a response with more is refused once its head is read,
// before its body (a body over --max-body would be the error otherwise),
// on a redirect too.
func TestHTTPMaxHeaders(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 124 {
			w.Header().Set(fmt.Sprintf("X-H%d", i), "v")
		}
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer ts.Close()
	for _, tt := range []struct {
		args     []string
		tooMany  bool // refused for its headers
		wantCode int
	}{
		{args: []string{ts.URL}},
		{args: []string{"--max-headers", "0", ts.URL}},
		{args: []string{"--max-headers", "200", ts.URL}},
		{args: []string{"--max-headers", "100", "--max-body", "10", ts.URL}, tooMany: true, wantCode: ExitError},
		{args: []string{"--max-headers", "100", "--follow", ts.URL + "/redirect"}, tooMany: true, wantCode: ExitError},
		{args: []string{"--max-headers", "100", "--stream", ts.URL}, tooMany: true, wantCode: ExitError},
	} {
		streams, _, errOut := Test("")
		var gotErr error
		cmd := newHTTPCmd(streams, func(ctx context.Context, o *httpOptions) error {
			gotErr = runHTTP(ctx, o)
			return gotErr
		})
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		cmd.Execute()
		code := exitCode(gotErr)
		if code != tt.wantCode || errors.Is(gotErr, errTooManyHeaders) != tt.tooMany {
			t.Errorf("%v: exit %d (%v, %s); want %d, too many headers %v", tt.args, code, gotErr, errOut, tt.wantCode, tt.tooMany)
		}
	}
}

// TestHumanizeBytes: sizes as HTTPie's download messages show them.
func TestHumanizeBytes(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0.0 B"}, {1, "1 B"}, {512, "512.0 B"}, {2000, "2.0 kB"}, {1024 * 123, "123.0 kB"},
		{1024 * 12342, "12.1 MB"}, {1024 * 1234 * 1111, "1.3 GB"},
	} {
		if got := humanizeBytes(tt.n); got != tt.want {
			t.Errorf("humanizeBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
