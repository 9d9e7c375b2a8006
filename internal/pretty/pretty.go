// Package pretty formats output for a person at a terminal: JSON indented
// and coloured as HTTPie's default style colours it.
package pretty

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ANSI colours of HTTPie's default style for JSON: keys blue, strings
// green, numbers, booleans and null cyan.
const (
	Key     = "\x1b[34m"
	String  = "\x1b[32m"
	Literal = "\x1b[36m"
	Reset   = "\x1b[0m"
)

// JSON returns data indented by four spaces, as HTTPie indents it, and
// coloured with ColorJSON. ok is false, and data is returned as it is,
// when data is not valid JSON.
func JSON(data []byte) (out string, ok bool) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "    "); err != nil {
		return string(data), false
	}
	return ColorJSON(buf.String()), true
}

// ColorJSON colours valid JSON token by token. It does not check s: given
// text that is not JSON it still returns all of s, coloured in some way.
func ColorJSON(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			color := String
			if k := strings.IndexFunc(s[j:], func(r rune) bool { return r != ' ' }); k >= 0 && s[j+k] == ':' {
				color = Key
			}
			b.WriteString(color + s[i:j] + Reset)
			i = j
		case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(s) && strings.IndexByte(",]} \n", s[j]) < 0 {
				j++
			}
			b.WriteString(Literal + s[i:j] + Reset)
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
