package retry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var errFlaky = errors.New("flaky")

// noSleep records the waits instead of sleeping.
type noSleep struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func TestDoSucceedsAfterFailures(t *testing.T) {
	var s noSleep
	calls := 0
	attempts, err := DoCount(context.Background(), Policy{Sleep: s.sleep, Jitter: NoJitter}, func(context.Context) error {
		calls++
		if calls < 3 {
			return errFlaky
		}
		return nil
	})
	if err != nil || attempts != 3 || calls != 3 {
		t.Fatalf("DoCount = %d, %v (calls %d); want 3, nil", attempts, err, calls)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}
	if len(s.delays) != 2 || s.delays[0] != want[0] || s.delays[1] != want[1] {
		t.Errorf("delays = %v, want %v", s.delays, want)
	}
}

func TestDoExhausted(t *testing.T) {
	var s noSleep
	var hooked []int
	p := Policy{MaxAttempts: 3, Sleep: s.sleep, OnRetry: func(a Attempt) { hooked = append(hooked, a.Number) }}
	err := Do(context.Background(), p, func(context.Context) error { return errFlaky })
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 3 || !errors.Is(err, ErrAttempts) || !errors.Is(err, errFlaky) {
		t.Fatalf("Do = %v; want *Error with 3 attempts wrapping ErrAttempts and errFlaky", err)
	}
	if len(hooked) != 2 || hooked[0] != 1 || hooked[1] != 2 {
		t.Errorf("OnRetry saw attempts %v, want [1 2]", hooked)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("Error() = %q, want the attempt count", err)
	}
}

func TestDoPermanentAndRetryable(t *testing.T) {
	calls := 0
	err := Do(context.Background(), Policy{Sleep: (&noSleep{}).sleep}, func(context.Context) error {
		calls++
		return Permanent(errFlaky)
	})
	if calls != 1 || !errors.Is(err, errFlaky) {
		t.Errorf("Do(Permanent) = %v after %d calls; want errFlaky after 1", err, calls)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Errorf("Do(Permanent) returned *Error %v; want the error as is", err)
	}

	calls = 0
	p := Policy{Sleep: (&noSleep{}).sleep, Retryable: func(err error) bool { return !errors.Is(err, errFlaky) }}
	err = Do(context.Background(), p, func(context.Context) error { calls++; return errFlaky })
	if calls != 1 || err != errFlaky {
		t.Errorf("Do(not retryable) = %v after %d calls; want errFlaky after 1", err, calls)
	}
}

func TestDoHintCapped(t *testing.T) {
	var s noSleep
	p := Policy{MaxAttempts: 2, MaxDelay: 5 * time.Second, Sleep: s.sleep}
	_ = Do(context.Background(), p, func(context.Context) error { return After(errFlaky, time.Hour) })
	if len(s.delays) != 1 || s.delays[0] != 5*time.Second {
		t.Errorf("delays = %v, want [5s] (Retry-After capped by MaxDelay)", s.delays)
	}
}

func TestDoGivesUpBeforeDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	attempts, err := DoCount(ctx, Policy{MaxAttempts: 10, BaseDelay: 10 * time.Second, Jitter: NoJitter}, func(context.Context) error {
		return errFlaky
	})
	if !errors.Is(err, ErrDeadline) || !errors.Is(err, errFlaky) || attempts != 1 {
		t.Errorf("DoCount = %d, %v; want 1 attempt and ErrDeadline", attempts, err)
	}
	// A 10s backoff cannot fit in the 1s left: Do returns at once instead
	// of sleeping into the deadline.
	if el := time.Since(start); el >= time.Second {
		t.Errorf("Do took %v, up to the 1s deadline", el)
	}
}

func TestDoCanceledDuringSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p := Policy{BaseDelay: time.Hour, Jitter: NoJitter, OnRetry: func(Attempt) { cancel() }}
	err := Do(ctx, p, func(context.Context) error { return errFlaky })
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) {
		t.Errorf("Do = %v; want context.Canceled and errFlaky", err)
	}
	// The caller's own cancellation, returned by op, is final.
	calls := 0
	err = Do(ctx, Policy{}, func(ctx context.Context) error { calls++; return ctx.Err() })
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Errorf("Do(canceled ctx) = %v after %d calls; want Canceled after 1", err, calls)
	}
}

// TestBudget: 100 calls against a peer that always fails, with 4 attempts
// each allowed, make at most 100 first attempts + 20% + the initial burst.
func TestBudget(t *testing.T) {
	b := &Budget{}
	total := 0
	budgetStops := 0
	for range 100 {
		err := Do(context.Background(), Policy{Budget: b, Sleep: (&noSleep{}).sleep}, func(context.Context) error {
			total++
			return errFlaky
		})
		if errors.Is(err, ErrBudget) {
			budgetStops++
		}
	}
	if limit := 100 + 20 + DefaultBudgetBurst; total > limit {
		t.Errorf("100 failing calls made %d attempts, want at most %d", total, limit)
	}
	if total < 120 || budgetStops == 0 {
		t.Errorf("100 failing calls made %d attempts, %d stopped by the budget; want retries until the budget runs dry", total, budgetStops)
	}
}

func TestBudgetRefills(t *testing.T) {
	b := &Budget{Ratio: 0.5, Burst: 2}
	if !b.withdraw() || !b.withdraw() || b.withdraw() {
		t.Fatal("a fresh Budget{Burst: 2} should allow exactly 2 retries")
	}
	b.deposit()
	b.deposit()
	if got := b.Tokens(); got != 1 {
		t.Errorf("Tokens() after two deposits of 0.5 = %v, want 1", got)
	}
	for range 10 {
		b.deposit()
	}
	if got := b.Tokens(); got != 2 {
		t.Errorf("Tokens() = %v, want capped at Burst 2", got)
	}
}

func TestBackoff(t *testing.T) {
	fixed := func(v float64) func() float64 { return func() float64 { return v } }
	tests := []struct {
		name string
		p    Policy
		n    int
		want time.Duration
	}{
		{"none first", Policy{Jitter: NoJitter}, 0, 100 * time.Millisecond},
		{"none third", Policy{Jitter: NoJitter}, 2, 400 * time.Millisecond},
		{"none capped", Policy{Jitter: NoJitter, MaxDelay: time.Second}, 10, time.Second},
		{"none huge n", Policy{Jitter: NoJitter}, 5000, DefaultMaxDelay},
		{"multiplier 3", Policy{Jitter: NoJitter, Multiplier: 3, BaseDelay: time.Second}, 2, 9 * time.Second},
		{"full half", Policy{Rand: fixed(0.5)}, 1, 100 * time.Millisecond},
		{"full zero", Policy{Rand: fixed(0)}, 3, 0},
		{"multiplicative low", Policy{Jitter: Multiplicative, Rand: fixed(0)}, 0, 50 * time.Millisecond},
		{"multiplicative high capped", Policy{Jitter: Multiplicative, Rand: fixed(0.99), MaxDelay: 100 * time.Millisecond}, 0, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := tt.p.Backoff(tt.n); got != tt.want {
			t.Errorf("%s: Backoff(%d) = %v, want %v", tt.name, tt.n, got, tt.want)
		}
	}
	// Full jitter stays within [0, backoff).
	p := Policy{}
	for range 1000 {
		if d := p.Backoff(2); d < 0 || d >= 400*time.Millisecond {
			t.Fatalf("Backoff(2) with full jitter = %v, want in [0, 400ms)", d)
		}
	}
}

func TestDebugLog(t *testing.T) {
	var buf bytes.Buffer
	p := Policy{
		MaxAttempts: 2,
		Sleep:       (&noSleep{}).sleep,
		Logger:      slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Class:       func(error) string { return "reset" },
	}
	_ = Do(context.Background(), p, func(context.Context) error { return errFlaky })
	for _, want := range []string{"attempt=1", "class=reset", "delay=", "error=flaky"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log %q lacks %q", buf.String(), want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"0", 0, true},
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"99999999999999999999", 1<<63 - 1, true},
		{"Wed, 21 Oct 2015 07:28:30 GMT", 30 * time.Second, true},
		{"Wednesday, 21-Oct-15 07:29:00 GMT", time.Minute, true},
		{"Wed Oct 21 07:28:10 2015", 10 * time.Second, true},
		{"Wed, 21 Oct 2015 07:00:00 GMT", 0, true}, // in the past
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"tomorrow", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Wed, 21 Oct 2015 07:28:30 GMT", "Wednesday, 21-Oct-15 07:29:00 GMT", "Wed Oct 21 07:28:10 2015", "-1", "1e3", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 {
			t.Errorf("ParseRetryAfter(%q) = %v, negative", s, d)
		}
		if !ok && d != 0 {
			t.Errorf("ParseRetryAfter(%q) = %v, false; want 0 when invalid", s, d)
		}
	})
}
