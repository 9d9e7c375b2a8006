package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/web"
)

// TestPages: the chat page, the dashboard and their assets are served
// from the binary, each under a Content-Security-Policy that keeps them
// to their own origin.
func TestPages(t *testing.T) {
	_, url, _ := setup(t, web.Config{})
	tests := []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/", "text/html", `src="/assets/chat.js"`, 200},
		{"/dashboard", "text/html", `src="/assets/dashboard.js"`, 200},
		{"/assets/chat.js", "text/javascript", "/ws/chat?format=json", 200},
		{"/assets/dashboard.js", "text/javascript", "metrics.subscribe", 200},
		{"/assets/style.css", "text/css", "--accent", 200},
		{"/nope", "", "", 404},
		{"/assets/nope.js", "", "", 404},
	}
	for _, tt := range tests {
		resp, err := http.Get(url + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
			t.Errorf("GET %s: Content-Type %q, want %s", tt.path, ct, tt.contentType)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
		}
		if !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s: body lacks %q", tt.path, tt.contains)
		}
	}
}

type statsNotice struct {
	Method string `json:"method"`
	Params struct {
		Subscription string    `json:"subscription"`
		Result       web.Stats `json:"result"`
	} `json:"params"`
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
}

// TestMetricsSubscribe: metrics.subscribe on /ws/rpc streams the
// registry's numbers each interval, the WebSocket connections among them
// (chat's, and JSON-RPC's: the subscriber's own), until
// metrics.unsubscribe.
func TestMetricsSubscribe(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, url, ws := setup(t, web.Config{Metrics: reg, StatsInterval: 20 * time.Millisecond})
	reg.MustRegister(tcpserver.NewCollector(ws.Chat(), "web-chat"), ws)
	for range 3 {
		readWS(t, dialWS(t, url, nil), "Welcome!")
	}
	c := dialWSPath(t, url, "/ws/rpc")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	read := func() statsNotice {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var n statsNotice
		if err := json.Unmarshal(b, &n); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return n
	}
	c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.subscribe","id":1}`))
	var sub string
	samples := 0
	for samples < 3 {
		n := read()
		if string(n.ID) == "1" {
			json.Unmarshal(n.Result, &sub)
			continue
		}
		if n.Method != "metrics.stats" {
			t.Fatalf("unexpected %+v", n)
		}
		samples++
		st := n.Params.Result
		want := []web.ServiceStats{{Name: "web-chat", Connections: 3, Accepted: 3}, {Name: "web-rpc", Connections: 1}}
		if diff := cmp.Diff(want, st.Services, cmpopts.IgnoreFields(web.ServiceStats{}, "RequestsPerSec", "BytesInPerSec", "BytesOutPerSec")); diff != "" {
			t.Fatalf("services (-want +got):\n%s", diff)
		}
		if samples > 1 && st.Interval <= 0 {
			t.Errorf("sample %d has no interval", samples)
		}
	}
	if sub == "" {
		t.Fatal("no subscription id")
	}
	c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.unsubscribe","params":["`+sub+`"],"id":2}`))
	for {
		n := read()
		if string(n.ID) == "2" {
			if string(n.Result) != "true" {
				t.Fatalf("unsubscribe = %s", n.Result)
			}
			break
		}
	}
	// Nothing after the unsubscribe response but the answer to a call.
	c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.unsubscribe","params":["`+sub+`"],"id":3}`))
	if n := read(); string(n.ID) != "3" || string(n.Result) != "false" {
		t.Fatalf("after unsubscribing: %+v", n)
	}
}

// TestRebinding: without an admin token the dashboard answers only to a
// loopback host name, so that a page whose name an attacker points at
// 127.0.0.1 (DNS rebinding) cannot read it; the chat page, public, answers
// to any.
func TestRebinding(t *testing.T) {
	_, url, _ := setup(t, web.Config{})
	port := url[strings.LastIndex(url, ":")+1:]
	for _, tt := range []struct {
		path, host string
		status     int
	}{
		{"/dashboard", "127.0.0.1:" + port, 200},
		{"/dashboard", "localhost:" + port, 200},
		{"/dashboard", "LOCALHOST.:" + port, 200},
		{"/dashboard", "app.localhost:" + port, 200},
		{"/dashboard", "[::1]:" + port, 200},
		{"/dashboard", "127.9.9.9", 200},
		{"/dashboard", "evil.example:" + port, 403},
		{"/dashboard", "localhost.evil.example", 403},
		{"/dashboard", "192.0.2.1:" + port, 403},
		{"/", "evil.example:" + port, 200},
	} {
		req, err := http.NewRequest(http.MethodGet, url+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s with Host %q = %d, want %d", tt.path, tt.host, resp.StatusCode, tt.status)
		}
	}
}

// TestStatsGatherFails: when the registry cannot be gathered, the
// dashboard's watchers get no statistics, and the log says why, at most
// once a second however often the sampling fails.
func TestStatsGatherFails(t *testing.T) {
	began := time.Now()
	logs := &testnet.Buffer{}
	failing := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return nil, errors.New("collector broke") })
	_, url, _ := setup(t, web.Config{Metrics: failing, StatsInterval: 10 * time.Millisecond, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	c := dialWSPath(t, url, "/ws/rpc")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"metrics.subscribe","id":1}`))
	if !testnet.Eventually(10*time.Second, func() bool { return strings.Contains(logs.String(), "collector broke") }) {
		t.Fatalf("no log of the failed gathering:\n%s", logs.String())
	}
	// Sampled every 10 ms: a line each time would be dozens.
	if n, most := strings.Count(logs.String(), "dashboard statistics unavailable"), int(time.Since(began)/time.Second)+1; n > most {
		t.Errorf("%d log lines in %v, want at most one a second", n, time.Since(began))
	}
}
