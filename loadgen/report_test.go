package loadgen_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/loadgen"
)

func TestReportAndJSON(t *testing.T) {
	addr := serve(t, echo.Handler{})
	res := run(t, loadgen.Config{
		Target: loadgen.Line, Addr: addr, Conns: 2, Rate: 500,
		Duration: 400 * time.Millisecond, Interval: 100 * time.Millisecond,
	})

	var html bytes.Buffer
	if err := loadgen.WriteHTML(&html, "echo <test>", res); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	page := html.String()
	for _, want := range []string{"<svg", "Latency by percentile", "Throughput over time", "<polyline", "echo &lt;test&gt;", "service time", "stroke-dasharray"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched from anywhere.
	for _, bad := range []string{"<script src", "<link", "@import", "url(", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("report refers to an external asset: %q", bad)
		}
	}
	// Every plot is well-formed XML.
	for _, svg := range []string{
		loadgen.PercentileSVG("p", []string{"a & b"}, []*loadgen.Result{res}),
		loadgen.ThroughputSVG("t", nil, []*loadgen.Result{res}),
		loadgen.BarSVG("bars", "x", []string{"netkit", "python <asyncio>"}, []float64{1, 0.25}),
	} {
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("SVG does not parse: %v\n%.200s", err, svg)
		}
	}

	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "errors", "errors_by_class", "rps", "latency", "service_time", "percentiles", "series"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	var back loadgen.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	// Milliseconds with three decimals keep microseconds.
	if diff := cmp.Diff(res.Latency, back.Latency); diff != "" {
		t.Errorf("latency after a JSON round trip (-before +after):\n%s", diff)
	}
	if got, want := back.LatencyAt(99), time.Duration(res.Latency.P99); got > want || got < want/2 {
		t.Errorf("decoded LatencyAt(99) = %v, want about %v", got, want)
	}
}

// TestDurationJSONRoundTrip: every whole number of microseconds, as the
// histograms report them, decodes to exactly what was encoded.
func TestDurationJSONRoundTrip(t *testing.T) {
	for us := int64(0); us <= 200_000; us++ {
		d := loadgen.Duration(time.Duration(us) * time.Microsecond)
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", d, err)
		}
		var back loadgen.Duration
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if back != d {
			t.Fatalf("%v encoded as %s decodes to %v", d, b, back)
		}
	}
}
