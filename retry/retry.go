// Package retry runs an operation again after transient failures, waiting
// with exponential backoff and jitter, honouring server hints such as
// Retry-After, never sleeping past the caller's deadline, and spending from a
// retry budget so that retries cannot multiply the load on a failing peer.
//
// It knows nothing about HTTP: the HTTP client, and TCP clients that
// reconnect, build on [Do] and the pieces it is made of ([Policy.Backoff],
// [ParseRetryAfter], [Budget]).
package retry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Why Do stopped retrying. They are found with errors.Is on the *Error that
// Do returns, beside the operation's own last error.
var (
	// ErrAttempts means that Policy.MaxAttempts attempts were made.
	ErrAttempts = errors.New("retry: attempts exhausted")
	// ErrBudget means that the retry budget had no token left for another
	// attempt.
	ErrBudget = errors.New("retry: retry budget exhausted")
	// ErrDeadline means that the wait before the next attempt would end
	// after the context's deadline, so Do gave up early instead of sleeping in vain.
	ErrDeadline = errors.New("retry: next attempt would pass the deadline")
)

// Error reports that Do gave up. It wraps both the reason (ErrAttempts,
// ErrBudget, ErrDeadline, or the context's error) and the last error the
// operation returned, so errors.Is and errors.As see either.
type Error struct {
	Attempts int   // attempts made, the first one included
	Reason   error // why no further attempt was made
	Err      error // the operation's last error
}

// Error says why retrying stopped, after how many attempts, and the last
// error.
func (e *Error) Error() string {
	return fmt.Sprintf("gave up after %d %s (%v): %v", e.Attempts, plural(e.Attempts, "attempt"), e.Reason, e.Err)
}

// Unwrap returns the reason and the last error.
func (e *Error) Unwrap() []error { return []error{e.Reason, e.Err} }

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// Attempt describes a failed attempt that is about to be retried; it is what
// Policy.OnRetry receives.
type Attempt struct {
	Number int           // the failed attempt, counting from 1
	Err    error         // its error
	Delay  time.Duration // the wait before attempt Number+1
	Hinted bool          // Delay came from the error's RetryAfter hint
}

// Do calls op until it succeeds, returns an error the policy does not retry,
// or the policy gives up. Each call gets ctx. Between attempts Do waits for
// the policy's backoff, or for the delay an error asks for through a
// RetryAfter() time.Duration method (see [After]), capped by MaxDelay.
//
// Do never sleeps past ctx's deadline: when the next attempt could not
// start before it, Do returns at once. When it gives up after at least one
// retryable failure it returns an *Error holding the attempt count, the
// reason and the last error; an error that is not retryable is returned as
// it is.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error) error {
	_, err := DoCount(ctx, p, op)
	return err
}

// DoCount is Do that also reports the number of attempts made.
func DoCount(ctx context.Context, p Policy, op func(ctx context.Context) error) (attempts int, err error) {
	p.Budget.deposit()
	maxAttempts := p.maxAttempts()
	for attempts = 1; ; attempts++ {
		err = op(ctx)
		if err == nil {
			return attempts, nil
		}
		if !p.retryable(ctx, err) {
			return attempts, err
		}
		if ctx.Err() != nil {
			return attempts, &Error{Attempts: attempts, Reason: ctx.Err(), Err: err}
		}
		if attempts >= maxAttempts {
			return attempts, &Error{Attempts: attempts, Reason: ErrAttempts, Err: err}
		}
		delay, hinted := p.Backoff(attempts-1), false
		var h interface{ RetryAfter() time.Duration }
		if errors.As(err, &h) {
			delay, hinted = min(max(h.RetryAfter(), 0), p.maxDelay()), true
		}
		if dl, ok := ctx.Deadline(); ok && !time.Now().Add(delay).Before(dl) {
			p.log(ctx, "retry: giving up before the deadline", attempts, err, delay)
			return attempts, &Error{Attempts: attempts, Reason: ErrDeadline, Err: err}
		}
		// The token is taken last, so that a retry the deadline forbids
		// does not spend it.
		if !p.Budget.withdraw() {
			p.log(ctx, "retry: budget exhausted", attempts, err, delay)
			return attempts, &Error{Attempts: attempts, Reason: ErrBudget, Err: err}
		}
		p.log(ctx, "retry: attempt failed", attempts, err, delay)
		if p.OnRetry != nil {
			p.OnRetry(Attempt{Number: attempts, Err: err, Delay: delay, Hinted: hinted})
		}
		if serr := p.sleep(ctx, delay); serr != nil {
			return attempts, &Error{Attempts: attempts, Reason: serr, Err: err}
		}
	}
}

func (p *Policy) log(ctx context.Context, msg string, attempt int, err error, delay time.Duration) {
	if p.Logger == nil {
		return
	}
	attrs := []slog.Attr{slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.String("error", err.Error())}
	if p.Class != nil {
		attrs = append(attrs, slog.String("class", p.Class(err)))
	}
	p.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// sleep waits d or until ctx is done, whichever comes first.
func (p *Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports whether err deserves another attempt.
func (p *Policy) retryable(ctx context.Context, err error) bool {
	var perm *permanentError
	if errors.As(err, &perm) {
		return false
	}
	// The caller's own cancellation is final; a deadline of the attempt
	// alone (a per-attempt timeout) is not.
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return false
	}
	if p.Retryable != nil {
		return p.Retryable(err)
	}
	return true
}

// Permanent marks err as not worth retrying: Do returns it at once. Do
// returns the wrapper, which unwraps to err.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// After wraps err with a hint that the next attempt should come d later, as
// a server's Retry-After asks (RFC 9110, section 10.2.3). Do uses the hint
// instead of its backoff, capped by Policy.MaxDelay.
func After(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &afterError{err: err, d: d}
}

type afterError struct {
	err error
	d   time.Duration
}

func (e *afterError) Error() string             { return e.err.Error() }
func (e *afterError) Unwrap() error             { return e.err }
func (e *afterError) RetryAfter() time.Duration { return e.d }
