package loadgen

import (
	"errors"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// WorkerResult is one worker's part of a distributed run, as the
// coordinator reports it beside the merged result.
type WorkerResult struct {
	Name     string   `json:"name"`
	Conns    int      `json:"conns"`
	Requests int64    `json:"requests"`
	Errors   int64    `json:"errors"`
	RPS      float64  `json:"rps"`
	Latency  Summary  `json:"latency"`
	Elapsed  Duration `json:"elapsed_ms"`
	// Lost says the worker died or fell silent during the run; Reason
	// says how. A lost worker's requests are not in the merged result.
	Lost   bool   `json:"lost,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ErrNoHistogram is returned by Merge for a result without its encoded
// histogram (Config.EncodeHistogram).
var ErrNoHistogram = errors.New("loadgen: result has no encoded histogram")

// encodeHistograms stores the run's histograms in r in HdrHistogram's
// compressed form, from which Merge rebuilds them exactly.
func (r *Result) encodeHistograms(svc *hdr.Histogram) error {
	b, err := r.latency.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return err
	}
	r.Histogram = b
	if svc != nil {
		if r.ServiceHistogram, err = svc.Encode(hdr.V2CompressedEncodingCookieBase); err != nil {
			return err
		}
	}
	return nil
}

// Merge combines the results of runs made side by side (the workers of a
// distributed run) into one, exactly: counts are summed and the latency
// histograms merged bucket by bucket, so the merged percentiles are those
// of one histogram fed every sample. Percentiles are never averaged. The
// throughput series is summed interval by interval; an interval's p99 is
// the highest of the parts', an upper bound, since the parts do not ship
// a histogram per interval. Every part needs its encoded histogram.
func Merge(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, errors.New("loadgen: nothing to merge")
	}
	lat, svc := newHist(), newHist()
	withSvc := true
	out := &Result{
		Target: parts[0].Target, Addr: parts[0].Addr, URL: parts[0].URL, Model: parts[0].Model,
		Pipeline: parts[0].Pipeline, ErrorsBy: map[string]int64{},
	}
	for i, p := range parts {
		if len(p.Histogram) == 0 {
			return nil, fmt.Errorf("part %d: %w", i, ErrNoHistogram)
		}
		h, err := hdr.Decode(p.Histogram)
		if err != nil {
			return nil, fmt.Errorf("part %d: histogram: %w", i, err)
		}
		lat.Merge(h)
		if len(p.ServiceHistogram) == 0 {
			withSvc = false
		} else if withSvc {
			h, err := hdr.Decode(p.ServiceHistogram)
			if err != nil {
				return nil, fmt.Errorf("part %d: service histogram: %w", i, err)
			}
			svc.Merge(h)
		}
		out.Conns += p.Conns
		out.Rate += p.Rate
		out.Elapsed = max(out.Elapsed, p.Elapsed)
		out.Requests += p.Requests
		out.Sent += p.Sent
		out.Errors += p.Errors
		for c, n := range p.ErrorsBy {
			out.ErrorsBy[c] += n
		}
		for code, n := range p.StatusCodes {
			if out.StatusCodes == nil {
				out.StatusCodes = map[int]int64{}
			}
			out.StatusCodes[code] += n
		}
		out.BodyBytes += p.BodyBytes
		out.Dials += p.Dials
		out.TLSResumed += p.TLSResumed
		out.IdleConns += p.IdleConns
		for j, iv := range p.Series {
			if j == len(out.Series) {
				out.Series = append(out.Series, Interval{End: iv.End})
			}
			s := &out.Series[j]
			s.End = max(s.End, iv.End)
			s.Requests += iv.Requests
			s.Errors += iv.Errors
			s.RPS += iv.RPS
			s.P99 = max(s.P99, iv.P99)
		}
		if !p.startTime.IsZero() && (out.startTime.IsZero() || p.startTime.Before(out.startTime)) {
			out.startTime = p.startTime
		}
	}
	if out.Elapsed > 0 {
		out.RPS = float64(out.Requests) / time.Duration(out.Elapsed).Seconds()
	}
	out.latency = lat
	out.Latency = summarize(lat)
	out.Percentiles = percentiles(lat)
	if withSvc {
		s := summarize(svc)
		out.ServiceTime = &s
		out.ServicePercentiles = percentiles(svc)
	}
	return out, nil
}

// Row summarises r as one worker's row of a distributed result.
func (r *Result) Row(name string) WorkerResult {
	return WorkerResult{Name: name, Conns: r.Conns, Requests: r.Requests, Errors: r.Errors, RPS: r.RPS, Latency: r.Latency, Elapsed: r.Elapsed}
}
