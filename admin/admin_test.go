package admin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/admin"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	a := admin.NewServer(admin.Config{})
	srv := &tcpserver.Server{Handler: tcpserver.HandlerFunc(func(ctx context.Context, c *tcpserver.Conn) error { return nil })}
	a.Registry().MustRegister(tcpserver.NewCollector(srv, "echo"))
	a.Handle("POST /rpc", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "rpc") }))
	notReady := errors.New("warming up")
	var check error = notReady
	a.AddReadyCheck("cache", func() error { return check })

	ln := testnet.Listen(t)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	defer http.DefaultClient.CloseIdleConnections()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "cache: warming up") {
		t.Errorf("/readyz with a failing check = %d %q", code, body)
	}
	check = nil
	if code, _ := get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz when ready = %d", code)
	}
	code, body := get(t, base+"/metrics")
	for _, want := range []string{`netkit_tcp_connections_active{service="echo"} 0`, "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	resp, err := http.Post(base+"/rpc", "application/json", strings.NewReader("{}"))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "rpc" {
			t.Errorf("mounted handler answered %q", b)
		}
	}
	a.Drain()
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "shutting down") {
		t.Errorf("/readyz while draining = %d %q", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz while draining = %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
}
