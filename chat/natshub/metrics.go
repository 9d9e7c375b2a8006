package natshub

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the backplane's state and counters as Prometheus
// metrics: whether the node is connected to NATS, lines published and
// received, malformed and dropped messages, reconnections, and the lines
// the history stream holds.
type Collector struct {
	hub *Hub
	dir *Directory // nil: no history size

	connected, published, received *prometheus.Desc
	malformed, dropped, reconnects *prometheus.Desc
	history, nodes                 *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector for hub and, if not nil, dir, whose
// node name labels every metric (node="n1").
func NewCollector(hub *Hub, dir *Directory) *Collector {
	var labels prometheus.Labels
	if dir != nil && dir.cfg.Node != "" {
		labels = prometheus.Labels{"node": dir.cfg.Node}
	}
	desc := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, labels) }
	return &Collector{
		hub:        hub,
		dir:        dir,
		connected:  desc("netkit_chat_backplane_connected", "1 while the chat backplane's NATS connection is up."),
		published:  desc("netkit_chat_backplane_published_total", "Chat lines published to the backplane."),
		received:   desc("netkit_chat_backplane_received_total", "Chat lines received from the backplane, this node's own included."),
		malformed:  desc("netkit_chat_backplane_malformed_total", "Messages on room subjects that were not chat lines."),
		dropped:    desc("netkit_chat_backplane_dropped_total", "Backplane lines this node could not take in time (subscription pending limits)."),
		reconnects: desc("netkit_chat_backplane_reconnects_total", "Reconnections of the backplane's NATS connection."),
		history:    desc("netkit_chat_history_lines", "Lines held by the chat history stream, all rooms."),
		nodes:      desc("netkit_chat_cluster_nodes", "Chat nodes heard from within the presence TTL, this one included."),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connected, c.published, c.received, c.malformed, c.dropped, c.reconnects, c.history, c.nodes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.hub.Stats()
	connected := 0.0
	if st.Connected {
		connected = 1
	}
	ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(c.published, prometheus.CounterValue, float64(st.Published))
	ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(st.Received))
	ch <- prometheus.MustNewConstMetric(c.malformed, prometheus.CounterValue, float64(st.Malformed))
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(st.Dropped))
	if nc := c.hub.conn.NATS(); nc != nil {
		ch <- prometheus.MustNewConstMetric(c.reconnects, prometheus.CounterValue, float64(nc.Stats().Reconnects))
	}
	if c.dir == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.nodes, prometheus.GaugeValue, float64(len(c.dir.Others())+1))
	// One request per scrape, bounded: a scrape never waits long on a
	// backplane that is down, it leaves the gauge out instead.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if n, err := c.dir.HistoryLines(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(c.history, prometheus.GaugeValue, float64(n))
	}
}
