package httpclient

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/retry"
)

// scripted is an httptest server that answers the n-th request (from 0)
// with script(n, w, r) and counts the requests.
type scripted struct {
	*httptest.Server
	hits atomic.Int64
}

func newScripted(t *testing.T, script func(n int, w http.ResponseWriter, r *http.Request)) *scripted {
	t.Helper()
	s := &scripted{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.hits.Add(1) - 1
		script(int(n), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// newTestClient returns a client with a fast retry policy: 4 attempts,
// millisecond backoff, a budget large enough not to interfere.
func newTestClient(t *testing.T) *Client {
	t.Helper()
	c := &Client{Retry: retry.Policy{
		MaxAttempts: 4,
		BaseDelay:   time.Millisecond,
		MaxDelay:    5 * time.Second,
		Budget:      &retry.Budget{Burst: 1000},
	}}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func resetServer(t *testing.T) (string, *atomic.Int64) { return testnet.ResetHTTP(t) }
func blackhole(t *testing.T) (string, *atomic.Int64)   { return testnet.Blackhole(t) }
func refusedAddr(t *testing.T) string                  { return testnet.RefusedAddr(t) }
