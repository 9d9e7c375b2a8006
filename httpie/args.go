package httpie

import "strings"

// IsMethod reports whether s can be the method word of HTTPie's
// [METHOD] URL [ITEM...] arguments: a non-empty run of ASCII letters.
// HTTPie takes the first argument as the method only when it looks like
// one and a URL follows it.
func IsMethod(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// SplitArgs splits HTTPie's [METHOD] URL [ITEM...] arguments. method is
// upper-cased, or empty when the first argument is the URL; url is
// normalized with NormalizeURL. args must not be empty.
func SplitArgs(args []string) (method, url string, items []string) {
	if len(args) >= 2 && IsMethod(args[0]) {
		method, args = strings.ToUpper(args[0]), args[1:]
	}
	return method, NormalizeURL(args[0]), args[1:]
}

// NormalizeURL adds what HTTPie adds to a URL typed on the command line:
// http:// when there is no scheme, and localhost for the ":port/path"
// shorthand.
func NormalizeURL(u string) string {
	switch {
	case strings.Contains(u, "://"):
		return u
	case strings.HasPrefix(u, ":"):
		return "http://localhost" + u
	}
	return "http://" + u
}
