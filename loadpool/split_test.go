package loadpool

import (
	"errors"
	"testing"

	"github.com/netkit-dev/netkit/loadgen"
)

// TestSplit: the connections and the request budget add up to the run's,
// every worker has connections and, with a budget, a budget of its own
// (a zero would mean none); a budget smaller than the workers is refused.
func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		conns    int
		requests int64
		workers  int
		err      error
	}{
		{conns: 4, requests: 2, workers: 3, err: ErrWorkers},
		{conns: 2, workers: 3, err: ErrWorkers},
		{conns: 4, requests: 3, workers: 3},
		{conns: 7, requests: 3001, workers: 3},
		{conns: 100, requests: 1 << 62, workers: 3},
		{conns: 5, workers: 2},
	} {
		jobs, err := split(loadgen.Config{Target: loadgen.HTTP, URL: "http://127.0.0.1:1/", Conns: tc.conns, Requests: tc.requests}, nil, "r", tc.workers)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%+v: error %v, want %v", tc, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		var conns, first int
		var requests int64
		for i, j := range jobs {
			if j.Conns < 1 || (tc.requests > 0 && j.Requests < 1) || (tc.requests == 0 && j.Requests != 0) {
				t.Errorf("%+v: job %d has %d connections and %d requests", tc, i, j.Conns, j.Requests)
			}
			if j.FirstClient != first {
				t.Errorf("%+v: job %d's first client is %d, want %d", tc, i, j.FirstClient, first)
			}
			first += j.Conns
			conns += j.Conns
			requests += j.Requests
		}
		if conns != tc.conns || requests != tc.requests {
			t.Errorf("%+v: the jobs add up to %d connections and %d requests", tc, conns, requests)
		}
	}
}
