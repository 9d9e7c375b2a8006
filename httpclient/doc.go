// Package httpclient is a resilient HTTP client on net/http: JSON, form and
// multipart bodies, ordered query parameters, capped response bodies decoded
// with their charset, errors classified by cause, and retries with backoff,
// Retry-After and a retry budget (package retry).
//
// HTTP itself is net/http's; this package adds what a client must do
// around it, and what users of retrying
// clients keep asking for: non-idempotent requests are not retried unless
// they carry an Idempotency-Key, Retry-After is honoured and capped, no wait
// runs past the caller's deadline, the last response survives when retries
// run out, and errors are classified by package netclass, with errors.Is
// and errors.As on the real Go errors, never by reading their text.
package httpclient
