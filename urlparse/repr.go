package urlparse

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyRepr returns Python's repr() of the str s, which Python puts in error
// messages: single quotes unless s holds a single quote and no double quote,
// backslash escapes for the quote, backslash, \t \n \r, and \xNN, \uNNNN or
// \UNNNNNNNN for characters that are not printable (str.isprintable, which
// matches unicode.IsPrint: letters, marks, numbers, punctuation, symbols and
// the ASCII space). An invalid UTF-8 byte, which a Python str cannot hold, is
// shown as \xNN.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < utf8.RuneSelf || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	b.WriteByte(q)
	return b.String()
}
