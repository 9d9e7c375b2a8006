package urlparse

import (
	"strings"
	"unicode/utf8"
)

// QuoteDefaultSafe is the safe set quote() uses when none is given: a path
// keeps its slashes.
const QuoteDefaultSafe = "/"

// alwaysSafe marks the bytes quote() never escapes: RFC 3986 section 2.3
// unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~"). Python 3.7
// added "~" when it moved from RFC 2396 to RFC 3986.
var alwaysSafe = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~") {
		t[c] = true
	}
	return t
}()

const upperhex = "0123456789ABCDEF"

// safeTable returns the set of bytes left as they are: the always-safe set
// plus the ASCII bytes of safe. Python drops non-ASCII characters from safe
// (quote_from_bytes encodes it with errors='ignore'), and so does this.
func safeTable(safe string) [256]bool {
	t := alwaysSafe
	for i := 0; i < len(safe); i++ {
		if c := safe[i]; c < utf8.RuneSelf {
			t[c] = true
		}
	}
	return t
}

// Quote percent-encodes s as Python's quote(s, safe) does: every byte of the
// UTF-8 encoding of s that is neither unreserved (RFC 3986 section 2.3) nor
// an ASCII character of safe becomes %XX with upper-case hex digits. Pass
// QuoteDefaultSafe for Python's default safe="/"; pass "" to escape "/" too.
func Quote(s, safe string) string {
	return quote(s, safe, false)
}

// QuotePlus is Python's quote_plus(s, safe): like Quote, but a space becomes
// "+" (the HTML form encoding) and a literal "+" is escaped unless safe has
// it. Python's default safe for quote_plus is "".
func QuotePlus(s, safe string) string {
	return quote(s, safe, true)
}

func quote(s, safe string, plus bool) string {
	if s == "" {
		return s
	}
	t := &defaultSafeTable
	if safe == "" {
		t = &alwaysSafe
	} else if safe != QuoteDefaultSafe {
		st := safeTable(safe)
		t = &st
	}
	// quote_plus quotes with safe+" " and then turns spaces into "+".
	n, change := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case plus && c == ' ':
			change = true
		case !t[c]:
			n++
		}
	}
	if n == 0 && !change {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case plus && c == ' ':
			b.WriteByte('+')
		case t[c]:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
		}
	}
	return b.String()
}

var defaultSafeTable = safeTable(QuoteDefaultSafe)

// Unquote is Python's unquote(s) with its defaults (encoding='utf-8',
// errors='replace'): each %XX escape (either case of hex digit) becomes its
// byte, an invalid or truncated "%" sequence is kept as it is, and bytes that
// do not decode as UTF-8 become U+FFFD, one per maximal invalid subsequence
// as CPython's decoder does (Unicode 15, section 3.9, "U+FFFD Substitution of
// Maximal Subparts").
//
// Python decodes each run of ASCII characters on its own, so a multi-byte
// sequence split by a literal non-ASCII character does not join up; the same
// holds here. Non-ASCII bytes of s are copied unchanged.
func Unquote(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	var buf []byte // decoded bytes of the current ASCII run
	var small [64]byte
	buf = small[:0]
	flush := func() {
		writeReplacingInvalid(&b, buf)
		buf = buf[:0]
	}
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			// A non-ASCII character ends the ASCII run Python decodes.
			flush()
			b.WriteByte(c)
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	flush()
	return b.String()
}

// UnquotePlus is Python's unquote_plus(s): "+" becomes a space, then Unquote.
func UnquotePlus(s string) string {
	if strings.IndexByte(s, '+') >= 0 {
		s = strings.ReplaceAll(s, "+", " ")
	}
	return Unquote(s)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// writeReplacingInvalid writes p, replacing each maximal invalid UTF-8
// subsequence with U+FFFD the way CPython's UTF-8 decoder does with
// errors='replace'. Go's utf8.DecodeRune reports an error per byte, which
// gives more replacement characters than Python for a truncated sequence
// such as "\xe2\x82", so the subpart is measured here.
func writeReplacingInvalid(b *strings.Builder, p []byte) {
	for len(p) > 0 {
		c := p[0]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			p = p[1:]
			continue
		}
		r, size := utf8.DecodeRune(p)
		if r != utf8.RuneError || size > 1 {
			b.Write(p[:size])
			p = p[size:]
			continue
		}
		b.WriteRune(utf8.RuneError)
		p = p[maximalSubpart(p):]
	}
}

// maximalSubpart returns the length of the longest prefix of p that starts a
// well-formed UTF-8 sequence without completing it (at least 1), following
// the table of well-formed byte sequences in Unicode section 3.9.
func maximalSubpart(p []byte) int {
	c := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case 0xC2 <= c && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case 0xE1 <= c && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case 0xF1 <= c && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(p); k++ {
		d := p[n]
		if k == 0 {
			if d < lo || d > hi {
				break
			}
		} else if d < 0x80 || d > 0xBF {
			break
		}
		n++
	}
	return n
}
