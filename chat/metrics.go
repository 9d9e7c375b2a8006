package chat

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a chat server's Stats as Prometheus metrics, for the
// registry of the admin listener's /metrics.
type Collector struct {
	srv *Server

	clients, rooms, queued         *prometheus.Desc
	received, published, delivered *prometheus.Desc
	bytesOut, dropped, failed      *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector for srv's stats.
func NewCollector(srv *Server) *Collector {
	return &Collector{
		srv:       srv,
		clients:   prometheus.NewDesc("netkit_chat_clients", "Chat clients connected.", nil, nil),
		rooms:     prometheus.NewDesc("netkit_chat_rooms", "Chat rooms with at least one client.", nil, nil),
		queued:    prometheus.NewDesc("netkit_chat_queued_bytes", "Bytes waiting in chat clients' send queues.", nil, nil),
		received:  prometheus.NewDesc("netkit_chat_lines_received_total", "Lines received from chat clients, commands included.", nil, nil),
		published: prometheus.NewDesc("netkit_chat_lines_published_total", "Messages and notices published to chat rooms.", nil, nil),
		delivered: prometheus.NewDesc("netkit_chat_messages_delivered_total", "Lines written to chat clients.", nil, nil),
		bytesOut:  prometheus.NewDesc("netkit_chat_written_bytes_total", "Bytes written to chat clients.", nil, nil),
		failed:    prometheus.NewDesc("netkit_chat_publish_failures_total", "Lines the chat hub refused (a message bus that is down); senders of messages are told.", nil, nil),
		dropped:   prometheus.NewDesc("netkit_chat_clients_dropped_total", "Chat clients disconnected by the server, by reason: slow (send queue full) or flood.", []string{"reason"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.clients, c.rooms, c.queued, c.received, c.published, c.delivered, c.bytesOut, c.dropped, c.failed} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.clients, st.Clients)
	gauge(c.rooms, st.Rooms)
	gauge(c.queued, st.QueuedBytes)
	counter(c.received, st.Received)
	counter(c.published, st.Published)
	counter(c.delivered, st.Delivered)
	counter(c.bytesOut, st.BytesOut)
	counter(c.dropped, st.DroppedSlow, "slow")
	counter(c.dropped, st.DroppedFlood, "flood")
	counter(c.failed, st.PublishFailed)
}
