package web

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/jsonrpc"
)

// DefaultStatsInterval is how often the dashboard's stats are sampled.
const DefaultStatsInterval = time.Second

// statsHub samples the registry every interval while anyone watches, and
// hands each watcher the latest Stats: one sampling for all of them, so
// that every dashboard shows the same rates, and none while nobody
// watches.
type statsHub struct {
	s        *sampler
	interval time.Duration
	// failed hears a sampling that failed (the registry's Gather), after
	// which the watchers get no Stats that interval: the log's to tell.
	failed func(error)

	mu      sync.Mutex
	subs    map[chan Stats]struct{}
	running bool
	wg      sync.WaitGroup // the sampling loop
}

// subscribe returns a channel that receives the latest Stats each
// interval (a slow reader skips to the newest), and the function that
// ends the subscription.
func (h *statsHub) subscribe() (<-chan Stats, func()) {
	ch := make(chan Stats, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan Stats]struct{}{}
	}
	h.subs[ch] = struct{}{}
	if !h.running {
		h.running = true
		h.wg.Add(1)
		go h.loop()
	}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// loop samples until nobody watches. Its first sample, at once, has
// totals and gauges but no rates: the previous sample is of an earlier
// watch, and rates across the gap would mislead.
func (h *statsHub) loop() {
	defer h.wg.Done()
	h.s.mu.Lock()
	h.s.prev = nil
	h.s.mu.Unlock()
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		st, err := h.s.next(time.Now())
		h.mu.Lock()
		if len(h.subs) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		if err != nil && h.failed != nil {
			h.failed(err)
		}
		if err == nil {
			for ch := range h.subs {
				select {
				case <-ch: // drop the unread older one
				default:
				}
				ch <- st
			}
		}
		h.mu.Unlock()
		<-t.C
	}
}

// wait returns once the sampling loop has stopped; call it after every
// subscription has ended.
func (h *statsHub) wait() { h.wg.Wait() }

// metricsSubscription is JSON-RPC's metrics.subscribe: a metrics.stats
// notification with the dashboard's Stats each interval, until
// metrics.unsubscribe or the connection closes.
func (h *statsHub) metricsSubscription() jsonrpc.Subscription {
	return jsonrpc.Subscription{
		Name: "metrics", Notification: "metrics.stats",
		Run: func(ctx context.Context, _ json.RawMessage, send func(any) error) error {
			ch, cancel := h.subscribe()
			defer cancel()
			for {
				select {
				case <-ctx.Done():
					return nil
				case st := <-ch:
					if err := send(st); err != nil {
						return err
					}
				}
			}
		},
	}
}
