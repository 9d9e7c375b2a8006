package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
)

// ReadResult reads a result that `netkit bench --json` wrote.
func ReadResult(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r Result
	dec := json.NewDecoder(io.LimitReader(f, 64<<20))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%s: not a bench result: %w", path, err)
	}
	if r.Target == "" {
		return nil, fmt.Errorf("%s: not a bench result: no target", path)
	}
	return &r, nil
}

// WriteComparison prints two runs side by side, as benchstat does for
// benchmarks: throughput, errors and every percentile, with the change
// from a to b as a ratio (b ÷ a; for latency, below 1 is faster).
func WriteComparison(w io.Writer, a, b *Result, nameA, nameB string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\t%s\t%s\tB ÷ A\t\n", nameA, nameB)
	ratio := func(x, y float64) string {
		if x == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", y/x)
	}
	fmt.Fprintf(tw, "requests/s\t%.1f\t%.1f\t%s\t\n", a.RPS, b.RPS, ratio(a.RPS, b.RPS))
	fmt.Fprintf(tw, "requests\t%d\t%d\t%s\t\n", a.Requests, b.Requests, ratio(float64(a.Requests), float64(b.Requests)))
	fmt.Fprintf(tw, "errors\t%d\t%d\t\t\n", a.Errors, b.Errors)
	for _, p := range []struct {
		name string
		a, b Duration
	}{
		{"p50", a.Latency.P50, b.Latency.P50},
		{"p90", a.Latency.P90, b.Latency.P90},
		{"p99", a.Latency.P99, b.Latency.P99},
		{"p99.9", a.Latency.P999, b.Latency.P999},
		{"max", a.Latency.Max, b.Latency.Max},
	} {
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t\n", p.name, p.a, p.b, ratio(float64(p.a), float64(p.b)))
	}
	return tw.Flush()
}
