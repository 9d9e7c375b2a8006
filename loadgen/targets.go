package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ErrTargets is matched by the errors of ParseTargets.
var ErrTargets = errors.New("loadgen: targets")

// TargetsError is a problem in a targets file, at a line.
type TargetsError struct {
	Line int
	Msg  string
}

func (e *TargetsError) Error() string { return fmt.Sprintf("targets: line %d: %s", e.Line, e.Msg) }

// Is reports ErrTargets.
func (e *TargetsError) Is(target error) bool { return target == ErrTargets }

// Limits on a targets file, which may come from anywhere.
const (
	MaxTargets    = 1 << 16
	maxTargetLine = 64 << 10
)

// ParseTargets reads HTTP requests in vegeta's targets format: for each
// request a line "METHOD URL", then header lines "Name: value", then
// optionally a line "@PATH" naming a file whose content is the body;
// requests are separated by blank lines, and lines starting with '#' are
// comments. readFile reads the bodies (nil refuses "@" lines).
//
//	GET http://127.0.0.1:8080/items?id=7
//	X-Account: 42
//
//	POST http://127.0.0.1:8080/items
//	Content-Type: application/json
//	@item.json
func ParseTargets(r io.Reader, readFile func(path string) ([]byte, error)) ([]HTTPRequest, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxTargetLine)
	var (
		out  []HTTPRequest
		cur  *HTTPRequest
		line int
	)
	bad := func(format string, args ...any) error {
		return &TargetsError{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(text, "#"):
			continue
		case text == "":
			cur = nil
			continue
		case cur == nil:
			method, rawURL, ok := strings.Cut(text, " ")
			rawURL = strings.TrimSpace(rawURL)
			if !ok || !validMethod(method) || strings.ContainsAny(rawURL, " \t") {
				return nil, bad("want METHOD URL, got %.80q", text)
			}
			u, err := url.Parse(rawURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, bad("want an http:// or https:// URL, got %.80q", rawURL)
			}
			if len(out) == MaxTargets {
				return nil, bad("more than %d requests", MaxTargets)
			}
			out = append(out, HTTPRequest{Method: method, URL: rawURL, Header: http.Header{}})
			cur = &out[len(out)-1]
		case strings.HasPrefix(text, "@"):
			if cur.Body != nil {
				return nil, bad("a second body for one request")
			}
			if readFile == nil {
				return nil, bad("bodies from files are not allowed here")
			}
			b, err := readFile(text[1:])
			if err != nil {
				return nil, bad("body: %v", err)
			}
			if b == nil {
				b = []byte{}
			}
			cur.Body = b
		default:
			if cur.Body != nil {
				return nil, bad("a header after the body")
			}
			name, value, ok := strings.Cut(text, ":")
			name = strings.TrimSpace(name)
			if !ok || !validToken(name) || !validFieldValue(value) {
				return nil, bad("want a header 'Name: value', got %.80q", text)
			}
			cur.Header.Add(name, strings.TrimSpace(value))
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &TargetsError{Line: line + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxTargetLine)}
		}
		return nil, err
	}
	if len(out) == 0 {
		return nil, &TargetsError{Line: line, Msg: "no requests"}
	}
	return out, nil
}

// validMethod reports an HTTP method token (upper-case letters, as every
// method in use is written).
func validMethod(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

// validToken reports an HTTP token (RFC 9110, section 5.6.2): a header
// field name.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// validFieldValue reports a header value without control characters
// (tab aside).
func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
