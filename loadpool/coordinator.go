package loadpool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/netkit-dev/netkit/loadgen"
)

// Defaults of the Coordinator fields left zero.
const (
	DefaultWaitTimeout = 30 * time.Second
	DefaultSilence     = 5 * time.Second
)

// Coordinator runs a load test on workers of the pool.
type Coordinator struct {
	// Conn is the NATS connection of the pool. Required.
	Conn *nats.Conn
	// Workers is how many workers the run needs. Required.
	Workers int
	// WaitTimeout bounds the wait for the workers to answer, and for
	// them to set up. 0 means DefaultWaitTimeout.
	WaitTimeout time.Duration
	// Silence is how long a worker may say nothing during a run before
	// it is counted lost (it beats once a second). 0 means
	// DefaultSilence.
	Silence time.Duration
	// TLS is the TLS of the job's connections, which cannot travel as a
	// *tls.Config; Config.TLS is ignored.
	TLS *TLSJob
	// Logger receives the run's steps; nil is silent.
	Logger *slog.Logger
}

func (c *Coordinator) log(msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.Info(msg, args...)
	}
}

// workerState is what the coordinator knows of one worker in a run.
type workerState struct {
	hello
	job    job
	ready  bool
	seen   time.Time
	done   bool
	result *loadgen.Result
	lost   string // why it was lost
}

// Run runs cfg split over c.Workers workers and returns the merged result
// with a row per worker. It fails when the workers cannot be found or set
// up in time, or when every one of them is lost; with some lost it
// returns the others' result, marked partial.
func (c *Coordinator) Run(ctx context.Context, cfg loadgen.Config) (*loadgen.Result, error) {
	if c.Workers < 1 {
		return nil, fmt.Errorf("%w: need at least one", ErrWorkers)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	wait := c.WaitTimeout
	if wait <= 0 {
		wait = DefaultWaitTimeout
	}
	silence := c.Silence
	if silence <= 0 {
		silence = DefaultSilence
	}
	var rb [8]byte
	rand.Read(rb[:])
	run := hex.EncodeToString(rb[:])
	jobs, err := split(cfg, c.TLS, run, c.Workers)
	if err != nil {
		return nil, err
	}

	// Everything the workers say about this run arrives on one channel.
	events := make(chan *nats.Msg, 1024)
	sub, err := c.Conn.ChanSubscribe(subjRun(run)+">", events)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	sub.SetPendingLimits(-1, 256<<20)

	found, err := c.discover(ctx, wait)
	if err != nil {
		return nil, err
	}
	byID := map[string]*workerState{}
	abort := func() { c.Conn.Publish(subjAbort(run), nil); c.Conn.Flush() }
	// A worker waits for the start no longer than this coordinator can
	// take to assign the others (wait each) and to see them set up; a
	// margin of one more wait covers the clocks' drift between them.
	setup := cfg.SetupTimeout
	if setup <= 0 {
		setup = loadgen.DefaultSetupTimeout
	}
	startWithin := time.Duration(len(found)+2)*wait + setup
	for i, h := range found {
		jobs[i].StartWithin = startWithin
		ws := &workerState{hello: h, job: jobs[i], seen: time.Now()}
		byID[h.ID] = ws
		b, err := json.Marshal(ws.job)
		if err != nil {
			return nil, err
		}
		actx, cancel := context.WithTimeout(ctx, wait)
		reply, err := c.Conn.RequestWithContext(actx, subjAssign(h.ID), b)
		cancel()
		if err == nil {
			var r struct{ Error string }
			if json.Unmarshal(reply.Data, &r) == nil && r.Error != "" {
				err = fmt.Errorf("%s", r.Error)
			}
		}
		if err != nil {
			abort()
			return nil, fmt.Errorf("%w: worker %s refused its part: %v", ErrWorkers, h.Name, err)
		}
		c.log("worker assigned", "worker", h.Name, "conns", ws.job.Conns, "rate", ws.job.Rate, "requests", ws.job.Requests)
	}

	// Wait until every worker is set up, then start them together.
	setupEnd := time.Now().Add(wait + setup)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for ready := 0; ready < len(byID); {
		select {
		case m := <-events:
			ws, kind := c.event(byID, run, m)
			if ws == nil {
				continue
			}
			if kind == "ready" && !ws.ready {
				ws.ready = true
				ready++
			}
			if kind == "result" {
				// A result before the start is a failed set-up.
				abort()
				return nil, fmt.Errorf("%w: worker %s could not set up: %s", ErrWorkers, ws.Name, ws.lost)
			}
		case now := <-tick.C:
			for _, ws := range byID {
				if now.Sub(ws.seen) > silence || now.After(setupEnd) {
					abort()
					return nil, fmt.Errorf("%w: worker %s fell silent while setting up", ErrWorkers, ws.Name)
				}
			}
		case <-ctx.Done():
			abort()
			return nil, ctx.Err()
		}
	}
	if err := c.Conn.Publish(subjGo(run), nil); err != nil {
		abort()
		return nil, err
	}
	c.Conn.Flush()
	c.log("run started", "run", run, "workers", len(byID))

	// Collect the results, counting as lost any worker silent too long,
	// or still without a result well after the run must have ended (one
	// that beats but never answers).
	duration := cfg.Duration
	if duration <= 0 {
		duration = loadgen.DefaultDuration
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = loadgen.DefaultTimeout
	}
	resultBy := time.Now().Add(duration + timeout + silence + 10*time.Second)
	for _, ws := range byID {
		ws.seen = time.Now()
	}
	pending := len(byID)
	for pending > 0 {
		select {
		case m := <-events:
			ws, kind := c.event(byID, run, m)
			if ws != nil && kind == "result" {
				pending--
			}
		case now := <-tick.C:
			for _, ws := range byID {
				switch {
				case ws.done:
					continue
				case now.Sub(ws.seen) > silence:
					ws.lost = fmt.Sprintf("silent for %v during the run", silence)
				case now.After(resultBy):
					ws.lost = "no result by the end of the run"
				default:
					continue
				}
				ws.done = true
				pending--
				c.log("worker lost", "worker", ws.Name, "reason", ws.lost)
			}
		case <-ctx.Done():
			abort()
			return nil, ctx.Err()
		}
	}
	return merge(found, byID)
}

// event records a worker's message and returns the worker and the kind
// of message (ready, beat, result); nil for a stranger's.
func (c *Coordinator) event(byID map[string]*workerState, run string, m *nats.Msg) (*workerState, string) {
	rest, ok := strings.CutPrefix(m.Subject, subjRun(run))
	kind, id, ok2 := strings.Cut(rest, ".")
	ws := byID[id]
	if !ok || !ok2 || ws == nil || ws.done {
		return nil, ""
	}
	ws.seen = time.Now()
	if kind != "result" {
		return ws, kind
	}
	ws.done = true
	var msg message
	switch err := json.Unmarshal(m.Data, &msg); {
	case err != nil:
		ws.lost = "its result is not readable: " + err.Error()
	case msg.Error != "":
		ws.lost = "its run failed: " + msg.Error
	case msg.Result == nil:
		ws.lost = "it sent no result"
	default:
		ws.result = msg.Result
	}
	return ws, kind
}

// discover asks the pool for idle workers until n have answered.
func (c *Coordinator) discover(ctx context.Context, wait time.Duration) ([]hello, error) {
	inbox := c.Conn.NewRespInbox()
	replies := make(chan *nats.Msg, 256)
	sub, err := c.Conn.ChanSubscribe(inbox, replies)
	if err != nil {
		return nil, err
	}
	defer sub.Unsubscribe()
	var found []hello
	seen := map[string]bool{}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	again := time.NewTicker(250 * time.Millisecond)
	defer again.Stop()
	ask := func() error { return c.Conn.PublishRequest(subjDiscover(), inbox, nil) }
	if err := ask(); err != nil {
		return nil, err
	}
	for len(found) < c.Workers {
		select {
		case m := <-replies:
			var h hello
			if json.Unmarshal(m.Data, &h) != nil || h.ID == "" || seen[h.ID] {
				continue
			}
			seen[h.ID] = true
			found = append(found, h)
		case <-again.C:
			// Workers that joined since, or whose answer was lost.
			ask()
		case <-deadline.C:
			return nil, fmt.Errorf("%w: %d of %d workers answered within %v", ErrWorkers, len(found), c.Workers, wait)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return found, nil
}

func merge(found []hello, byID map[string]*workerState) (*loadgen.Result, error) {
	var parts []*loadgen.Result
	var rows []loadgen.WorkerResult
	var lost []string
	for _, h := range found {
		ws := byID[h.ID]
		if ws.result == nil {
			rows = append(rows, loadgen.WorkerResult{Name: ws.Name, Conns: ws.job.Conns, Lost: true, Reason: ws.lost})
			lost = append(lost, ws.Name)
			continue
		}
		parts = append(parts, ws.result)
		rows = append(rows, ws.result.Row(ws.Name))
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: every worker was lost (%s)", ErrWorkers, strings.Join(lost, ", "))
	}
	res, err := loadgen.Merge(parts)
	if err != nil {
		return nil, err
	}
	res.Workers = rows
	res.Partial = len(lost) > 0
	res.Histogram, res.ServiceHistogram = nil, nil
	return res, nil
}
