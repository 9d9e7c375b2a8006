// Package lifecycle starts a set of long-running components in order, reports
// when one fails, and stops them in reverse order within a deadline, as
// caddy starts and stops its apps.
//
// A component is anything with the Component methods: a TCP service, an
// HTTP listener, an embedded message bus. Listener adapts any server with
// net/http's Serve and Shutdown methods (http.Server, tcpserver.Server) into
// one, so that a program such as netkit serve is a list of components and
// one Group, with no special case per component.
package lifecycle

import (
	"context"
	"errors"
	"sync"
)

// Component is one part of a running program.
//
// Start starts the component and returns once it is ready to serve (its
// listener bound, its connections made), or with an error. Work that goes on
// after Start returns belongs to the component, which reports how it ended
// through Wait.
//
// Wait blocks until the component has stopped serving. It returns nil when
// the component stopped because Shutdown was called, and the error that
// stopped it otherwise. Wait is called only after a successful Start.
//
// Ready returns nil while the component can take work, and the reason
// otherwise; it backs readiness probes such as /readyz.
//
// Shutdown stops the component gracefully: no new work is taken, and work
// in progress finishes. If ctx ends first, Shutdown closes what is left and
// returns an error (ctx.Err() or one wrapping it). Shutdown may be called
// more than once, and before Start.
type Component interface {
	Start(ctx context.Context) error
	Wait() error
	Ready() error
	Shutdown(ctx context.Context) error
}

// Drainer is a Component that wants to know when shutdown begins, before
// any component is stopped: an admin listener makes /readyz fail then, so
// that load balancers stop sending traffic while the services drain.
type Drainer interface {
	Drain()
}

// Error is the error of one component's Start, Wait or Shutdown.
type Error struct {
	Name string // the component's name, as given to Group.Add
	Op   string // "start", "serve" or "shutdown"
	Err  error
}

// Error returns the component's name and its error, "name: err".
func (e *Error) Error() string { return e.Name + ": " + e.Err.Error() }

// Unwrap returns the component's error.
func (e *Error) Unwrap() error { return e.Err }

// ErrNotStarted is Ready's error for a Group or Listener that has not
// started, or has begun to stop.
var ErrNotStarted = errors.New("lifecycle: not started")

// Group runs components. Add them in start order, then call Start once and
// Shutdown once; the zero value is an empty group.
type Group struct {
	mu      sync.Mutex
	entries []entry
	started int // entries[:started] have started
	running bool
	failed  chan error
	waits   sync.WaitGroup
}

type entry struct {
	name string
	c    Component
}

// Add appends c, named name in errors, to the group. Call it before Start.
func (g *Group) Add(name string, c Component) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.entries = append(g.entries, entry{name, c})
}

// Len returns the number of components added.
func (g *Group) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.entries)
}

// Start starts the components in the order they were added, each once the
// one before it is ready. If one fails to start, Start stops those already
// started, in reverse order, and returns an *Error naming the one that
// failed. From then on a component that stops serving on its own is
// reported on Failed.
func (g *Group) Start(ctx context.Context) error {
	g.mu.Lock()
	entries := g.entries
	g.failed = make(chan error, len(entries))
	g.mu.Unlock()
	for i, e := range entries {
		if err := e.c.Start(ctx); err != nil {
			// Stop what started with ctx's own deadline: a failed start
			// has no grace period of its own to honour.
			g.stop(ctx, entries[:i])
			return &Error{Name: e.name, Op: "start", Err: err}
		}
		g.mu.Lock()
		g.started = i + 1
		g.mu.Unlock()
		g.waits.Add(1)
		go func() {
			defer g.waits.Done()
			if err := e.c.Wait(); err != nil {
				g.failed <- &Error{Name: e.name, Op: "serve", Err: err}
			}
		}()
	}
	g.mu.Lock()
	g.running = true
	g.mu.Unlock()
	return nil
}

// Failed returns a channel that receives an *Error for each component that
// stops serving on its own after Start. It is nil before Start.
func (g *Group) Failed() <-chan error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failed
}

// Ready returns nil when every component has started and is ready, else
// why not: ErrNotStarted while Start is in progress or once Shutdown has
// begun, or the first component's Ready error, as an *Error.
func (g *Group) Ready() error {
	g.mu.Lock()
	running, entries := g.running, g.entries
	g.mu.Unlock()
	if !running {
		return ErrNotStarted
	}
	for _, e := range entries {
		if err := e.c.Ready(); err != nil {
			return &Error{Name: e.name, Op: "ready", Err: err}
		}
	}
	return nil
}

// Shutdown stops the group: it first calls Drain on every started component
// that is a Drainer, then calls Shutdown on each started component in
// reverse start order, one at a time, all within ctx. It waits for every
// component's Wait to return, and returns the components' Shutdown errors
// joined (each an *Error), or nil when all stopped in time.
func (g *Group) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.running = false
	entries := g.entries[:g.started]
	g.mu.Unlock()
	err := g.stop(ctx, entries)
	g.waits.Wait()
	return err
}

func (g *Group) stop(ctx context.Context, entries []entry) error {
	for i := len(entries) - 1; i >= 0; i-- {
		if d, ok := entries[i].c.(Drainer); ok {
			d.Drain()
		}
	}
	var errs []error
	for i := len(entries) - 1; i >= 0; i-- {
		if err := entries[i].c.Shutdown(ctx); err != nil {
			errs = append(errs, &Error{Name: entries[i].name, Op: "shutdown", Err: err})
		}
	}
	return errors.Join(errs...)
}

// Names returns the names of the components behind err's *Error values, in
// the order err holds them: for a joined error from Shutdown, the components
// that did not stop in time.
func Names(err error) []string {
	var names []string
	var walk func(error)
	walk = func(err error) {
		var e *Error
		switch x := err.(type) {
		case nil:
		case interface{ Unwrap() []error }:
			for _, err := range x.Unwrap() {
				walk(err)
			}
		default:
			if errors.As(err, &e) {
				names = append(names, e.Name)
			}
		}
	}
	walk(err)
	return names
}
