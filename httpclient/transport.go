package httpclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

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
	// request has no GetBody; 0 means DefaultMaxBody. A larger body is
	// sent once, without retries.
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
	p.Class = func(err error) string { return string(Classify(err)) }

	getBody := req.GetBody
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		limit := t.MaxReplayBody
		if limit <= 0 {
			limit = DefaultMaxBody
		}
		buf, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("httpclient: reading request body: %w", err)
		}
		if int64(len(buf)) > limit {
			// Too large to keep for replay; refuse rather than send a
			// cut body.
			return nil, fmt.Errorf("httpclient: request body over %d bytes cannot be replayed", limit)
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	}
	if !retryableMethod(req.Method, req.Header.Get(IdempotencyKeyHeader) != "") || (req.Body != nil && req.Body != http.NoBody && getBody == nil) {
		p.MaxAttempts = 1
	}

	var last *http.Response
	_, err := retry.DoCount(req.Context(), p, func(ctx context.Context) error {
		if last != nil {
			// Drain a little so the connection can be reused.
			io.CopyN(io.Discard, last.Body, 64<<10)
			last.Body.Close()
			last = nil
		}
		r := req.Clone(ctx)
		if getBody != nil {
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
