package tcpserver

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a server's Stats as Prometheus metrics, each labelled
// service=<name>, so several servers share one registry.
type Collector struct {
	srv   *Server
	descs []*prometheus.Desc
	tls   tlsDescs
	perIP *prometheus.Desc
}

// metric order matches values below.
var metricDefs = []struct {
	name, help string
	gauge      bool
}{
	{"netkit_tcp_connections_accepted_total", "TCP connections accepted, rejected ones included.", false},
	{"netkit_tcp_connections_active", "TCP connections being served.", true},
	{"netkit_tcp_connections_parked", "TCP connections waiting for a request without a goroutine.", true},
	{"netkit_tcp_connections_rejected_total", "TCP connections closed at once because of the connection limit or shutdown.", false},
	{"netkit_tcp_requests_total", "Requests begun on TCP connections.", false},
	{"netkit_tcp_errors_total", "Connection handlers that returned an error or panicked.", false},
	{"netkit_tcp_panics_total", "Connection handler panics recovered.", false},
	{"netkit_tcp_idle_timeouts_total", "TCP connections closed by the idle timeout.", false},
	{"netkit_tcp_read_bytes_total", "Bytes read from TCP clients.", false},
	{"netkit_tcp_written_bytes_total", "Bytes written to TCP clients.", false},
}

// NewCollector returns a collector for srv's stats labelled with service.
func NewCollector(srv *Server, service string) *Collector {
	c := &Collector{srv: srv}
	for _, m := range metricDefs {
		c.descs = append(c.descs, prometheus.NewDesc(m.name, m.help, nil, prometheus.Labels{"service": service}))
	}
	c.tls = newTLSDescs(service)
	c.perIP = perIPDesc(service)
	return c
}

// tlsDescs are the TLS handshake metrics of one service, which a Server
// and a TLSListener share.
type tlsDescs struct{ ok, resumed, failures *prometheus.Desc }

func newTLSDescs(service string) tlsDescs {
	svc := prometheus.Labels{"service": service}
	return tlsDescs{
		ok:       prometheus.NewDesc("netkit_tls_handshakes_total", "TLS handshakes completed.", nil, svc),
		resumed:  prometheus.NewDesc("netkit_tls_resumed_total", "TLS handshakes that resumed a session.", nil, svc),
		failures: prometheus.NewDesc("netkit_tls_handshake_failures_total", "TLS handshakes failed, by reason: plaintext, timeout or handshake.", []string{"reason"}, svc),
	}
}

func (d tlsDescs) describe(ch chan<- *prometheus.Desc) {
	ch <- d.ok
	ch <- d.resumed
	ch <- d.failures
}

func (d tlsDescs) collect(ch chan<- prometheus.Metric, ts TLSStats) {
	ch <- prometheus.MustNewConstMetric(d.ok, prometheus.CounterValue, float64(ts.Handshakes))
	ch <- prometheus.MustNewConstMetric(d.resumed, prometheus.CounterValue, float64(ts.Resumed))
	for reason, n := range map[string]int64{tlsPlaintext: ts.Plaintext, tlsTimeout: ts.Timeouts, tlsRefused: ts.Refused} {
		ch <- prometheus.MustNewConstMetric(d.failures, prometheus.CounterValue, float64(n), reason)
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
	c.tls.describe(ch)
	ch <- c.perIP
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	values := []int64{st.Accepted, st.Active, st.Parked, st.Rejected, st.Requests, st.Errors, st.Panics, st.Timeouts, st.BytesIn, st.BytesOut}
	for i, d := range c.descs {
		vt := prometheus.CounterValue
		if metricDefs[i].gauge {
			vt = prometheus.GaugeValue
		}
		ch <- prometheus.MustNewConstMetric(d, vt, float64(values[i]))
	}
	ch <- prometheus.MustNewConstMetric(c.perIP, prometheus.CounterValue, float64(st.RefusedPerIP), "conns")
	ch <- prometheus.MustNewConstMetric(c.perIP, prometheus.CounterValue, float64(st.RefusedRate), "rate")
	if c.srv.TLSConfig == nil {
		return
	}
	c.tls.collect(ch, c.srv.TLSStats())
}

var _ prometheus.Collector = (*Collector)(nil)

func perIPDesc(service string) *prometheus.Desc {
	return prometheus.NewDesc("netkit_refused_per_ip_total",
		"Connections closed at once for the per-address limits, by reason: conns (too many open) or rate (opened too fast).",
		[]string{"reason"}, prometheus.Labels{"service": service})
}

// IPLimitCollector exports an IPLimiter's refusals, labelled
// service=NAME, for listeners that tcpserver does not serve.
type IPLimitCollector struct {
	l    *IPLimiter
	desc *prometheus.Desc
}

// NewIPLimitCollector returns a collector of l's refusals.
func NewIPLimitCollector(l *IPLimiter, service string) *IPLimitCollector {
	return &IPLimitCollector{l: l, desc: perIPDesc(service)}
}

// Describe implements prometheus.Collector.
func (c *IPLimitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *IPLimitCollector) Collect(ch chan<- prometheus.Metric) {
	conns, rate := c.l.Refused()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(conns), "conns")
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(rate), "rate")
}
