package web

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/coder/websocket"
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

// Reasons the server closed an open WebSocket, the reason label of
// netkit_web_websockets_dropped_total.
const (
	droppedTooBig       = "too_big"       // a message over the size cap (status 1009)
	droppedPongTimeout  = "pong_timeout"  // no pong within PongTimeout: the client is gone
	droppedWriteTimeout = "write_timeout" // a message not taken within WriteTimeout: the client reads too slowly
)

var dropReasons = []string{droppedTooBig, droppedPongTimeout, droppedWriteTimeout}

// counters are the web listener's own counts; the chat sessions' are
// tcpserver's (service="web-chat"), and JSON-RPC's calls the jsonrpc
// Metrics.
type counters struct {
	open    map[string]*atomic.Int64            // WebSocket connections by endpoint
	refused map[string]*atomic.Int64            // upgrades refused by reason
	dropped map[string]map[string]*atomic.Int64 // connections closed, by endpoint and reason
}

func newCounters(endpoints ...string) *counters {
	c := &counters{open: map[string]*atomic.Int64{}, refused: map[string]*atomic.Int64{}, dropped: map[string]map[string]*atomic.Int64{}}
	for _, e := range endpoints {
		c.open[e] = new(atomic.Int64)
		c.dropped[e] = map[string]*atomic.Int64{}
		for _, r := range dropReasons {
			c.dropped[e][r] = new(atomic.Int64)
		}
	}
	for _, r := range refusalReasons {
		c.refused[r] = new(atomic.Int64)
	}
	return c
}

// drop counts a connection of endpoint closed for reason.
func (c *counters) drop(endpoint, reason string) { c.dropped[endpoint][reason].Add(1) }

// dropCause counts a connection of endpoint that ended with err, if err
// says why the server closed it: a message over the cap, or a write that
// timed out. Other ends (the client's close, shutdown) are not drops.
func (c *counters) dropCause(endpoint string, err error) {
	switch {
	case errors.Is(err, websocket.ErrMessageTooBig):
		c.drop(endpoint, droppedTooBig)
	case errors.Is(err, context.DeadlineExceeded):
		c.drop(endpoint, droppedWriteTimeout)
	}
}

var (
	openDesc    = prometheus.NewDesc("netkit_web_websockets_open", "WebSocket connections open, by endpoint.", []string{"endpoint"}, nil)
	refusedDesc = prometheus.NewDesc("netkit_web_upgrades_refused_total", "WebSocket upgrades refused, by reason: origin, limit, shutdown or handshake.", []string{"reason"}, nil)
	droppedDesc = prometheus.NewDesc("netkit_web_websockets_dropped_total", "WebSocket connections the server closed, by endpoint and reason: too_big (a message over the size cap, status 1009), pong_timeout (no pong in time) or write_timeout (a message not read in time).", []string{"endpoint", "reason"}, nil)
)

// Describe implements prometheus.Collector.
func (s *Server) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- refusedDesc
	ch <- droppedDesc
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
	for e, byReason := range s.counts.dropped {
		for r, n := range byReason {
			ch <- prometheus.MustNewConstMetric(droppedDesc, prometheus.CounterValue, float64(n.Load()), e, r)
		}
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
