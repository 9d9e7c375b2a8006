package web

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestQuantile(t *testing.T) {
	// 100 observations: 50 up to 1 ms, 40 more up to 2 ms, 10 up to 10 ms.
	buckets := map[float64]float64{0.001: 50, 0.002: 90, 0.01: 100, math.Inf(1): 100}
	tests := []struct {
		q, want float64
	}{
		{0.25, 0.0005}, // halfway into the first bucket, from 0
		{0.50, 0.001},  // its top
		{0.70, 0.0015}, // halfway into the second
		{0.95, 0.006},  // halfway into the third
		{0.99, 0.0092}, // 9/10 into the third
		{1.00, 0.01},   // the last finite bound
	}
	for _, tt := range tests {
		if got := quantile(tt.q, buckets, 100); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	// Beyond the last finite bound: that bound.
	if got := quantile(0.99, map[float64]float64{0.001: 1, math.Inf(1): 10}, 10); got != 0.001 {
		t.Errorf("quantile above the buckets = %v, want 0.001", got)
	}
}

// TestSamplerRates: gauges and totals are the registry's values, and
// rates their change over the interval between samples.
func TestSamplerRates(t *testing.T) {
	reg := prometheus.NewRegistry()
	active := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "netkit_tcp_connections_active"}, []string{"service"})
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netkit_tcp_requests_total"}, []string{"service"})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "netkit_chat_clients_dropped_total"}, []string{"reason"})
	calls := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "netkit_rpc_call_duration_seconds", Buckets: []float64{0.001, 0.01}})
	reg.MustRegister(active, requests, dropped, calls)
	s := &sampler{g: reg}

	active.WithLabelValues("echo").Set(7)
	requests.WithLabelValues("echo").Add(100)
	dropped.WithLabelValues("slow").Add(2)
	t0 := time.Unix(1000, 0)
	first, err := s.next(t0)
	if err != nil {
		t.Fatal(err)
	}
	if first.Interval != 0 || first.RPC.P99 != -1 || len(first.Services) != 1 || first.Services[0].RequestsPerSec != 0 {
		t.Errorf("first sample = %+v, want no rates", first)
	}
	requests.WithLabelValues("echo").Add(50)
	active.WithLabelValues("echo").Set(3)
	for range 10 {
		calls.Observe(0.0005)
	}
	second, err := s.next(t0.Add(2 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	svc := second.Services[0]
	if svc.Name != "echo" || svc.Connections != 3 || svc.RequestsPerSec != 25 {
		t.Errorf("service = %+v, want echo with 3 connections and 25 requests/s", svc)
	}
	if second.Chat.DroppedSlow != 2 {
		t.Errorf("dropped slow = %v, want 2", second.Chat.DroppedSlow)
	}
	if second.RPC.CallsPerSec != 5 || second.RPC.P50 != 0.0005 {
		t.Errorf("rpc = %+v, want 5 calls/s, p50 0.5 ms", second.RPC)
	}
	// No calls in the next interval: no percentiles.
	third, _ := s.next(t0.Add(3 * time.Second))
	if third.RPC.P99 != -1 || third.RPC.CallsPerSec != 0 {
		t.Errorf("idle interval rpc = %+v", third.RPC)
	}
}
