package retry

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter parses the value of a Retry-After header (RFC 9110,
// section 10.2.3): either delay-seconds, a non-negative integer, or an
// HTTP-date, which is turned into a wait relative to now (zero when it has
// passed). It reports false for anything else, which callers ignore as the
// RFC asks of invalid field values. The result is not capped: Do caps it by
// Policy.MaxDelay.
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			// A number too large for an int64 of nanoseconds is a very long
			// wait, not an invalid one.
			if errors.Is(err, strconv.ErrRange) {
				return time.Duration(1<<63 - 1), true
			}
			return 0, false
		}
		if secs > uint64((1<<63-1)/time.Second) {
			return time.Duration(1<<63 - 1), true
		}
		return time.Duration(secs) * time.Second, true
	}
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	return 0, false
}

// httpDateLayouts are the IMF-fixdate and the two obsolete formats (RFC 850,
// asctime) that recipients must accept (RFC 9110, section 5.6.7). They are
// net/http's TimeFormat and ParseTime layouts, repeated here so that this
// package does not depend on net/http.
var httpDateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	time.RFC850,
	time.ANSIC,
}
