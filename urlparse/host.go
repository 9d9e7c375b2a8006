package urlparse

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkBracketedHost is Python 3.11's _check_bracketed_host: the text
// between "[" and "]" of a netloc must be an IPvFuture literal
// ("v" 1*HEXDIG "." 1*char, RFC 3986 section 3.2.2) or an IPv6 address as
// Python's ipaddress module accepts it (with an optional %zone), and must not
// be an IPv4 address.
func checkBracketedHost(host string) error {
	if strings.HasPrefix(host, "v") {
		if !isIPvFuture(host) {
			return fmt.Errorf("%w: IPvFuture address is invalid", ErrInvalidHost)
		}
		return nil
	}
	if strings.IndexByte(host, '/') < 0 && isIPv4(host) {
		return fmt.Errorf("%w: an IPv4 address cannot be in brackets", ErrInvalidHost)
	}
	if !isIPv6(host) {
		return fmt.Errorf("%w: %s does not appear to be an IPv4 or IPv6 address", ErrInvalidHost, pyRepr(host))
	}
	return nil
}

// isIPvFuture matches Python's regexp \Av[a-fA-F0-9]+\..+\Z, in which "."
// matches any character but a newline.
func isIPvFuture(s string) bool {
	s = s[1:]
	n := 0
	for n < len(s) && ishex(s[n]) {
		n++
	}
	if n == 0 || n >= len(s) || s[n] != '.' {
		return false
	}
	rest := s[n+1:]
	// \Z is the very end; "." cannot match "\n".
	return rest != "" && strings.IndexByte(rest, '\n') < 0
}

// isIPv4 is ipaddress.IPv4Address's parser: four dot-separated decimal
// octets of one to three ASCII digits, no leading zeros (bpo-36384, as
// glibc's inet_pton), each at most 255.
func isIPv4(s string) bool {
	if s == "" {
		return false
	}
	octets := 0
	for part := range strings.SplitSeq(s, ".") {
		octets++
		if octets > 4 || part == "" || len(part) > 3 {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return false
			}
		}
		if len(part) > 1 && part[0] == '0' {
			return false
		}
		n := 0
		for i := 0; i < len(part); i++ {
			n = n*10 + int(part[i]-'0')
		}
		if n > 255 {
			return false
		}
	}
	return octets == 4
}

// isIPv6 is ipaddress.IPv6Address's parser, followed step by step so that
// the same strings are accepted: an optional zone after the first "%" (not
// empty, no second "%"), at most one "::", an IPv4 suffix in the last part,
// hextets of at most four hex digits.
func isIPv6(s string) bool {
	if strings.IndexByte(s, '/') >= 0 {
		return false
	}
	addr, zone, hasZone := strings.Cut(s, "%")
	if hasZone && (zone == "" || strings.IndexByte(zone, '%') >= 0) {
		return false
	}
	if addr == "" {
		return false
	}
	parts := strings.Split(addr, ":")
	if len(parts) < 3 {
		return false
	}
	if strings.IndexByte(parts[len(parts)-1], '.') >= 0 {
		if !isIPv4(parts[len(parts)-1]) {
			return false
		}
		// The IPv4 suffix stands for two hextets.
		parts = append(parts[:len(parts)-1], "0", "0")
	}
	if len(parts) > 9 {
		return false
	}
	skip := -1
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] == "" {
			if skip >= 0 {
				return false
			}
			skip = i
		}
	}
	var hi, lo int
	if skip >= 0 {
		hi, lo = skip, len(parts)-skip-1
		if parts[0] == "" {
			if hi--; hi != 0 {
				return false
			}
		}
		if parts[len(parts)-1] == "" {
			if lo--; lo != 0 {
				return false
			}
		}
		if 8-(hi+lo) < 1 {
			return false
		}
	} else {
		if len(parts) != 8 || parts[0] == "" || parts[len(parts)-1] == "" {
			return false
		}
		hi, lo = len(parts), 0
	}
	for _, p := range append(parts[:hi:hi], parts[len(parts)-lo:]...) {
		if p == "" || len(p) > 4 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if !ishex(p[i]) {
				return false
			}
		}
	}
	return true
}

// pyLower is Python's str.lower(): full Unicode lower-casing, including the
// one unconditional multi-character mapping (U+0130 to "i̇") and the
// Final_Sigma rule of Unicode section 3.13, which unicode.ToLower lacks.
func pyLower(s string) string {
	if isASCII(s) {
		return lowerASCII(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(s, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at s[i] ends a word: a cased
// letter comes before it and none after it, skipping case-ignorable
// characters both ways.
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + 2; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xb7, 0x2018, 0x2019, 0x2024, 0xfe52, 0xff07, 0xff0e:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
