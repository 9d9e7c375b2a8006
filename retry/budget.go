package retry

import "sync"

// Defaults of the Budget fields left zero.
const (
	DefaultBudgetRatio = 0.2
	DefaultBudgetBurst = 10
)

// Budget is a token bucket that caps retries at a share of first attempts,
// so that when a peer fails for good, retries add at most Ratio to the
// request volume instead of multiplying it by MaxAttempts. Each first attempt
// (each call of Do) deposits Ratio tokens, up to Burst; each retry takes one
// token, and with less than one token left Do gives up with ErrBudget.
//
// This is the scheme of Finagle's RetryBudget and the intent of gRPC's retry
// throttling (A6) and the AWS SDKs' retry quota. The bucket starts full, so
// a client that has just started may make Burst retries before its first
// deposits.
//
// The zero value is ready to use with the defaults (20%, burst 10). A Budget
// is safe for concurrent use and must not be copied after first use.
type Budget struct {
	// Ratio is the tokens deposited per first attempt: the share of extra
	// requests retries may add. 0 means DefaultBudgetRatio.
	Ratio float64

	// Burst is the bucket's capacity and initial content. 0 means
	// DefaultBudgetBurst.
	Burst float64

	mu      sync.Mutex
	started bool
	tokens  float64
}

func (b *Budget) init() {
	if !b.started {
		b.started = true
		b.tokens = b.burst()
	}
}

func (b *Budget) burst() float64 {
	if b.Burst <= 0 {
		return DefaultBudgetBurst
	}
	return b.Burst
}

func (b *Budget) deposit() {
	if b == nil {
		return
	}
	ratio := b.Ratio
	if ratio <= 0 {
		ratio = DefaultBudgetRatio
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.tokens = min(b.tokens+ratio, b.burst())
}

func (b *Budget) withdraw() bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Tokens returns the tokens left: the retries that may be made now.
func (b *Budget) Tokens() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	return b.tokens
}
