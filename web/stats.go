package web

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/netkit-dev/netkit/chat"
)

// Stats is the server as the dashboard shows it, read from the same
// registry as /metrics: gauges and totals are the values /metrics gives
// at Time, and each rate is the change of a /metrics counter over the
// Interval before Time, as Prometheus's rate() would compute it.
type Stats struct {
	Time     time.Time      `json:"time"`
	Interval float64        `json:"interval"` // seconds the rates cover; 0 in the first sample
	Services []ServiceStats `json:"services"` // by name
	Chat     ChatStats      `json:"chat"`
	RPC      RPCStats       `json:"rpc"`
	Process  ProcessStats   `json:"process"`
}

// ServiceStats is one listener's connections and traffic
// (netkit_tcp_*{service=Name}). The web listener's JSON-RPC WebSockets,
// which no tcpserver runs, are the service "web-rpc", with their count
// (netkit_web_websockets_open{endpoint="rpc"}) and nothing else, so that
// the connections of the services add up to every connection open.
type ServiceStats struct {
	Name           string  `json:"name"`
	Connections    float64 `json:"connections"` // open now
	Accepted       float64 `json:"accepted"`    // since start
	Rejected       float64 `json:"rejected"`    // since start: over the connection cap, or during shutdown
	RequestsPerSec float64 `json:"requestsPerSec"`
	BytesInPerSec  float64 `json:"bytesInPerSec"`
	BytesOutPerSec float64 `json:"bytesOutPerSec"`
}

// ChatStats is the chat service (netkit_chat_*), with the busiest rooms.
type ChatStats struct {
	Clients         float64     `json:"clients"`
	Rooms           float64     `json:"rooms"`
	LinesPerSec     float64     `json:"linesPerSec"`     // received from clients
	DeliveredPerSec float64     `json:"deliveredPerSec"` // written to clients
	QueuedBytes     float64     `json:"queuedBytes"`
	DroppedSlow     float64     `json:"droppedSlow"`  // since start
	DroppedFlood    float64     `json:"droppedFlood"` // since start
	TopRooms        []RoomStats `json:"topRooms,omitempty"`
}

// RoomStats is one room's members on this node.
type RoomStats struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
}

// RPCStats is JSON-RPC calls (netkit_rpc_call_duration_seconds): their
// rate and the latency percentiles of the calls of the interval, in
// seconds, or -1 when there were none.
type RPCStats struct {
	Calls       float64 `json:"calls"` // since start
	CallsPerSec float64 `json:"callsPerSec"`
	P50         float64 `json:"p50"`
	P90         float64 `json:"p90"`
	P99         float64 `json:"p99"`
}

// ProcessStats is the process's memory and goroutines (go_*, process_*).
type ProcessStats struct {
	HeapBytes     float64 `json:"heapBytes"`     // go_memstats_heap_inuse_bytes
	ResidentBytes float64 `json:"residentBytes"` // process_resident_memory_bytes
	Goroutines    float64 `json:"goroutines"`
	CPUPerSec     float64 `json:"cpuPerSec"` // CPU seconds per second: 1 is one core busy
}

// webRPC names the web listener's JSON-RPC WebSockets among the services.
const webRPC = "web-rpc"

// topRooms is how many rooms the dashboard lists.
const topRooms = 10

// sample is one gathering: every counter and gauge by name and service
// label, and the RPC histogram's cumulative buckets summed over methods.
type sample struct {
	at      time.Time
	values  map[string]float64 // name + "|" + service label
	buckets map[float64]float64
	count   float64
}

// sampler turns gatherings of a registry into Stats, keeping the previous
// one for the rates.
type sampler struct {
	g        prometheus.Gatherer
	presence func() chat.Presence
	mu       sync.Mutex
	prev     *sample
}

// next gathers now and returns the Stats since the previous call.
func (s *sampler) next(now time.Time) (Stats, error) {
	mfs, err := s.g.Gather()
	if err != nil {
		return Stats{}, err
	}
	cur := &sample{at: now, values: map[string]float64{}, buckets: map[float64]float64{}}
	services := map[string]bool{}
	rpcSockets, haveRPC := 0.0, false
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			svc := label(m, "service")
			if svc != "" && mf.GetName() == "netkit_tcp_connections_active" {
				services[svc] = true
			}
			if mf.GetName() == "netkit_web_websockets_open" && label(m, "endpoint") == "rpc" {
				rpcSockets, haveRPC = m.GetGauge().GetValue(), true
			}
			key := mf.GetName() + "|" + svc
			switch {
			case m.GetCounter() != nil:
				if r := label(m, "reason"); r != "" {
					key += "|" + r
				}
				cur.values[key] += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				cur.values[key] += m.GetGauge().GetValue()
			case m.GetHistogram() != nil && mf.GetName() == "netkit_rpc_call_duration_seconds":
				h := m.GetHistogram()
				cur.count += float64(h.GetSampleCount())
				for _, b := range h.GetBucket() {
					cur.buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount())
				}
			}
		}
	}
	s.mu.Lock()
	prev := s.prev
	s.prev = cur
	s.mu.Unlock()

	st := Stats{Time: now}
	var dt float64
	if prev != nil {
		dt = now.Sub(prev.at).Seconds()
		st.Interval = dt
	}
	v := func(name, svc string) float64 { return cur.values[name+"|"+svc] }
	rate := func(key string) float64 {
		if prev == nil || dt <= 0 {
			return 0
		}
		d := cur.values[key] - prev.values[key]
		if d < 0 { // a counter that went back: a restart, as rate() reads it
			d = cur.values[key]
		}
		return d / dt
	}
	for name := range services {
		st.Services = append(st.Services, ServiceStats{
			Name:           name,
			Connections:    v("netkit_tcp_connections_active", name),
			Accepted:       v("netkit_tcp_connections_accepted_total", name),
			Rejected:       v("netkit_tcp_connections_rejected_total", name),
			RequestsPerSec: rate("netkit_tcp_requests_total|" + name),
			BytesInPerSec:  rate("netkit_tcp_read_bytes_total|" + name),
			BytesOutPerSec: rate("netkit_tcp_written_bytes_total|" + name),
		})
	}
	if haveRPC {
		st.Services = append(st.Services, ServiceStats{Name: webRPC, Connections: rpcSockets})
	}
	sort.Slice(st.Services, func(i, j int) bool { return st.Services[i].Name < st.Services[j].Name })
	st.Chat = ChatStats{
		Clients:         v("netkit_chat_clients", ""),
		Rooms:           v("netkit_chat_rooms", ""),
		LinesPerSec:     rate("netkit_chat_lines_received_total|"),
		DeliveredPerSec: rate("netkit_chat_messages_delivered_total|"),
		QueuedBytes:     v("netkit_chat_queued_bytes", ""),
		DroppedSlow:     cur.values["netkit_chat_clients_dropped_total||slow"],
		DroppedFlood:    cur.values["netkit_chat_clients_dropped_total||flood"],
	}
	if s.presence != nil {
		st.Chat.TopRooms = busiest(s.presence(), topRooms)
	}
	st.RPC = RPCStats{Calls: cur.count, P50: -1, P90: -1, P99: -1}
	if prev != nil && dt > 0 {
		n := cur.count - prev.count
		st.RPC.CallsPerSec = n / dt
		if n > 0 {
			delta := map[float64]float64{}
			for ub, c := range cur.buckets {
				delta[ub] = c - prev.buckets[ub]
			}
			st.RPC.P50 = quantile(0.50, delta, n)
			st.RPC.P90 = quantile(0.90, delta, n)
			st.RPC.P99 = quantile(0.99, delta, n)
		}
	}
	st.Process = ProcessStats{
		HeapBytes:     v("go_memstats_heap_inuse_bytes", ""),
		ResidentBytes: v("process_resident_memory_bytes", ""),
		Goroutines:    v("go_goroutines", ""),
		CPUPerSec:     rate("process_cpu_seconds_total|"),
	}
	return st, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// quantile estimates the q-quantile of n observations from cumulative
// bucket counts by upper bound, interpolating linearly inside the bucket
// as Prometheus's histogram_quantile does. Observations above the last
// finite bound read as that bound.
func quantile(q float64, cumulative map[float64]float64, n float64) float64 {
	bounds := make([]float64, 0, len(cumulative))
	for ub := range cumulative {
		if !math.IsInf(ub, 1) {
			bounds = append(bounds, ub)
		}
	}
	sort.Float64s(bounds)
	rank := q * n
	lower, below := 0.0, 0.0
	for _, ub := range bounds {
		c := cumulative[ub]
		if c >= rank {
			if c == below {
				return ub
			}
			return lower + (ub-lower)*(rank-below)/(c-below)
		}
		lower, below = ub, c
	}
	return lower
}

// busiest returns the n rooms with the most members, largest first.
func busiest(p chat.Presence, n int) []RoomStats {
	rooms := make([]RoomStats, 0, len(p.Rooms))
	for name, r := range p.Rooms {
		rooms = append(rooms, RoomStats{Name: name, Members: r.Members})
	}
	sort.Slice(rooms, func(i, j int) bool {
		if rooms[i].Members != rooms[j].Members {
			return rooms[i].Members > rooms[j].Members
		}
		return rooms[i].Name < rooms[j].Name
	})
	if len(rooms) > n {
		rooms = rooms[:n]
	}
	return rooms
}
