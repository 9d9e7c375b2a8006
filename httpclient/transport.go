package httpclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
)

// Transport is an http.RoundTripper that retries, so that any *http.Client
// gets the same retry rules as Client: idempotent methods only unless the
// request has an Idempotency-Key, retryable classes and statuses,
// Retry-After, the budget and the deadline of the request's context.
//
// When retries run out on a retryable status, RoundTrip returns the last
// response with a nil error, as the RoundTripper contract requires; the
// bodies of earlier responses are drained and closed.
type Transport struct {
	// Base sends each attempt; nil means http.DefaultTransport.
	Base http.RoundTripper

	// Policy is the retry policy; Retryable and Class are set by the
	// transport. A nil Budget means the transport's own.
	Policy retry.Policy

	// MaxReplayBody caps the request body buffered for replay when the
	// request has no GetBody and may be retried; 0 means DefaultMaxBody.
	// A larger body is sent once, as it streams, without retries.
	MaxReplayBody int64

	budget retry.Budget
}

var _ http.RoundTripper = (*Transport)(nil)

// RoundTrip sends req, retrying as the policy allows.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	p := t.Policy
	if p.Budget == nil {
		p.Budget = &t.budget
	}
	p.Retryable = Retryable
	p.Class = func(err error) string { return string(netclass.Of(err)) }

	hasBody := req.Body != nil && req.Body != http.NoBody
	if !retryableMethod(req.Method, req.Header.Get(IdempotencyKeyHeader) != "") {
		p.MaxAttempts = 1
	}
	// Each attempt needs a fresh body. A body without GetBody is buffered
	// for replay when a retry may need it, up to MaxReplayBody; one over
	// that is sent once as it streams, without retries.
	getBody := req.GetBody
	var single io.ReadCloser
	buffered := false
	if hasBody && getBody == nil && p.MaxAttempts != 1 {
		limit := t.MaxReplayBody
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		buf, err := io.ReadAll(io.LimitReader(req.Body, min(limit, math.MaxInt64-1)+1))
		if err != nil {
			req.Body.Close()
			return nil, fmt.Errorf("httpclient: reading request body: %w", err)
		}
		if int64(len(buf)) > limit {
			p.MaxAttempts = 1
			single = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
		} else {
			req.Body.Close()
			buffered = true
			getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
		}
	}

	var last *http.Response
	attempt := 0
	_, err := retry.DoCount(req.Context(), p, func(ctx context.Context) error {
		attempt++
		if last != nil {
			// Drain a little so the connection can be reused.
			io.CopyN(io.Discard, last.Body, 64<<10)
			last.Body.Close()
			last = nil
		}
		r := req.Clone(ctx)
		switch {
		case !hasBody:
		case single != nil:
			r.Body = single
		case attempt == 1 && !buffered:
			// The request's own body, which Clone kept, goes first, so
			// that the base transport reads and closes it as the
			// RoundTripper contract asks; GetBody serves the retries.
		case getBody != nil:
			b, err := getBody()
			if err != nil {
				return retry.Permanent(err)
			}
			r.Body = b
		}
		resp, err := base.RoundTrip(r)
		if err != nil {
			return err
		}
		if !StatusRetryable(resp.StatusCode) {
			last = resp
			return nil
		}
		last = resp
		var serr error = &StatusError{StatusCode: resp.StatusCode, Status: http.StatusText(resp.StatusCode)}
		if retryAfterStatuses[resp.StatusCode] {
			if d, ok := retry.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				serr = retry.After(serr, d)
			}
		}
		return serr
	})
	if last != nil {
		return last, nil
	}
	return nil, err
}
