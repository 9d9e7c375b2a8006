package echo_test

import (
	"bytes"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/netkit-dev/netkit/echo"
)

func allPySpace(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || !(unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f) {
			return false
		}
		b = b[n:]
	}
	return true
}

// FuzzStrip checks Strip against its contract: the result is a contiguous
// part of the input, stripping is idempotent, and what was removed at each
// end is Python whitespace.
func FuzzStrip(f *testing.F) {
	for _, s := range []string{"hello\n", "  x  ", "\x1c\x1fsep", "\u00a0\u3000", "\xff\xfe ", "", "\u0085next\r\n", "\u0085\x85"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := echo.Strip(in)
		if len(out) == 0 {
			if !allPySpace(in) {
				t.Fatalf("Strip(%q) = empty, but the input is not all whitespace", in)
			}
			return
		}
		// Strip returns a subslice: its offset follows from the capacities.
		i := cap(in) - cap(out)
		if i < 0 || i+len(out) > len(in) || !bytes.Equal(in[i:i+len(out)], out) {
			t.Fatalf("Strip(%q) = %q, not a part of the input", in, out)
		}
		if !allPySpace(in[:i]) || !allPySpace(in[i+len(out):]) {
			t.Fatalf("Strip(%q) = %q removed more than whitespace", in, out)
		}
		if again := echo.Strip(out); !bytes.Equal(again, out) {
			t.Fatalf("Strip(Strip(%q)) = %q, want %q", in, again, out)
		}
		reply := echo.AppendReply(nil, in)
		if !bytes.Equal(reply, append(append([]byte(echo.Prefix), out...), '\n')) {
			t.Fatalf("AppendReply(%q) = %q", in, reply)
		}
	})
}
