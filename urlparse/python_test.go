package urlparse

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pythonDiff runs each input through CPython's urllib.parse in one python3
// process and returns one JSON line per input.
const pythonDiff = `
import json, sys, urllib.parse as up
def attrs(r):
    d = {"username": r.username, "password": r.password, "hostname": r.hostname}
    try:
        d["port"] = r.port
    except ValueError:
        d["port"] = "error"
    return d
for line in sys.stdin:
    x = json.loads(line)
    out = {}
    try:
        r = up.urlparse(x)
        out["parse"] = list(r)
        out["geturl"] = r.geturl()
        out.update(attrs(r))
    except ValueError:
        out["parse"] = "error"
    try:
        out["join"] = up.urljoin("http://a/b/c/d;p?q", x)
    except ValueError:
        out["join"] = "error"
    out["quote"] = up.quote(x, "/:")
    out["unquote"] = up.unquote(x)
    out["unquote_plus"] = up.unquote_plus(x)
    out["qsl"] = up.parse_qsl(x, keep_blank_values=True)
    print(json.dumps(out))
`

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
// random URLs built from edge-case pieces. The golden file covers the same
// ground without Python; this finds what it missed.
func TestPythonDifferential(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the golden-file conformance test covers CPython without it")
	}
	if out, err := exec.Command(py, "-c", "import sys; print(sys.version_info[:2] == (3, 11))").Output(); err != nil || strings.TrimSpace(string(out)) != "True" {
		t.Skip("python3 is not CPython 3.11, whose semantics the package follows")
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	inputs := make([]string, n)
	var stdin strings.Builder
	for i := range inputs {
		inputs[i] = randomURL(r)
		b, _ := json.Marshal(inputs[i])
		stdin.Write(b)
		stdin.WriteByte('\n')
	}
	cmd := exec.Command(py, "-c", pythonDiff)
	cmd.Stdin = strings.NewReader(stdin.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	failures := 0
	for i := 0; sc.Scan(); i++ {
		var want map[string]any
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		got := goDiff(inputs[i])
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("input %q (-python +go):\n%s", inputs[i], d)
			if failures++; failures > 20 {
				t.Fatal("too many differences")
			}
		}
	}
}

// goDiff computes what pythonDiff prints, as decoded JSON values.
func goDiff(x string) map[string]any {
	out := map[string]any{}
	opt := func(s string, ok bool) any {
		if !ok {
			return nil
		}
		return s
	}
	if p, err := Parse(x); err != nil {
		out["parse"] = "error"
	} else {
		out["parse"] = []any{p.Scheme, p.Netloc, p.Path, p.Params, p.Query, p.Fragment}
		out["geturl"] = p.String()
		out["username"] = opt(p.Username())
		out["password"] = opt(p.Password())
		h := p.Hostname()
		out["hostname"] = opt(h, h != "")
		switch port, ok, err := p.Port(); {
		case err != nil:
			out["port"] = "error"
		case ok:
			out["port"] = float64(port)
		default:
			out["port"] = nil
		}
	}
	if j, err := Join("http://a/b/c/d;p?q", x); err != nil {
		out["join"] = "error"
	} else {
		out["join"] = j
	}
	out["quote"] = Quote(x, "/:")
	out["unquote"] = Unquote(x)
	out["unquote_plus"] = UnquotePlus(x)
	q, _ := ParseQSL(x, QueryOptions{KeepBlank: true})
	qsl := []any{}
	for _, p := range q {
		qsl = append(qsl, []any{p.Key, p.Value})
	}
	out["qsl"] = qsl
	return out
}
