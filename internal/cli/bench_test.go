package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestBenchFlags(t *testing.T) {
	def := benchOptions{
		Target: loadgen.Line, Addr: "127.0.0.1:7001", Conns: 10, Duration: 10 * time.Second,
		Pipeline: 1, Timeout: 5 * time.Second, Message: "ping", Method: "GET", Interval: time.Second, Engine: "netkit",
		Pool: poolFlags{Wait: 30 * time.Second},
	}
	with := func(f func(o *benchOptions)) benchOptions { o := def; f(&o); return o }
	tests := []struct {
		args    []string
		want    benchOptions
		wantErr bool
	}{
		{[]string{"line"}, def, false},
		{[]string{"rpc"}, with(func(o *benchOptions) { o.Target, o.Addr = loadgen.RPC, "127.0.0.1:7003" }), false},
		{[]string{"chat"}, with(func(o *benchOptions) { o.Target, o.Addr = loadgen.Chat, "127.0.0.1:7002" }), false},
		{
			[]string{"rpc", "h:1", "-c", "100", "-d", "2.5", "-n", "1000", "--pipeline", "8", "--json", "--html", "r.html", "--timeout", "1s"},
			with(func(o *benchOptions) {
				o.Target, o.Addr, o.Conns, o.Duration, o.Requests, o.Pipeline = loadgen.RPC, "h:1", 100, 2500*time.Millisecond, 1000, 8
				o.JSON, o.HTML, o.Timeout = true, "r.html", time.Second
			}),
			false,
		},
		{
			[]string{"line", "127.0.0.1:6379", "--message", "PING", "--expect", "+PONG", "--rate", "5000", "--label", "redis"},
			with(func(o *benchOptions) {
				o.Addr, o.Message, o.Expect, o.Rate, o.Label = "127.0.0.1:6379", "PING", "+PONG", 5000, "redis"
			}),
			false,
		},
		{
			[]string{"connect", "--idle-conns", "30000", "--source-addrs", "4", "--ramp", "5000", "--interval", "250ms"},
			with(func(o *benchOptions) {
				o.Target, o.IdleConns, o.SourceAddrs, o.Ramp, o.Interval = loadgen.Connect, 30000, 4, 5000, 250*time.Millisecond
			}),
			false,
		},
		{
			[]string{"http", "http://127.0.0.1:9090/healthz", "-X", "POST", "--body", "{}"},
			with(func(o *benchOptions) {
				o.Target, o.Addr, o.Method, o.Body = loadgen.HTTP, "http://127.0.0.1:9090/healthz", "POST", "{}"
			}),
			false,
		},
		{nil, def, true},
		{[]string{"smtp"}, def, true},
		{[]string{"http"}, def, true},
		{[]string{"line", "--conns", "0"}, def, true},
		{[]string{"line", "--pipeline", "0"}, def, true},
		{[]string{"line", "--duration", "0"}, def, true},
		{[]string{"line", "--rate", "-1"}, def, true},
		{[]string{"line", "--source-addrs", "300"}, def, true},
		{[]string{"line", "a:1", "b:2"}, def, true},
	}
	for _, tt := range tests {
		got, err := parseOptions(newBenchCmd, tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("bench %q: error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil {
			got.Streams = nil
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("bench %q options (-want +got):\n%s", tt.args, diff)
			}
		}
	}
}

func TestBenchConfig(t *testing.T) {
	o := benchOptions{Target: loadgen.HTTP, Addr: "http://h/", SourceAddrs: 3, Body: "x"}
	cfg := o.config()
	if cfg.URL != "http://h/" || cfg.Addr != "" || string(cfg.Body) != "x" {
		t.Errorf("http config: URL %q Addr %q Body %q", cfg.URL, cfg.Addr, cfg.Body)
	}
	want := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	if diff := cmp.Diff(want, cfg.SourceAddrs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("source addresses (-want +got):\n%s", diff)
	}
}

func benchRPCServer(t *testing.T) string {
	t.Helper()
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	srv := &tcpserver.Server{Handler: s.TCPHandler()}
	return testnet.Serve(t, srv)
}

func TestBenchRun(t *testing.T) {
	echoAddr := echoServer(t)
	rpcAddr := benchRPCServer(t)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(hs.Close)

	t.Run("text", func(t *testing.T) {
		code, out, stderr := run(t, "", "bench", "line", echoAddr, "-c", "2", "-n", "200", "--expect", "ECHO: ping")
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		for _, want := range []string{"line " + echoAddr + ": 2 connections, closed model", "requests   200 (", "errors     0\n", "latency    p50 "} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if stderr != "" {
			t.Errorf("stderr %q, want nothing when not on a terminal", stderr)
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, args := range [][]string{
			{"bench", "rpc", rpcAddr, "-c", "2", "--pipeline", "4", "-n", "400", "--json"},
			{"bench", "connect", echoAddr, "-c", "2", "-n", "50", "--json"},
			{"bench", "http", hs.URL, "-c", "2", "--rate", "200", "-d", "300ms", "--json"},
			{"bench", "line", echoAddr, "-c", "2", "--rate", "400", "-d", "300ms", "--json"},
		} {
			code, out, stderr := run(t, "", args...)
			if code != 0 {
				t.Fatalf("%q: exit %d, stderr %q", args, code, stderr)
			}
			var res loadgen.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%q: output is not a result: %v\n%s", args, err, out)
			}
			if res.Requests == 0 || res.Errors != 0 || res.Latency.P99 == 0 || string(res.Target) != args[1] {
				t.Errorf("%q: result %+v", args, res)
			}
			if res.Target == loadgen.HTTP || res.Target == loadgen.Line && res.Rate > 0 {
				if res.Model != "open" || res.ServiceTime == nil {
					t.Errorf("%q: model %q, service time %v; want open with a service time", args, res.Model, res.ServiceTime)
				}
			}
		}
	})

	t.Run("html", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "report.html")
		code, _, stderr := run(t, "", "bench", "line", echoAddr, "-c", "2", "-d", "300ms", "--interval", "100ms", "--html", path)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if page := string(b); !strings.Contains(page, "<svg") || !strings.Contains(page, "Throughput over time") {
			t.Errorf("report lacks its plots: %.300s", page)
		}
	})

	t.Run("progress on a terminal", func(t *testing.T) {
		streams, out, errOut := Test("")
		streams.ErrTTY = true
		code := Main(context.Background(), []string{"bench", "line", echoAddr, "-c", "2", "-d", "1s", "--interval", "100ms"}, streams)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		progress := errOut.String()
		if strings.Count(progress, "req/s") < 2 || !strings.Contains(progress, "\r") || !strings.Contains(progress, "p99 ") {
			t.Errorf("progress lines on a terminal: %q", progress)
		}
		if !strings.HasSuffix(progress, "\r\033[K") {
			t.Errorf("the progress line is not cleared at the end: %q", progress)
		}
		if strings.Contains(out.String(), "req/s") {
			t.Errorf("progress went to stdout: %q", out)
		}
	})

	t.Run("nothing answers", func(t *testing.T) {
		ln := testnet.Listen(t)
		addr := ln.Addr().String()
		ln.Close()
		code, _, stderr := run(t, "", "bench", "line", addr, "-c", "1", "-d", "200ms")
		if code != exitHTTPConnect || !strings.Contains(stderr, "no connection") {
			t.Errorf("bench against a closed port: exit %d, stderr %q", code, stderr)
		}
	})
}

// TestBenchHTTPStatuses: non-2xx answers are answers, counted by status
// in the output, and --html says where the report went.
func TestBenchHTTPStatuses(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("n") == "" {
			http.NotFound(w, r)
		}
	}))
	defer hs.Close()
	report := filepath.Join(t.TempDir(), "r.html")
	code, out, stderr := run(t, "", "bench", "http", hs.URL, "-c", "1", "-n", "20", "--html", report)
	if code != 0 || !strings.Contains(out, "status     404 ×20") || !strings.Contains(out, "errors     0") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, stderr)
	}
	if !strings.Contains(stderr, "wrote the HTML report to "+report) {
		t.Errorf("stderr %q does not say where the report went", stderr)
	}
	if html, _ := os.ReadFile(report); !strings.Contains(string(html), "404 ×20") {
		t.Error("the HTML report has no status codes")
	}
}

// TestBenchHTTPKnobs: -H, -T, --host, --body-file and a URL without a
// scheme reach the server; an https server's certificate is verified
// unless --insecure.
func TestBenchHTTPKnobs(t *testing.T) {
	type seen struct{ method, host, ct, x, body string }
	got := make(chan seen, 100)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- seen{r.Method, r.Host, r.Header.Get("Content-Type"), r.Header.Get("X-Run"), string(b)}:
		default:
		}
	}))
	defer hs.Close()
	body := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(body, []byte(`{"k":1}`), 0o600)
	url := strings.TrimPrefix(hs.URL, "http://") + "/x"
	code, out, stderr := run(t, "", "bench", "http", url, "-c", "1", "-n", "3", "-X", "POST",
		"-H", "X-Run: 7", "-T", "application/json", "--host", "api.example", "--body-file", body)
	if code != 0 {
		t.Fatalf("exit %d: %q %q", code, out, stderr)
	}
	want := seen{"POST", "api.example", "application/json", "7", `{"k":1}`}
	if s := <-got; s != want {
		t.Errorf("server saw %+v, want %+v", s, want)
	}

	ts := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer ts.Close()
	code, out, stderr = run(t, "", "bench", "http", ts.URL, "-c", "1", "-n", "2", "--timeout", "2s")
	if code != exitTLS || !strings.Contains(stderr, "certificate") {
		t.Errorf("self-signed server without --insecure: exit %d (want %d), %q %q", code, exitTLS, out, stderr)
	}
	if code, out, stderr := run(t, "", "bench", "http", ts.URL, "-c", "1", "-n", "2", "--insecure"); code != 0 {
		t.Errorf("--insecure: exit %d, %q %q", code, out, stderr)
	}
}

// TestBenchCompare: two saved runs side by side, against a golden
// output; --html overlays both; a file that is no result is refused.
func TestBenchCompare(t *testing.T) {
	a, b := "testdata/compare/a.json", "testdata/compare/b.json"
	want, err := os.ReadFile("testdata/compare/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "c.html")
	code, out, stderr := run(t, "", "bench", "compare", a, b, "--html", report)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff(string(want), out); diff != "" {
		t.Errorf("bench compare output (-golden +got):\n%s", diff)
	}
	html, _ := os.ReadFile(report)
	if !strings.Contains(string(html), ">v1<") || !strings.Contains(string(html), ">b<") {
		t.Error("the HTML report does not name both runs")
	}
	if code, _, stderr := run(t, "", "bench", "compare", a, "testdata/compare/golden.txt"); code == 0 || !strings.Contains(stderr, "not a bench result") {
		t.Errorf("a text file as a result: exit %d, %q", code, stderr)
	}
}

// TestBenchRequestsFile: a vegeta targets file is replayed, each request
// in turn with its headers and body, and -H applies to all of them; a
// broken file is refused with its line.
func TestBenchRequestsFile(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("X-K")+" "+r.Header.Get("X-All")+" "+string(b)]++
		mu.Unlock()
		if r.Method == "DELETE" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer hs.Close()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "item.json"), []byte(`{"id":7}`), 0o600)
	targets := "# a mixed workload\nGET " + hs.URL + "/items?id=7\nX-K: 1\n\n" +
		"POST " + hs.URL + "/items\nContent-Type: application/json\n@" + filepath.Join(dir, "item.json") + "\n\n" +
		"DELETE " + hs.URL + "/items/7\nX-All: own\n"
	file := filepath.Join(dir, "targets.txt")
	os.WriteFile(file, []byte(targets), 0o600)
	code, out, stderr := run(t, "", "bench", "http", "--requests-file", file, "-c", "1", "-n", "9", "-H", "X-All: every", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := map[string]int{
		"GET /items?id=7 1 every ":    3,
		`POST /items  every {"id":7}`: 3,
		"DELETE /items/7  own ":       3,
	}
	mu.Lock()
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("requests the server saw (-want +got):\n%s", diff)
	}
	mu.Unlock()
	var res loadgen.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]int64{200: 6, 404: 3}, res.StatusCodes); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}

	os.WriteFile(file, []byte("GET "+hs.URL+"/\nbad header line\n"), 0o600)
	code, _, stderr = run(t, "", "bench", "http", "--requests-file", file, "-n", "1")
	if code == 0 || !strings.Contains(stderr, "line 2") {
		t.Errorf("a broken targets file: exit %d, %q", code, stderr)
	}
}

// TestBenchSingular: one connection is "1 connection".
func TestBenchSingular(t *testing.T) {
	var b strings.Builder
	printBench(&b, &loadgen.Result{Target: loadgen.Line, Addr: "h:1", Model: "closed", Conns: 1, Requests: 1,
		Workers: []loadgen.WorkerResult{{Name: "w1", Conns: 1, Requests: 1}}})
	if out := b.String(); !strings.Contains(out, ": 1 connection, closed model") || !strings.Contains(out, "1 connection, 1 request (") {
		t.Errorf("printBench:\n%s", out)
	}
}
