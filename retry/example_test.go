package retry_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/netkit-dev/netkit/retry"
)

// Exponential backoff: a flaky call that fails twice then succeeds, and a
// call that always fails until the retries run out. The policy uses
// multiplicative jitter with a seeded source and a sleeper that does not
// wait, so the delays printed are the same on every run.
func Example() {
	noSleep := func(context.Context, time.Duration) error { return nil }
	report := func(a retry.Attempt) {
		fmt.Printf("  Attempt %d failed: %v\n", a.Number, a.Err)
		fmt.Printf("  Retrying in %.2fs...\n", a.Delay.Seconds())
	}

	fmt.Println("=== Retry with Exponential Backoff ===")
	calls := 0
	var result map[string]string
	flaky := func(context.Context) error {
		calls++
		if calls <= 2 {
			return fmt.Errorf("Connection reset (attempt %d)", calls)
		}
		result = map[string]string{"status": "ok", "data": "success!"}
		return nil
	}
	policy := retry.Policy{
		MaxAttempts: 4, // max_retries=3
		BaseDelay:   100 * time.Millisecond,
		Jitter:      retry.Multiplicative,
		Rand:        rand.New(rand.NewPCG(1, 2)).Float64,
		Sleep:       noSleep,
		OnRetry:     report,
	}
	if err := retry.Do(context.Background(), policy, flaky); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("  Final result: %v\n", result)
	fmt.Printf("  Total attempts: %d\n", calls)

	fmt.Println("\n=== Retry Exhaustion ===")
	errTimeout := errors.New("Server not responding")
	policy.MaxAttempts = 3 // max_retries=2
	policy.BaseDelay = 50 * time.Millisecond
	err := retry.Do(context.Background(), policy, func(context.Context) error { return errTimeout })
	var gaveUp *retry.Error
	if errors.Is(err, errTimeout) && errors.As(err, &gaveUp) {
		fmt.Printf("  All retries exhausted: %v\n", gaveUp.Err)
		fmt.Printf("  %v\n", err)
	}
	// Output:
	// === Retry with Exponential Backoff ===
	//   Attempt 1 failed: Connection reset (attempt 1)
	//   Retrying in 0.12s...
	//   Attempt 2 failed: Connection reset (attempt 2)
	//   Retrying in 0.19s...
	//   Final result: map[data:success! status:ok]
	//   Total attempts: 3
	//
	// === Retry Exhaustion ===
	//   Attempt 1 failed: Server not responding
	//   Retrying in 0.05s...
	//   Attempt 2 failed: Server not responding
	//   Retrying in 0.09s...
	//   All retries exhausted: Server not responding
	//   gave up after 3 attempts (retry: attempts exhausted): Server not responding
}

// A Retry-After of 120 seconds is honoured but capped by MaxDelay.
func ExampleParseRetryAfter() {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	for _, v := range []string{"120", "Wed, 21 Oct 2015 07:28:30 GMT", "soon"} {
		d, ok := retry.ParseRetryAfter(v, now)
		fmt.Printf("%q: %v %v\n", v, d, ok)
	}
	// Output:
	// "120": 2m0s true
	// "Wed, 21 Oct 2015 07:28:30 GMT": 30s true
	// "soon": 0s false
}
