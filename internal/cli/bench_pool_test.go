package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnats"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/loadgen"
	"github.com/netkit-dev/netkit/natsbus"
)

// TestBenchWorkers: three `netkit bench worker` processes on an embedded
// NATS server carry one run of `netkit bench http --workers 3`; the
// merged count is the server's, and a worker killed mid-run makes the
// result partial, named, with a non-zero exit.
func TestBenchWorkers(t *testing.T) {
	bin := netkitBinary(t)
	ns := testnats.Start(t, natsbus.ServerConfig{})
	var served atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served.Add(1) }))
	defer hs.Close()

	var workers []*exec.Cmd
	for _, name := range []string{"w1", "w2", "w3"} {
		cmd := exec.Command(bin, "bench", "worker", "--nats", ns.ClientURL(), "--name", name)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, cmd)
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		})
	}

	report := filepath.Join(t.TempDir(), "report.html")
	code, out, stderr := run(t, "", "bench", "http", hs.URL, "--nats", ns.ClientURL(), "--workers", "3",
		"-c", "6", "-n", "900", "--json", "--html", report)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res loadgen.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if res.Requests != 900 || served.Load() != 900 || len(res.Workers) != 3 || res.Partial {
		t.Errorf("merged %d requests, the server served %d, %d worker rows, partial %v; want 900, 900, 3, false",
			res.Requests, served.Load(), len(res.Workers), res.Partial)
	}

	html, _ := os.ReadFile(report)
	for _, name := range []string{"w1", "w2", "w3"} {
		if !strings.Contains(string(html), "worker "+name) {
			t.Errorf("the HTML report has no row for worker %s", name)
		}
	}

	// Kill w2 once the next run is under way.
	before := served.Load()
	go func() {
		if testnet.Eventually(20*time.Second, func() bool { return served.Load() >= before+200 }) {
			workers[1].Process.Kill()
		}
	}()
	code, out, stderr = run(t, "", "bench", "http", hs.URL, "--nats", ns.ClientURL(), "--workers", "3",
		"-c", "3", "--rate", "300", "-d", "5s")
	if code == 0 || !strings.Contains(stderr, "partial result: lost w2") {
		t.Errorf("a run that lost w2: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(out, "LOST") || !strings.Contains(out, "PARTIAL") {
		t.Errorf("the text output does not show the loss:\n%s", out)
	}
}
