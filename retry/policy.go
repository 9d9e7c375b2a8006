package retry

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"
)

// Jitter selects how a backoff delay is randomised. Without jitter, clients
// that failed together retry together and hit the recovering server in
// waves ("thundering herd").
type Jitter int

const (
	// FullJitter waits a uniform random time in [0, backoff): the variant
	// that spreads load best in AWS's study "Exponential Backoff And Jitter".
	FullJitter Jitter = iota
	// Multiplicative multiplies the backoff by a uniform factor in
	// [0.5, 1.5), as a common Python retry_with_backoff does.
	Multiplicative
	// NoJitter waits exactly the backoff.
	NoJitter
)

// String returns the jitter's name.
func (j Jitter) String() string {
	switch j {
	case FullJitter:
		return "full"
	case Multiplicative:
		return "multiplicative"
	case NoJitter:
		return "none"
	}
	return "unknown"
}

// Defaults of the Policy fields left zero.
const (
	DefaultMaxAttempts = 4 // the first attempt and three retries
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMultiplier  = 2.0
	DefaultMaxDelay    = 30 * time.Second // a ceiling on one wait
)

// Policy says when and how often Do retries. The zero value retries every
// error up to DefaultMaxAttempts times in all, with full jitter over a
// backoff of 100ms, 200ms, 400ms ... capped at 30s, and no budget.
type Policy struct {
	// MaxAttempts is the number of attempts in all, the first included;
	// 0 means DefaultMaxAttempts and 1 disables retries.
	MaxAttempts int

	// BaseDelay is the backoff before the first retry; 0 means
	// DefaultBaseDelay.
	BaseDelay time.Duration

	// Multiplier grows the backoff after each retry; values below 1 mean
	// DefaultMultiplier.
	Multiplier float64

	// MaxDelay caps every wait, jitter and server hints (Retry-After)
	// included; 0 means DefaultMaxDelay.
	MaxDelay time.Duration

	// Jitter randomises each wait; the zero value is FullJitter.
	Jitter Jitter

	// Rand returns uniform numbers in [0, 1) for the jitter; nil means
	// math/rand/v2.Float64. Tests and examples inject a seeded source.
	Rand func() float64

	// Budget, when not nil, limits retries to a share of first attempts
	// (see Budget). Share one Budget among all calls to the same peer.
	Budget *Budget

	// Retryable reports whether an error deserves another attempt; nil
	// means every error does. Errors wrapped by Permanent and the caller's
	// own cancellation are never retried, whatever Retryable says.
	Retryable func(error) bool

	// Class names an error's class for the debug log records; nil leaves
	// the class out.
	Class func(error) string

	// OnRetry, when not nil, is called after each failed attempt that will
	// be retried, before the wait.
	OnRetry func(Attempt)

	// Sleep waits d unless ctx ends first, returning ctx.Err() then; nil
	// means a timer. Tests and examples inject one that does not wait.
	Sleep func(ctx context.Context, d time.Duration) error

	// Logger receives a debug record for each retry (attempt, class,
	// delay, error); nil means no logging.
	Logger *slog.Logger
}

func (p *Policy) maxAttempts() int {
	if p.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return p.MaxAttempts
}

func (p *Policy) maxDelay() time.Duration {
	if p.MaxDelay <= 0 {
		return DefaultMaxDelay
	}
	return p.MaxDelay
}

// Backoff returns the wait before retry number n (0 for the first retry):
// BaseDelay * Multiplier^n capped at MaxDelay, then jittered, and capped at
// MaxDelay again (multiplicative jitter alone could exceed it).
func (p *Policy) Backoff(n int) time.Duration {
	base := p.BaseDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	mult := p.Multiplier
	if mult < 1 {
		mult = DefaultMultiplier
	}
	maxDelay := p.maxDelay()
	d := float64(base) * math.Pow(mult, float64(max(n, 0)))
	if d > float64(maxDelay) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(maxDelay)
	}
	switch p.Jitter {
	case FullJitter:
		d *= p.rand()
	case Multiplicative:
		d *= 0.5 + p.rand()
	}
	return min(time.Duration(d), maxDelay)
}

func (p *Policy) rand() float64 {
	if p.Rand != nil {
		return p.Rand()
	}
	return rand.Float64()
}
