package loadgen

import (
	"maps"
	"math"
	"runtime"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/netkit-dev/netkit/netclass"
)

// Histograms count microseconds from 1 µs to a day with three significant
// digits, HdrHistogram's usual precision; longer values are clamped.
const (
	histMin    = 1
	histMax    = int64(24 * time.Hour / time.Microsecond)
	histDigits = 3
)

func newHist() *hdr.Histogram { return hdr.New(histMin, histMax, histDigits) }

func record(h *hdr.Histogram, d time.Duration) {
	v := int64(d / time.Microsecond)
	if v < histMin {
		v = histMin
	} else if v > histMax {
		v = histMax
	}
	_ = h.RecordValue(v) // in range by construction
}

// shard is one lock's worth of recording state. Workers record into the
// shard of their index so that no single mutex is hot; the recorder folds
// every shard into the run's totals once per interval.
type shard struct {
	mu      sync.Mutex
	lat     *hdr.Histogram // latency (from the intended send time) this interval
	svc     *hdr.Histogram // service time (from the actual send time) this interval; nil in the closed model
	ok      int64
	sent    int64
	errs    int64
	classes map[string]int64
	_       [64]byte // keep neighbours off one cache line
}

// success records one answered request: its latency and, in the open
// model, its service time, which the closed model does not report (it
// equals the latency there).
func (s *shard) success(lat, svc time.Duration) {
	s.mu.Lock()
	record(s.lat, lat)
	if s.svc != nil {
		record(s.svc, svc)
	}
	s.ok++
	s.mu.Unlock()
}

func (s *shard) failure(err error) {
	c := string(netclass.Of(err))
	s.mu.Lock()
	s.errs++
	s.classes[c]++
	s.mu.Unlock()
}

func (s *shard) sentOne() {
	s.mu.Lock()
	s.sent++
	s.mu.Unlock()
}

// recorder gathers the run's results. Its tick, stop and result methods
// are called by Run's goroutine only.
type recorder struct {
	shards []shard

	start, last, stopAt time.Time
	lat, svc            *hdr.Histogram // whole run; svc is nil in the closed model
	interval            *hdr.Histogram
	ok, sent, errs      int64
	classes             map[string]int64
	series              []Interval
}

func newRecorder(cfg *Config) *recorder {
	n := min(4*runtime.GOMAXPROCS(0), max(cfg.conns()*cfg.pipeline(), 1))
	r := &recorder{
		shards:   make([]shard, n),
		lat:      newHist(),
		interval: newHist(),
		classes:  map[string]int64{},
	}
	// Only the open model reports service time. Each histogram over this
	// range is about 225 KB, one per shard, and merging them would cost
	// every tick.
	withSvc := cfg.Rate > 0
	if withSvc {
		r.svc = newHist()
	}
	for i := range r.shards {
		r.shards[i].lat = newHist()
		if withSvc {
			r.shards[i].svc = newHist()
		}
		r.shards[i].classes = map[string]int64{}
	}
	return r
}

func (r *recorder) shard(i int) *shard { return &r.shards[i%len(r.shards)] }

func (r *recorder) begin(t time.Time) { r.start, r.last = t, t }

func (r *recorder) stop(t time.Time) { r.stopAt = t }

// tick folds the shards into the totals, appends one point to the
// throughput series and returns the progress so far.
func (r *recorder) tick(now time.Time) Progress {
	r.interval.Reset()
	var ok, errs int64
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		r.interval.Merge(s.lat)
		s.lat.Reset()
		if s.svc != nil {
			r.svc.Merge(s.svc)
			s.svc.Reset()
		}
		ok += s.ok
		errs += s.errs
		r.sent += s.sent
		for c, n := range s.classes {
			r.classes[c] += n
		}
		s.ok, s.errs, s.sent = 0, 0, 0
		clear(s.classes)
		s.mu.Unlock()
	}
	r.lat.Merge(r.interval)
	r.ok += ok
	r.errs += errs
	span := now.Sub(r.last)
	r.last = now
	iv := Interval{
		End:      Duration(now.Sub(r.start)),
		Requests: ok,
		Errors:   errs,
		P99:      micros(r.interval.ValueAtQuantile(99)),
	}
	if span > 0 {
		iv.RPS = float64(ok) / span.Seconds()
	}
	if span > 0 || ok > 0 || errs > 0 {
		r.series = append(r.series, iv)
	}
	return Progress{
		Elapsed:  now.Sub(r.start),
		Requests: r.ok,
		Errors:   r.errs,
		RPS:      iv.RPS,
		P99:      time.Duration(iv.P99),
	}
}

func micros(v int64) Duration { return Duration(time.Duration(v) * time.Microsecond) }

// result folds what is left and summarises the run.
func (r *recorder) result(cfg *Config) *Result {
	end := r.stopAt
	if end.IsZero() {
		end = time.Now()
	}
	r.tick(end)
	elapsed := end.Sub(r.start)
	res := &Result{
		Target:    cfg.Target,
		Addr:      cfg.Addr,
		URL:       cfg.describeURL(),
		Model:     cfg.Model(),
		Conns:     cfg.conns(),
		Pipeline:  cfg.pipeline(),
		Rate:      cfg.Rate,
		Elapsed:   Duration(elapsed),
		Requests:  r.ok,
		Sent:      r.sent,
		Errors:    r.errs,
		ErrorsBy:  maps.Clone(r.classes),
		Latency:   summarize(r.lat),
		Series:    r.series,
		latency:   r.lat,
		startTime: r.start,
	}
	if elapsed > 0 {
		res.RPS = float64(r.ok) / elapsed.Seconds()
	}
	if cfg.Rate > 0 {
		s := summarize(r.svc)
		res.ServiceTime = &s
		res.ServicePercentiles = percentiles(r.svc)
	}
	res.Percentiles = percentiles(r.lat)
	return res
}

func summarize(h *hdr.Histogram) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	return Summary{
		Min:  micros(h.Min()),
		Mean: micros(int64(math.Round(h.Mean()))),
		P50:  micros(h.ValueAtQuantile(50)),
		P90:  micros(h.ValueAtQuantile(90)),
		P99:  micros(h.ValueAtQuantile(99)),
		P999: micros(h.ValueAtQuantile(99.9)),
		Max:  micros(h.Max()),
	}
}

// plotPercentiles are the points of the latency-by-percentile curve, spread
// evenly on HdrHistogram's usual 1/(1-p) axis.
var plotPercentiles = []float64{
	0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96.25, 97.5,
	98, 98.5, 99, 99.25, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 100,
}

func percentiles(h *hdr.Histogram) []Percentile {
	if h.TotalCount() == 0 {
		return nil
	}
	out := make([]Percentile, 0, len(plotPercentiles))
	for _, p := range plotPercentiles {
		out = append(out, Percentile{Percentile: p, Latency: micros(h.ValueAtQuantile(p))})
	}
	return out
}
