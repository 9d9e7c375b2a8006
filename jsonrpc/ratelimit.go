package jsonrpc

import (
	"context"

	"golang.org/x/time/rate"
)

// CodeRateLimited is the error of a call over the connection's call rate
// (Server.CallRate): the call did not run.
const CodeRateLimited = -32005

var errRateLimited = &Error{Code: CodeRateLimited, Message: "Too many calls: over this connection's rate; slow down"}

// limitedKey marks, in a message's context, that the connection is over
// its call rate: every call of the message is answered errRateLimited.
type limitedKey struct{}

// callLimiter returns the per-connection limiter of CallRate, or nil.
func (s *Server) callLimiter() *rate.Limiter {
	if s.CallRate <= 0 {
		return nil
	}
	burst := s.CallBurst
	if burst <= 0 {
		burst = max(1, int(2*s.CallRate))
	}
	return rate.NewLimiter(rate.Limit(s.CallRate), burst)
}

// limited returns ctx marked as over the rate when lim refuses one more
// message (a request or a batch) now.
func limited(ctx context.Context, lim *rate.Limiter) context.Context {
	if lim == nil || lim.Allow() {
		return ctx
	}
	return context.WithValue(ctx, limitedKey{}, true)
}

func isLimited(ctx context.Context) bool {
	v, _ := ctx.Value(limitedKey{}).(bool)
	return v
}
