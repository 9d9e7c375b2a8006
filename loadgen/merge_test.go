package loadgen

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMerge: merging the results of three runs gives the percentiles of
// one histogram fed every sample, and the sums of every count.
func TestMerge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	all := newHist()
	var parts []*Result
	for i := range 3 {
		h := newHist()
		n := 1000 * (i + 1)
		for range n {
			// Each part its own shape: the merged tail comes from one.
			d := time.Duration(rng.ExpFloat64()*float64(time.Millisecond)*float64(i+1)) + 50*time.Microsecond
			record(h, d)
			record(all, d)
		}
		r := &Result{
			Target: HTTP, Model: "closed", Conns: 10, Elapsed: Duration(2 * time.Second),
			Requests: int64(n), Errors: int64(i), ErrorsBy: map[string]int64{"timeout": int64(i)},
			StatusCodes: map[int]int64{200: int64(n)},
			Series:      []Interval{{End: Duration(time.Second), Requests: int64(n / 2)}, {End: Duration(2 * time.Second), Requests: int64(n - n/2)}},
			latency:     h,
		}
		if err := r.encodeHistograms(nil); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, r)
	}
	m, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 6000 || m.Errors != 3 || m.ErrorsBy["timeout"] != 3 || m.StatusCodes[200] != 6000 || m.Conns != 30 {
		t.Errorf("merged counts: requests %d, errors %d %v, statuses %v, conns %d", m.Requests, m.Errors, m.ErrorsBy, m.StatusCodes, m.Conns)
	}
	if m.Series[0].Requests+m.Series[1].Requests != 6000 {
		t.Errorf("merged series %+v", m.Series)
	}
	if m.RPS != 3000 {
		t.Errorf("RPS = %v, want 3000", m.RPS)
	}
	if diff := cmp.Diff(summarize(all), m.Latency); diff != "" {
		t.Errorf("merged summary differs from one histogram's (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(percentiles(all), m.Percentiles); diff != "" {
		t.Errorf("merged percentiles differ from one histogram's (-want +got):\n%s", diff)
	}
	for _, q := range []float64{1, 33.3, 50, 77.7, 99, 99.99} {
		if got, want := m.LatencyAt(q), time.Duration(micros(all.ValueAtQuantile(q))); got != want {
			t.Errorf("p%v = %v, want %v", q, got, want)
		}
	}
	if _, err := Merge([]*Result{{}}); !errors.Is(err, ErrNoHistogram) {
		t.Errorf("a part without its histogram: %v, want ErrNoHistogram", err)
	}
}
