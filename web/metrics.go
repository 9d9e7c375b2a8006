package web

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Refusal reasons of WebSocket upgrades, the reason label of
// netkit_web_upgrades_refused_total.
const (
	refusedOrigin   = "origin"    // a page of a foreign origin (403)
	refusedLimit    = "limit"     // over MaxConns (503)
	refusedShutdown = "shutdown"  // the server is stopping (503)
	refusedRequest  = "handshake" // not a valid WebSocket upgrade (400, 426)
)

var refusalReasons = []string{refusedOrigin, refusedLimit, refusedShutdown, refusedRequest}

// counters are the web listener's own counts; the chat sessions' are
// tcpserver's (service="web-chat"), and JSON-RPC's calls the jsonrpc
// Metrics.
type counters struct {
	open    map[string]*atomic.Int64 // WebSocket connections by endpoint
	refused map[string]*atomic.Int64 // upgrades refused by reason
}

func newCounters(endpoints ...string) *counters {
	c := &counters{open: map[string]*atomic.Int64{}, refused: map[string]*atomic.Int64{}}
	for _, e := range endpoints {
		c.open[e] = new(atomic.Int64)
	}
	for _, r := range refusalReasons {
		c.refused[r] = new(atomic.Int64)
	}
	return c
}

var (
	openDesc    = prometheus.NewDesc("netkit_web_websockets_open", "WebSocket connections open, by endpoint.", []string{"endpoint"}, nil)
	refusedDesc = prometheus.NewDesc("netkit_web_upgrades_refused_total", "WebSocket upgrades refused, by reason: origin, limit, shutdown or handshake.", []string{"reason"}, nil)
)

// Describe implements prometheus.Collector.
func (s *Server) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- refusedDesc
}

// Collect implements prometheus.Collector: register the Server on the
// registry of /metrics for its WebSocket counts.
func (s *Server) Collect(ch chan<- prometheus.Metric) {
	for e, n := range s.counts.open {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n.Load()), e)
	}
	for r, n := range s.counts.refused {
		ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(n.Load()), r)
	}
}

var _ prometheus.Collector = (*Server)(nil)

// statusRecorder notes the status an upgrade answered with when it
// refused: coder/websocket's Accept writes it itself.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController, and so Accept's hijacking, reach
// the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
