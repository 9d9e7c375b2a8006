package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/internal/testnet"
)

func getWith(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAdminToken: with a token, admin endpoints need it (401 without or
// wrong, 200 with), /healthz and /readyz stay open, /metrics too with
// --admin-public-metrics; the dashboard and /ws/rpc need it, the chat page
// does not.
func TestAdminToken(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("s3cret-token\n"), 0o600)
	addrs := serveInProcess(t, 3, "--echo-addr", "off", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "off",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--admin-token-file", tokenFile)
	admin := "http://" + addrs["admin"]
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", 401},
		{"/metrics", "wrong", 401},
		{"/metrics", "s3cret-token", 200},
		{"/healthz", "", 200},
		{"/readyz", "", 200},
	} {
		if got := getWith(t, admin+tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s with token %q = %d, want %d", tt.path, tt.token, got, tt.want)
		}
	}
	web := "http://" + addrs["web"]
	if got := getWith(t, web+"/", ""); got != 200 {
		t.Errorf("chat page without a token = %d, want 200", got)
	}
	if got := getWith(t, web+"/dashboard", ""); got != 401 {
		t.Errorf("dashboard without a token = %d, want 401 (the sign-in form)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(ctx, "ws://"+addrs["web"]+"/ws/rpc", nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("/ws/rpc without a token: %v, want 401", err)
	}
	c, _, err := websocket.Dial(ctx, "ws://"+addrs["web"]+"/ws/rpc", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer s3cret-token"}}})
	if err != nil {
		t.Fatalf("/ws/rpc with the token: %v", err)
	}
	c.CloseNow()

	// The sign-in form: a wrong token is refused, the right one sets the
	// session cookie, which opens the dashboard.
	noRedirect := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(web+"/login", url.Values{"token": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("login with a wrong token = %d", resp.StatusCode)
	}
	resp, err = noRedirect.PostForm(web+"/login", url.Values{"token": {"s3cret-token"}, "next": {"//evil.example"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" || len(resp.Cookies()) != 1 {
		t.Fatalf("login = %d, Location %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	cookie := resp.Cookies()[0]
	if strings.Contains(cookie.Value, "s3cret") || !cookie.HttpOnly {
		t.Errorf("session cookie %+v: want HttpOnly and no token in it", cookie)
	}
	req, _ := http.NewRequest("GET", web+"/dashboard", nil)
	req.AddCookie(cookie)
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "dashboard.js") {
		t.Errorf("dashboard with the session = %d", resp.StatusCode)
	}
}

// TestProtectedMode: the admin listener on an address other machines can
// reach needs a token; the web listener's dashboard and /ws/rpc are shut
// without one.
func TestProtectedMode(t *testing.T) {
	t.Setenv(tokenEnv, "")
	code, _, stderr := run(t, "", "serve", "--echo-addr", "off", "--chat-addr", "off", "--rpc-addr", "off",
		"--web-addr", "off", "--admin-addr", "0.0.0.0:0")
	if code == 0 || !strings.Contains(stderr, "protected mode") || !strings.Contains(stderr, "without a token") {
		t.Errorf("admin on 0.0.0.0 without a token: exit %d, %q", code, stderr)
	}
	if err := protect("0.0.0.0:9090", nil); !errors.Is(err, errProtected) {
		t.Errorf("protect(0.0.0.0) = %v", err)
	}
	for _, addr := range []string{"127.0.0.1:9090", "[::1]:9090", "localhost:9090", "off"} {
		if err := protect(addr, nil); err != nil {
			t.Errorf("protect(%s) = %v", addr, err)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "127.5.0.1:1": true, "[::1]:1": true, "localhost:1": true,
		":1": false, "0.0.0.0:1": false, "[::]:1": false, "example.com:1": false, "10.0.0.1:1": false} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}
	// The web listener on every interface: chat is served, the dashboard
	// is not. (Bound to 0.0.0.0, reached on 127.0.0.1.)
	addrs := serveInProcess(t, 2, "--echo-addr", "off", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "off",
		"--admin-addr", "off", "--web-addr", "0.0.0.0:0")
	_, port, _ := strings.Cut(addrs["web"], "]:")
	if port == "" {
		_, port, _ = strings.Cut(addrs["web"], ":")
	}
	web := "http://127.0.0.1:" + port
	if got := getWith(t, web+"/", ""); got != 200 {
		t.Errorf("chat page = %d", got)
	}
	if got := getWith(t, web+"/dashboard", ""); got != 403 {
		t.Errorf("dashboard on a public listener without a token = %d, want 403", got)
	}
}

// TestServePerIPLimits: with --max-conns-per-ip 100 --limit-loopback, the
// 101st connection from 127.0.0.1 to echo is closed at once while the
// first 100 keep working, and the refusal is on /metrics.
func TestServePerIPLimits(t *testing.T) {
	addrs := serveInProcess(t, 2, "--echo-addr", "127.0.0.1:0", "--chat-addr", "off", "--rpc-addr", "off",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "off", "--max-conns-per-ip", "100", "--accept-rate-per-ip", "0", "--limit-loopback")
	conns := make([]*bufio.Reader, 100)
	raw := make([]net.Conn, 100)
	for i := range raw {
		raw[i] = testnet.Dial(t, addrs["echo"])
		raw[i].SetDeadline(time.Now().Add(20 * time.Second))
		conns[i] = bufio.NewReader(raw[i])
		fmt.Fprintf(raw[i], "n%d\n", i)
		if got, err := conns[i].ReadString('\n'); err != nil || got != fmt.Sprintf("ECHO: n%d\n", i) {
			t.Fatalf("connection %d: %q, %v", i, got, err)
		}
	}
	extra := testnet.Dial(t, addrs["echo"])
	extra.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(extra, "one too many\n")
	if b, _ := io.ReadAll(extra); len(b) != 0 {
		t.Errorf("the 101st connection got %q", b)
	}
	for i := range raw {
		fmt.Fprint(raw[i], "again\n")
		if got, err := conns[i].ReadString('\n'); err != nil || got != "ECHO: again\n" {
			t.Fatalf("connection %d after the refusal: %q, %v", i, got, err)
		}
	}
	_, metrics := httpGetQuiet("http://" + addrs["admin"] + "/metrics")
	if !strings.Contains(metrics, `netkit_refused_per_ip_total{reason="conns",service="echo"} 1`) {
		t.Errorf("/metrics lacks the refusal:\n%s", grepLines(metrics, "refused_per_ip"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAdminTokenEnv: NETKIT_ADMIN_TOKEN sets the token as the flags do;
// --admin-public-metrics leaves /metrics open to scrapers and nothing
// else. /metrics also counts the calls --rpc-rate refused.
func TestAdminTokenEnv(t *testing.T) {
	t.Setenv(tokenEnv, "env-token")
	addrs := serveInProcess(t, 2, "--echo-addr", "off", "--chat-addr", "off", "--rpc-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "off", "--admin-public-metrics", "--rpc-rate", "1")
	admin := "http://" + addrs["admin"]
	for _, tt := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", 200}, // --admin-public-metrics
		{"/healthz", "", 200},
		{"/readyz", "", 200},
	} {
		if got := getWith(t, admin+tt.path, tt.token); got != tt.want {
			t.Errorf("GET %s with token %q = %d, want %d", tt.path, tt.token, got, tt.want)
		}
	}
	// POST /rpc stays behind the token from the environment.
	for token, want := range map[string]int{"": 401, "wrong": 401, "env-token": 200} {
		req, _ := http.NewRequest("POST", admin+"/rpc", strings.NewReader(`{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}`))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("POST /rpc with token %q = %d, want %d", token, resp.StatusCode, want)
		}
	}

	// --rpc-rate 1 (a burst of 2): of 10 calls sent at once on one
	// connection, 8 are refused, and /metrics counts them.
	c := testnet.Dial(t, addrs["rpc"])
	c.SetDeadline(time.Now().Add(10 * time.Second))
	var msgs []byte
	for i := range 10 {
		msgs = frame.Append(msgs, []byte(fmt.Sprintf(`{"jsonrpc":"2.0","method":"add","params":[%d,1],"id":%d}`, i, i)))
	}
	c.Write(msgs)
	fr := frame.NewReader(c, 0)
	for range 10 {
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	var metrics string
	if !testnet.Eventually(10*time.Second, func() bool {
		_, metrics = httpGetQuiet(admin + "/metrics")
		return strings.Contains(metrics, "\nnetkit_rpc_rate_limited_total 8\n")
	}) {
		t.Errorf("/metrics: %q, want netkit_rpc_rate_limited_total 8", grepLines(metrics, "netkit_rpc_rate"))
	}
}
