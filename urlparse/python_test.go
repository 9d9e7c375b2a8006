package urlparse

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomURL assembles a URL from pieces chosen to hit the edges of
// urlsplit: odd schemes, brackets, userinfo, ports, dot segments, escapes,
// control characters and non-ASCII text.
func randomURL(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var b strings.Builder
	for range 1 + r.IntN(7) {
		b.WriteString(pick("http:", "HTTPS:", "mailto:", "x+y:", "1a:", "//", "/", "///", "[", "]", "[::1]", "[v1.x]",
			"@", "u:p@", ":", ":80", ":99999", ":x", "?", "#", ";", "=", "&", "+", "a", "b.c", "..", ".", "%", "%41",
			"%e2%82", "%zz", " ", "\t", "\n", "\x00", "é", "Σ", "\u2100", "%C3%A9", "::", "[fe80::1%25e]"))
	}
	return b.String()
}

// TestPythonDifferential compares the package with a live CPython on
// random URLs built from edge-case pieces, every function (goOracle), the
// URLs also as join bases. The golden file covers the same ground without
// Python; this finds what it missed. FuzzPython explores further.
func TestPythonDifferential(t *testing.T) {
	o := pythonOracle(t)
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	failures := 0
	for range n {
		x := randomURL(r)
		base := "http://a/b/c/d;p?q"
		if r.IntN(4) == 0 {
			base = randomURL(r)
		}
		noFrag := r.IntN(8) == 0
		if d := cmp.Diff(o.ask(t, x, base, noFrag), goOracle(x, base, noFrag)); d != "" {
			t.Errorf("url %q, base %q, allow_fragments=%v (-python +go):\n%s", x, base, !noFrag, d)
			if failures++; failures > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}
