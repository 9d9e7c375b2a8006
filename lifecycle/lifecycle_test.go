package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fake is a Component that records its calls in a shared log.
type fake struct {
	name     string
	log      *[]string
	mu       *sync.Mutex
	startErr error
	stopErr  error
	stop     chan error // Wait returns what is sent here; Shutdown sends nil
	once     sync.Once
}

func newFake(name string, log *[]string, mu *sync.Mutex) *fake {
	return &fake{name: name, log: log, mu: mu, stop: make(chan error, 1)}
}

func (f *fake) record(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.log = append(*f.log, op+" "+f.name)
}

func (f *fake) Start(context.Context) error { f.record("start"); return f.startErr }
func (f *fake) Wait() error                 { return <-f.stop }
func (f *fake) Ready() error                { return nil }
func (f *fake) Drain()                      { f.record("drain") }
func (f *fake) Shutdown(context.Context) error {
	f.record("shutdown")
	f.once.Do(func() { f.stop <- nil })
	return f.stopErr
}

func TestGroupOrder(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var g Group
	for _, name := range []string{"a", "b", "c"} {
		g.Add(name, newFake(name, &log, &mu))
	}
	if err := g.Ready(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Ready before Start = %v, want ErrNotStarted", err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatalf("Start = %v", err)
	}
	if err := g.Ready(); err != nil {
		t.Errorf("Ready after Start = %v, want nil", err)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := g.Ready(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Ready after Shutdown = %v, want ErrNotStarted", err)
	}
	want := []string{"start a", "start b", "start c", "drain c", "drain b", "drain a", "shutdown c", "shutdown b", "shutdown a"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestGroupStartFails(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var g Group
	a, b, c := newFake("a", &log, &mu), newFake("b", &log, &mu), newFake("c", &log, &mu)
	b.startErr = errors.New("address in use")
	g.Add("a", a)
	g.Add("b", b)
	g.Add("c", c)
	err := g.Start(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Name != "b" || e.Op != "start" || !errors.Is(err, b.startErr) {
		t.Fatalf("Start = %v, want b's start error as an *Error", err)
	}
	if err.Error() != "b: address in use" {
		t.Errorf("Start error reads %q, want %q", err.Error(), "b: address in use")
	}
	want := []string{"start a", "start b", "drain a", "shutdown a"}
	if diff := cmp.Diff(want, log); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown after a failed Start = %v", err)
	}
}

func TestGroupFailedAndShutdownErrors(t *testing.T) {
	var log []string
	var mu sync.Mutex
	var g Group
	a, b := newFake("a", &log, &mu), newFake("b", &log, &mu)
	a.stopErr = context.DeadlineExceeded
	b.stopErr = context.DeadlineExceeded
	g.Add("a", a)
	g.Add("b", b)
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("accept: too many open files")
	a.once.Do(func() { a.stop <- boom })
	select {
	case err := <-g.Failed():
		var e *Error
		if !errors.As(err, &e) || e.Name != "a" || e.Op != "serve" || !errors.Is(err, boom) {
			t.Errorf("Failed() = %v, want a's serve error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Failed() reported nothing")
	}
	err := g.Shutdown(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the components' deadline errors", err)
	}
	if diff := cmp.Diff([]string{"b", "a"}, Names(err)); diff != "" {
		t.Errorf("Names(Shutdown error) (-want +got):\n%s", diff)
	}
}

func TestListenerHTTP(t *testing.T) {
	drained := false
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") })}
	l := &Listener{Addr: "127.0.0.1:0", Server: srv, Closed: http.ErrServerClosed, OnDrain: func() { drained = true }}
	if err := l.Ready(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Ready before Start = %v, want ErrNotStarted", err)
	}
	var g Group
	g.Add("web", l)
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + l.BoundAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hi" {
		t.Errorf("GET = %q, want hi", body)
	}
	if err := g.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if !drained {
		t.Error("OnDrain was not called")
	}
	if err := l.Wait(); err != nil {
		t.Errorf("Wait after Shutdown = %v, want nil", err)
	}
}

func TestListenerStartError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var g Group
	g.Add("admin", &Listener{Addr: ln.Addr().String(), Server: &http.Server{}, Closed: http.ErrServerClosed})
	err = g.Start(context.Background())
	if !strings.HasPrefix(fmt.Sprint(err), "admin: listen tcp") {
		t.Errorf("Start on a bound port = %v, want the admin listen error", err)
	}
}

// TestListenerForcedClose: a connection busy past the deadline is closed
// by the Listener, since http.Server.Shutdown alone leaves it open.
func TestListenerForcedClose(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	l := &Listener{Addr: "127.0.0.1:0", Server: srv, Closed: http.ErrServerClosed}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer close(release)
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + l.BoundAddr().String())
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if err := <-got; err == nil {
		t.Error("the busy request succeeded; want its connection closed")
	}
	if err := l.Wait(); err != nil {
		t.Errorf("Wait = %v, want nil", err)
	}
}
