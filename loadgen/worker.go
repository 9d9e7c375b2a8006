package loadgen

import (
	"cmp"
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// session is one client's request loop state: a connection (line, rpc
// slot, chat), an HTTP transport, or nothing (connect). A session redials
// by itself on the request after an error.
type session interface {
	// connect sets the session up before the measured run (a dial, a
	// welcome line); a failure leaves it to redial on its first request.
	connect(ctx context.Context) error
	// do sends one request at now, intended at intended, and waits for
	// its reply.
	do(ctx context.Context, now, intended time.Time) error
	// reset drops the connection after an error.
	reset()
	// interrupt unblocks a request in progress at the end of the run; it
	// may be called concurrently with do.
	interrupt()
	// close releases everything; do is not running any more.
	close()
}

// worker runs one session's request loop.
type worker struct {
	sess session
	// loop, when set, drives many HTTP connections in place of sess.
	loop *h1Loop
	// selfRecorded is set for chat, whose latencies are recorded by the
	// receiving clients: the sender records only errors.
	selfRecorded bool
}

func newWorkers(ctx context.Context, st *runState, d *dialer) ([]*worker, error) {
	cfg := st.cfg
	n := cfg.conns()
	var ws []*worker
	switch cfg.Target {
	case Line:
		for range n {
			ws = append(ws, &worker{sess: newLineSession(st, d)})
		}
	case Connect:
		for range n {
			ws = append(ws, &worker{sess: newConnectSession(st, d)})
		}
	case RPC:
		for c := range n {
			h := &rpcHolder{st: st, d: d, pipeline: cfg.pipeline()}
			for slot := range cfg.pipeline() {
				ws = append(ws, &worker{sess: &rpcSlot{h: h, slot: slot, client: c}})
			}
		}
	case Chat:
		for i := range n {
			ws = append(ws, &worker{sess: newChatSession(st, d, cfg.FirstClient+i), selfRecorded: true})
		}
	case HTTP:
		if cfg.netHTTP() {
			for range n {
				ws = append(ws, &worker{sess: newHTTPSession(st, d)})
			}
			break
		}
		eng, err := newH1Engine(cfg)
		if err != nil {
			return nil, err
		}
		if useLoop(cfg, eng) {
			loops, err := newH1Loops(st, d, eng, n, runtime.GOMAXPROCS(0))
			if err != nil {
				return nil, err
			}
			for _, l := range loops {
				ws = append(ws, &worker{loop: l})
			}
			break
		}
		for c := range n {
			if p := cfg.pipeline(); p > 1 {
				pipe := &h1Pipe{st: st, d: d, eng: eng, pipeline: p}
				slots := make([]chan h1Answer, p)
				for i := range slots {
					slots[i] = make(chan h1Answer, 1)
				}
				for slot := range p {
					ws = append(ws, &worker{sess: &h1Slot{p: pipe, slot: slot, slots: slots}})
				}
				continue
			}
			// Connections start at different places in a mixed
			// workload, so that its requests are spread from the start.
			ws = append(ws, &worker{sess: newH1Session(st, d, eng, c)})
		}
	}

	// Set up every session, paced, before the clock starts.
	var (
		wg       sync.WaitGroup
		ok       atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	needsDial := cfg.Target != Connect && (cfg.Target != HTTP || !cfg.netHTTP())
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w.loop != nil {
				// The loop paces its connections' dials itself.
				n, err := w.loop.setup(ctx)
				ok.Add(int64(n))
				if err != nil {
					errOnce.Do(func() { firstErr = err })
				}
				return
			}
			if err := d.paced(ctx, func() error { return w.sess.connect(ctx) }); err == nil {
				ok.Add(1)
			} else {
				errOnce.Do(func() { firstErr = err })
			}
		}()
	}
	wg.Wait()
	if needsDial && ok.Load() == 0 && len(ws) > 0 {
		for _, w := range ws {
			w.close()
		}
		err := cmp.Or(ctx.Err(), firstErr)
		var re *RequestError
		if errors.As(err, &re) {
			err = re.Err
		}
		return nil, &noConnError{err: err}
	}
	for _, w := range ws {
		if w.sess != nil {
			st.track(w.sess, true)
		}
	}
	return ws, nil
}

type noConnError struct{ err error }

func (e *noConnError) Error() string {
	if e.err == nil {
		return ErrNoConnections.Error()
	}
	return ErrNoConnections.Error() + ": " + e.err.Error()
}
func (e *noConnError) Unwrap() []error { return []error{ErrNoConnections, e.err} }

// run is the request loop of worker i of n. In the open model worker i
// sends at start + (i + k·n)/Rate for k = 0, 1, ..., so the n workers
// together keep a constant rate; a worker that falls behind its schedule
// sends at once and its latency still counts from the scheduled time.
func (w *worker) run(ctx context.Context, st *runState, i, n int) {
	if w.loop != nil {
		w.loop.run(ctx)
		return
	}
	sh := st.rec.shard(i)
	rate := st.cfg.Rate
	var (
		next  time.Time
		every time.Duration
		timer *time.Timer
	)
	if rate > 0 {
		every = time.Duration(float64(n) / rate * float64(time.Second))
		next = st.start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		timer = time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
	}
	var (
		backoff time.Duration
		last    time.Time // when the previous request ended
	)
	for st.claim() {
		// In the closed model the next request starts as the last one
		// ends: reuse that clock reading rather than take another.
		now := last
		if rate > 0 || now.IsZero() {
			now = time.Now()
		}
		intended := now
		if rate > 0 {
			if !next.Before(st.end) {
				return
			}
			if wait := next.Sub(now); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
				now = time.Now()
			}
			intended = next
			next = next.Add(every)
			if !intended.Before(st.end) {
				return // scheduled past the end of the run
			}
		}
		err := w.sess.do(ctx, now, intended)
		end := time.Now()
		last = end
		if st.ended(ctx, end) {
			return // the run ended during this request: it does not count
		}
		if err != nil {
			sh.failure(err)
			w.sess.reset()
			if rate <= 0 {
				// A closed-model client facing a dead server would spin
				// on refused dials; back off a little, growing to 100 ms.
				backoff = min(max(2*backoff, time.Millisecond), 100*time.Millisecond)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
			last = time.Time{}
			continue
		}
		backoff = 0
		if w.selfRecorded {
			sh.sentOne()
		} else {
			sh.success(end.Sub(intended), end.Sub(now))
		}
	}
}

func (w *worker) close() {
	if w.loop != nil {
		w.loop.close()
		return
	}
	w.sess.close()
}

// useLoop says the run can go on the HTTP engine's event loop: the closed
// model, one request in flight per connection, and one plain-HTTP origin.
// Everything else runs a goroutine per connection.
func useLoop(cfg *Config, eng *h1Engine) bool {
	return loopSupported && cfg.Rate <= 0 && cfg.pipeline() == 1 &&
		len(eng.origins) == 1 && eng.origins[0].tls == nil
}
