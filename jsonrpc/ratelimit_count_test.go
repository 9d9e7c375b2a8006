package jsonrpc_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

// TestCallRateCounted: the calls CallRate refuses are counted, on
// netkit_rpc_rate_limited_total too, and logged at most once a second.
func TestCallRateCounted(t *testing.T) {
	logs := &testnet.Buffer{}
	s := pingServer()
	s.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.RateLimitCollector())
	addr := testnet.Serve(t, &tcpserver.Server{Handler: s.TCPHandler()})

	began := time.Now()
	got := countLimitedTCP(t, addr, 50)
	elapsed := time.Since(began)
	if got != 47 || s.RateLimited() != 47 {
		t.Errorf("%d calls answered CodeRateLimited, RateLimited() = %d; want 47 (burst 3)", got, s.RateLimited())
	}
	want := "# HELP netkit_rpc_rate_limited_total JSON-RPC calls refused with error -32005 because their connection was over its call rate (--rpc-rate).\n" +
		"# TYPE netkit_rpc_rate_limited_total counter\nnetkit_rpc_rate_limited_total 47\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "netkit_rpc_rate_limited_total"); err != nil {
		t.Error(err)
	}
	// One kind of event, logged at most once a second.
	n, most := strings.Count(logs.String(), "over its call rate"), int(elapsed/time.Second)+1
	if n == 0 || n > most {
		t.Errorf("%d log lines for 47 refused calls in %v, want 1 to %d:\n%s", n, elapsed, most, logs.String())
	}
}
