package httpclient

import "net/http"

// StatusClass is the class of a status code, its first digit (RFC 9110,
// section 15).
type StatusClass int

// The status classes of RFC 9110, section 15.
const (
	StatusUnknown       StatusClass = iota // outside 100-599
	StatusInformational                    // 1xx
	StatusSuccess                          // 2xx
	StatusRedirect                         // 3xx
	StatusClientError                      // 4xx
	StatusServerError                      // 5xx
)

// statusClasses is the table StatusClassOf reads: ranges and their
// names.
var statusClasses = []struct {
	lo, hi int
	class  StatusClass
	name   string
}{
	{100, 199, StatusInformational, "1xx Informational"},
	{200, 299, StatusSuccess, "2xx Success"},
	{300, 399, StatusRedirect, "3xx Redirect"},
	{400, 499, StatusClientError, "4xx Client Error"},
	{500, 599, StatusServerError, "5xx Server Error"},
}

// StatusClassOf returns the class of code; StatusUnknown outside 100-599.
func StatusClassOf(code int) StatusClass {
	for _, c := range statusClasses {
		if code >= c.lo && code <= c.hi {
			return c.class
		}
	}
	return StatusUnknown
}

// String returns the class's name, such as "4xx Client Error", or
// "unknown".
func (c StatusClass) String() string {
	for _, sc := range statusClasses {
		if sc.class == c {
			return sc.name
		}
	}
	return "unknown"
}

// retryableStatuses are the statuses worth retrying: rate limiting and
// the server-side failures that are usually transient.
// 501 Not Implemented and 505 are permanent and left out.
var retryableStatuses = map[int]bool{
	http.StatusTooManyRequests:     true,
	http.StatusInternalServerError: true,
	http.StatusBadGateway:          true,
	http.StatusServiceUnavailable:  true,
	http.StatusGatewayTimeout:      true,
}

// retryAfterStatuses are the statuses whose Retry-After header is honoured
// (RFC 9110, 10.2.3; RFC 6585, section 4).
var retryAfterStatuses = map[int]bool{
	http.StatusTooManyRequests:    true,
	http.StatusServiceUnavailable: true,
}

// StatusRetryable reports whether a response with this status is worth
// retrying.
func StatusRetryable(code int) bool { return retryableStatuses[code] }
