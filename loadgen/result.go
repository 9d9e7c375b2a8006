package loadgen

import (
	"fmt"
	"math"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Duration is a time.Duration that JSON encodes as a number of
// milliseconds, the unit load-testing tools report latency in.
type Duration time.Duration

// MarshalJSON encodes d as milliseconds with microsecond precision.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(d)/float64(time.Millisecond), 'f', 3, 64), nil
}

// UnmarshalJSON decodes a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("loadgen: duration: want milliseconds, got %s", b)
	}
	// Round: 1.035 ms times 1e6 is 1034999.9999 in floating point, and
	// truncating would lose the nanosecond that makes the round trip exact.
	*d = Duration(math.Round(f * float64(time.Millisecond)))
	return nil
}

// String formats d as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// Summary holds a latency distribution's usual figures.
type Summary struct {
	Min  Duration `json:"min_ms"`
	Mean Duration `json:"mean_ms"`
	P50  Duration `json:"p50_ms"`
	P90  Duration `json:"p90_ms"`
	P99  Duration `json:"p99_ms"`
	P999 Duration `json:"p99_9_ms"`
	Max  Duration `json:"max_ms"`
}

// Percentile is one point of the latency-by-percentile curve.
type Percentile struct {
	Percentile float64  `json:"percentile"`
	Latency    Duration `json:"latency_ms"`
}

// Interval is one point of the throughput-over-time series: what completed
// in the interval that ended End after the start.
type Interval struct {
	End      Duration `json:"end_ms"`
	Requests int64    `json:"requests"`
	Errors   int64    `json:"errors"`
	RPS      float64  `json:"rps"`
	P99      Duration `json:"p99_ms"`
}

// Progress is the state of a run passed to Config.Progress.
type Progress struct {
	Elapsed  time.Duration
	Requests int64         // answered so far
	Errors   int64         // failed so far
	RPS      float64       // over the last interval
	P99      time.Duration // over the last interval
}

// Result is the outcome of a run.
type Result struct {
	// Label names the run in reports; empty means "TARGET ADDR".
	Label    string  `json:"label,omitempty"`
	Target   Target  `json:"target"`
	Addr     string  `json:"addr,omitempty"`
	URL      string  `json:"url,omitempty"`
	Model    string  `json:"model"` // "closed" or "open"
	Conns    int     `json:"conns"`
	Pipeline int     `json:"pipeline"`
	Rate     float64 `json:"rate,omitempty"` // requests per second asked for (open model)

	Elapsed Duration `json:"elapsed_ms"`
	// Requests counts the requests answered (for Chat: messages
	// delivered to other clients, each with its own latency).
	Requests int64 `json:"requests"`
	// Sent counts the chat messages sent (Chat only).
	Sent int64 `json:"sent,omitempty"`
	// Errors counts the failed requests; ErrorsBy splits them by class
	// (netclass.Of; docs/ERRORS.md lists the classes).
	Errors   int64            `json:"errors"`
	ErrorsBy map[string]int64 `json:"errors_by_class"`
	RPS      float64          `json:"rps"`

	// Latency is measured from each request's intended send time: the
	// actual send time in the closed model, the schedule's in the open.
	Latency Summary `json:"latency"`
	// ServiceTime is measured from the actual send time (open model only):
	// what a generator without coordinated-omission correction reports.
	ServiceTime *Summary `json:"service_time,omitempty"`

	Percentiles []Percentile `json:"percentiles"`
	// ServicePercentiles is the service-time curve (open model only).
	ServicePercentiles []Percentile `json:"service_percentiles,omitempty"`
	Series             []Interval   `json:"series"`

	Dials int64 `json:"dials"` // connections opened, idle ones included
	// StatusCodes counts HTTP answers by status code, non-2xx included:
	// a 404 is an answer, not an error.
	StatusCodes map[int]int64 `json:"status_codes,omitempty"`
	// BodyBytes is the size of the HTTP bodies answered, as read (before
	// any content coding is undone).
	BodyBytes int64 `json:"body_bytes,omitempty"`
	// TLSResumed counts the TLS handshakes (one per dial, with Config.TLS)
	// that resumed a session.
	TLSResumed int64 `json:"tls_resumed,omitempty"`
	IdleConns  int   `json:"idle_conns"` // idle connections held through the run

	// Histogram and ServiceHistogram are the latency and service-time
	// histograms in HdrHistogram's compressed encoding
	// (Config.EncodeHistogram), from which Merge rebuilds them exactly.
	Histogram        []byte `json:"histogram,omitempty"`
	ServiceHistogram []byte `json:"service_histogram,omitempty"`

	// Workers has a row per worker of a distributed run, and Partial says
	// that some of them were lost during it: the result then counts only
	// the others' requests (see WorkerResult.Lost).
	Workers []WorkerResult `json:"workers,omitempty"`
	Partial bool           `json:"partial,omitempty"`

	latency   *hdr.Histogram
	startTime time.Time
}

// Start returns the wall-clock time the measured part of the run began
// (zero for a Result decoded from JSON).
func (r *Result) Start() time.Time { return r.startTime }

// LatencyAt returns the latency at percentile p (0 to 100) from the full
// histogram, or from the Percentiles points for a decoded Result.
func (r *Result) LatencyAt(p float64) time.Duration {
	if r.latency != nil {
		return time.Duration(micros(r.latency.ValueAtQuantile(p)))
	}
	var d Duration
	for _, pt := range r.Percentiles {
		if pt.Percentile <= p {
			d = pt.Latency
		}
	}
	return time.Duration(d)
}
