package loadpool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netkit-dev/netkit/loadgen"
)

// beatEvery is how often a worker says it is alive during a run.
const beatEvery = time.Second

// maxJob bounds an assignment (a targets file and bodies included).
const maxJob = 8 << 20

// Worker serves load runs to coordinators on NATS, one run at a time.
type Worker struct {
	// Conn is the NATS connection to serve on. Required.
	Conn *nats.Conn
	// Name names the worker in results; empty means its ID.
	Name string
	// Logger receives runs begun and ended; nil is silent.
	Logger *slog.Logger

	id   string
	mu   sync.Mutex
	busy bool
	wg   sync.WaitGroup
}

// ID returns the worker's identity in the pool, random per Worker.
func (w *Worker) ID() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.id == "" {
		var b [8]byte
		rand.Read(b[:])
		w.id = hex.EncodeToString(b[:])
	}
	return w.id
}

func (w *Worker) name() string {
	if w.Name != "" {
		return w.Name
	}
	return w.ID()
}

func (w *Worker) log(msg string, args ...any) {
	if w.Logger != nil {
		w.Logger.Info(msg, append([]any{"worker", w.name()}, args...)...)
	}
}

// Serve answers discovery and runs the jobs it is assigned until ctx is
// done; a run in progress is then aborted, and Serve returns once it has
// ended.
func (w *Worker) Serve(ctx context.Context) error {
	id := w.ID()
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		w.wg.Wait()
	}()
	disc, err := w.Conn.Subscribe(subjDiscover(), func(m *nats.Msg) {
		w.mu.Lock()
		busy := w.busy
		w.mu.Unlock()
		if busy || m.Reply == "" {
			return // a busy worker is not in the pool
		}
		b, _ := json.Marshal(hello{ID: id, Name: w.name()})
		m.Respond(b)
	})
	if err != nil {
		return err
	}
	defer disc.Unsubscribe()
	assign, err := w.Conn.Subscribe(subjAssign(id), func(m *nats.Msg) { w.assign(ctx, m) })
	if err != nil {
		return err
	}
	defer assign.Unsubscribe()
	if err := w.Conn.Flush(); err != nil {
		return err
	}
	w.log("worker ready", "id", id)
	<-ctx.Done()
	return nil
}

func (w *Worker) assign(ctx context.Context, m *nats.Msg) {
	refuse := func(msg string) {
		b, _ := json.Marshal(map[string]string{"error": msg})
		m.Respond(b)
	}
	var j job
	if len(m.Data) > maxJob {
		refuse("job too large")
		return
	}
	if err := json.Unmarshal(m.Data, &j); err != nil || j.Run == "" {
		refuse("malformed job")
		return
	}
	cfg, err := j.config()
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		refuse(err.Error())
		return
	}
	w.mu.Lock()
	if w.busy {
		w.mu.Unlock()
		refuse("busy with another run")
		return
	}
	w.busy = true
	w.mu.Unlock()

	// Subscribe to the start and the abort before saying yes, so that
	// neither can be missed.
	runCtx, cancel := context.WithCancel(ctx)
	start := make(chan struct{})
	var once sync.Once
	goSub, err1 := w.Conn.Subscribe(subjGo(j.Run), func(*nats.Msg) { once.Do(func() { close(start) }) })
	abortSub, err2 := w.Conn.Subscribe(subjAbort(j.Run), func(*nats.Msg) { cancel() })
	if err := errors.Join(err1, err2, w.Conn.Flush()); err != nil {
		cancel()
		w.release()
		refuse(err.Error())
		return
	}
	m.Respond([]byte(`{}`))
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer w.release()
		defer cancel()
		defer goSub.Unsubscribe()
		defer abortSub.Unsubscribe()
		w.run(runCtx, j, cfg, start)
	}()
}

func (w *Worker) release() {
	w.mu.Lock()
	w.busy = false
	w.mu.Unlock()
}

// run runs one job: set-up, ready, wait for the start, the run with a
// heartbeat, then the result.
func (w *Worker) run(ctx context.Context, j job, cfg loadgen.Config, start <-chan struct{}) {
	assigned := time.Now()
	id := w.ID()
	w.log("run assigned", "run", j.Run, "target", j.Target, "conns", j.Conns)
	var requests int64
	var mu sync.Mutex
	beat := func() {
		mu.Lock()
		b, _ := json.Marshal(message{Requests: requests})
		mu.Unlock()
		w.Conn.Publish(subjBeat(j.Run, id), b)
	}
	// Beat from the assignment on, through the set-up, which may be long.
	stopBeat := make(chan struct{})
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(beatEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				beat()
			case <-stopBeat:
				return
			}
		}
	}()
	cfg.Progress = func(p loadgen.Progress) {
		mu.Lock()
		requests = p.Requests
		mu.Unlock()
	}
	startWithin := j.StartWithin
	if startWithin <= 0 {
		startWithin = defaultStartWithin
	}
	noStart := time.NewTimer(time.Until(assigned.Add(startWithin)))
	defer noStart.Stop()
	cfg.Barrier = func(bctx context.Context) error {
		w.Conn.Publish(subjReady(j.Run, id), nil)
		select {
		case <-start:
			return nil
		case <-ctx.Done():
			return ErrAborted
		case <-bctx.Done():
			return bctx.Err()
		case <-noStart.C:
			return fmt.Errorf("%w: no start within %v of the assignment", ErrAborted, startWithin)
		}
	}
	res, err := loadgen.Run(ctx, cfg)
	close(stopBeat)
	<-beatDone
	var msg message
	if err != nil {
		msg.Error = err.Error()
	} else {
		res.Label = w.name()
		msg.Result = res
	}
	b, err := json.Marshal(msg)
	if err == nil {
		err = w.Conn.Publish(subjResult(j.Run, id), b)
	}
	if err == nil {
		err = w.Conn.Flush()
	}
	w.log("run ended", "run", j.Run, "err", err, "run_error", msg.Error)
}
