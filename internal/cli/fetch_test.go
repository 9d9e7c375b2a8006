package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
)

func TestFetchFlags(t *testing.T) {
	tests := []struct {
		args []string
		want fetchOptions
	}{
		{[]string{}, fetchOptions{URLs: []string{}, Concurrency: 10, Timeout: 10 * time.Second, Retries: 1, MaxBody: 32 << 20}},
		{[]string{"-c", "3", "--timeout", "0.25", "--deadline", "2s", "--retries", "0", "--max-body", "1KiB", "--json", "a", "b"},
			fetchOptions{URLs: []string{"a", "b"}, Concurrency: 3, Timeout: 250 * time.Millisecond, Deadline: 2 * time.Second, MaxBody: 1 << 10, JSON: true}},
	}
	for _, tt := range tests {
		var got *fetchOptions
		cmd := newFetchCmd(&IOStreams{}, func(_ context.Context, o *fetchOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		if err := cmd.Execute(); err != nil {
			t.Fatalf("fetch %v: %v", tt.args, err)
		}
		got.Streams = nil
		if got.TLS != (httpTLSFlags{Verify: "yes"}) {
			t.Errorf("%v: TLS flags %+v, want HTTPie's defaults", tt.args, got.TLS)
		}
		got.TLS = httpTLSFlags{}
		if diff := cmp.Diff(tt.want, *got); diff != "" {
			t.Errorf("fetch %v options (-want +got):\n%s", tt.args, diff)
		}
	}
}

// slowServer answers /ms/N after N milliseconds (or when the client goes)
// and records the most requests it had in flight at once.
type slowServer struct {
	*httptest.Server
	mu       sync.Mutex
	inFlight int
	peak     int
}

func newSlowServer(t *testing.T) *slowServer {
	s := &slowServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.inFlight++
		s.peak = max(s.peak, s.inFlight)
		s.mu.Unlock()
		defer func() { s.mu.Lock(); s.inFlight--; s.mu.Unlock() }()
		var n int
		fmt.Sscanf(r.URL.Path, "/ms/%d", &n)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		tm := time.NewTimer(time.Duration(n) * time.Millisecond)
		defer tm.Stop()
		select {
		case <-tm.C:
			fmt.Fprintf(w, "waited %dms", n)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestFetch(t *testing.T) {
	s := newSlowServer(t)
	var urls []string
	for _, d := range []int{30, 50, 20, 40, 60} {
		urls = append(urls, fmt.Sprintf("%s/ms/%d", s.URL, d))
	}
	code, out, stderr := run(t, "", append([]string{"fetch", "--concurrency", "5"}, urls...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("netkit fetch = %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("output has %d lines, want 5 results and a summary:\n%s", len(lines), out)
	}
	for _, u := range urls {
		if !strings.Contains(out, "200 ") || !strings.Contains(out, u+"\n") {
			t.Errorf("no 200 line for %s in\n%s", u, out)
		}
	}
	if !strings.HasPrefix(lines[5], "5 succeeded, 0 failed in ") || !strings.Contains(lines[5], "speed-up ") {
		t.Errorf("summary = %q", lines[5])
	}
}

func TestFetchConcurrencyAndFailures(t *testing.T) {
	s := newSlowServer(t)
	stdin := "# a comment\n\n"
	for range 6 {
		stdin += s.URL + "/ms/20\n"
	}
	stdin += s.URL + "/missing\nhttp://" + testnet.RefusedAddr(t) + "/\n" + s.URL + "/ms/5000\n"
	code, out, stderr := run(t, stdin, "fetch", "-c", "2", "--timeout", "1s", "--retries", "0", "--json")
	if code != ExitError {
		t.Errorf("netkit fetch with failures = %d, want %d", code, ExitError)
	}
	s.mu.Lock()
	peak := s.peak
	s.mu.Unlock()
	if peak > 2 {
		t.Errorf("server saw %d requests at once, want at most --concurrency 2", peak)
	}
	classes := map[string]int{}
	var sum struct{ Summary fetchSummary }
	dec := json.NewDecoder(strings.NewReader(out))
	for n := 0; ; n++ {
		var line fetchLineJSON
		raw := json.RawMessage{}
		if err := dec.Decode(&raw); err != nil {
			break
		}
		if strings.HasPrefix(string(raw), `{"summary"`) {
			json.Unmarshal(raw, &sum)
			continue
		}
		if err := json.Unmarshal(raw, &line); err != nil {
			t.Fatalf("line %d %s: %v", n, raw, err)
		}
		if line.Error != nil {
			classes[line.Error.Class]++
		} else {
			classes["ok"]++
		}
	}
	want := map[string]int{"ok": 6, "http-4xx": 1, "refused": 1, "timeout": 1}
	if diff := cmp.Diff(want, classes); diff != "" {
		t.Errorf("results by class (-want +got):\n%s", diff)
	}
	if sum.Summary.Succeeded != 6 || sum.Summary.Failed != 3 || sum.Summary.Speedup <= 0 {
		t.Errorf("summary = %+v", sum.Summary)
	}
	if n := strings.Count(stderr, "\n"); n != 3 {
		t.Errorf("stderr has %d lines, want one per failure:\n%s", n, stderr)
	}
}

func TestFetchDeadline(t *testing.T) {
	s := newSlowServer(t)
	start := time.Now()
	code, out, _ := run(t, "", "fetch", "--deadline", "200ms", s.URL+"/ms/10", s.URL+"/ms/20", s.URL+"/ms/5000")
	// The slow URL takes 5s: a second of slack for a loaded machine still
	// shows the deadline was kept.
	if el := time.Since(start); el > 1200*time.Millisecond {
		t.Errorf("fetch with --deadline 200ms took %v", el)
	}
	// Its one failure is a timeout: the exit status says so.
	if code != exitHTTPTimeout || !strings.Contains(out, "timeout") || !strings.Contains(out, "2 succeeded, 1 failed") {
		t.Errorf("fetch --deadline = %d:\n%s", code, out)
	}
}

func TestFetchURLTooLong(t *testing.T) {
	code, _, stderr := run(t, strings.Repeat("x", maxFetchURLLen+1)+"\n", "fetch")
	if code != ExitError || !strings.Contains(stderr, "longer than") {
		t.Errorf("fetch with a long line = %d, %q", code, stderr)
	}
}
