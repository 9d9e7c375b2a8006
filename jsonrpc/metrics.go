package jsonrpc

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics records how long calls take, by method and outcome, as the
// Prometheus histogram netkit_rpc_call_duration_seconds; set it as a
// Server's Metrics and register it on a registry. Only registered methods
// are labelled, so the labels stay bounded whatever clients send.
type Metrics struct {
	duration *prometheus.HistogramVec
}

// callBuckets spans an inline call on a loaded machine (a few µs) to the
// default call timeout.
var callBuckets = []float64{
	10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5, 5, 10, 30,
}

// NewMetrics returns an empty Metrics.
func NewMetrics() *Metrics {
	return &Metrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "netkit_rpc_call_duration_seconds",
		Help:    "JSON-RPC calls by method and outcome (ok or the error code), and how long each took.",
		Buckets: callBuckets,
	}, []string{"method", "outcome"})}
}

// observe records one call of method that took d and ended with rerr.
func (m *Metrics) observe(method string, d time.Duration, rerr *Error) {
	outcome := "ok"
	if rerr != nil {
		outcome = codeLabel(rerr.Code)
	}
	m.duration.WithLabelValues(method, outcome).Observe(d.Seconds())
}

// codeLabel names an error code for the outcome label: the standard codes
// by their names, any other as "error", so a handler's own codes cannot
// multiply the series.
func codeLabel(code int) string {
	switch code {
	case CodeInvalidParams:
		return "invalid_params"
	case CodeInternalError:
		return "internal_error"
	case CodeTimeout:
		return "timeout"
	}
	return "error"
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) { m.duration.Describe(ch) }

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) { m.duration.Collect(ch) }

var _ prometheus.Collector = (*Metrics)(nil)
