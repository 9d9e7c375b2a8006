package httpclient

import "strings"

// Method describes the semantics of an HTTP request method (RFC 9110,
// section 9): whether it is safe (read-only), idempotent (repeating it has
// the effect of doing it once, so it may be retried), and whether its
// request carries a body.
type Method struct {
	Name        string // the method token, upper case: "GET"
	Safe        bool   // read-only by definition (RFC 9110, 9.2.1)
	Idempotent  bool   // repeating it has the effect of sending it once (RFC 9110, 9.2.2)
	HasBody     bool   // a request usually carries content
	Description string // what the method is for, in a few words
}

// Methods is the table of the common HTTP methods (RFC 9110, section 9). DELETE and
// OPTIONS may carry a body but usually do not (RFC 9110, 9.3.5 and 9.3.7).
var Methods = []Method{
	{Name: "GET", Safe: true, Idempotent: true, HasBody: false, Description: "Retrieve a resource"},
	{Name: "HEAD", Safe: true, Idempotent: true, HasBody: false, Description: "Like GET but returns headers only"},
	{Name: "POST", Safe: false, Idempotent: false, HasBody: true, Description: "Create a new resource or trigger an action"},
	{Name: "PUT", Safe: false, Idempotent: true, HasBody: true, Description: "Replace a resource entirely"},
	{Name: "PATCH", Safe: false, Idempotent: false, HasBody: true, Description: "Partially update a resource"},
	{Name: "DELETE", Safe: false, Idempotent: true, HasBody: false, Description: "Remove a resource"},
	{Name: "OPTIONS", Safe: true, Idempotent: true, HasBody: false, Description: "Describe the communication options"},
}

// LookupMethod returns the table entry for name, matched case-sensitively
// as RFC 9110 section 9.1 requires, and whether there is one.
func LookupMethod(name string) (Method, bool) {
	for _, m := range Methods {
		if m.Name == name {
			return m, true
		}
	}
	return Method{}, false
}

// IdempotencyKeyHeader marks a non-idempotent request as safe to repeat:
// the server deduplicates requests with the same key
// (draft-ietf-httpapi-idempotency-key-header).
const IdempotencyKeyHeader = "Idempotency-Key"

// retryableMethod reports whether a request may be sent again after a
// failure: idempotent methods always, others only with an Idempotency-Key.
// Unknown methods are treated as non-idempotent.
func retryableMethod(method string, hasIdempotencyKey bool) bool {
	m, ok := LookupMethod(strings.TrimSpace(method))
	return (ok && m.Idempotent) || hasIdempotencyKey
}
