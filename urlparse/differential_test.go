package urlparse

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oracleScript answers one JSON request per line with what CPython's
// urllib.parse makes of it, every function the package follows: the
// Go side (goOracle) computes the same object.
const oracleScript = `
import json, sys, urllib.parse as up
def attrs(r):
    d = {"username": r.username, "password": r.password, "hostname": r.hostname}
    try:
        d["port"] = r.port
    except ValueError:
        d["port"] = "error"
    return d
def call(out, name, f):
    try:
        out[name] = f()
    except ValueError:
        out[name] = "error"
for line in sys.stdin:
    x, base, nofrag = json.loads(line)
    out = {}
    def split():
        r = up.urlsplit(x, allow_fragments=not nofrag)
        d = {"parts": list(r), "geturl": r.geturl(), "unsplit": up.urlunsplit(list(r))}
        d.update(attrs(r))
        return d
    def parse():
        r = up.urlparse(x, allow_fragments=not nofrag)
        return {"parts": list(r), "geturl": r.geturl(), "unparse": up.urlunparse(list(r))}
    call(out, "split", split)
    call(out, "parse", parse)
    call(out, "defrag", lambda: list(up.urldefrag(x)))
    call(out, "join", lambda: up.urljoin(base, x, allow_fragments=not nofrag))
    call(out, "join_rev", lambda: up.urljoin(x, base))
    out["quote"] = up.quote(x, "/")
    out["quote_plus"] = up.quote_plus(x, "")
    out["unquote"] = up.unquote(x)
    out["unquote_plus"] = up.unquote_plus(x)
    call(out, "qsl", lambda: [list(p) for p in up.parse_qsl(x, keep_blank_values=True)])
    call(out, "qs", lambda: up.parse_qs(x, keep_blank_values=True))
    call(out, "encode", lambda: up.urlencode(up.parse_qsl(x, keep_blank_values=True)))
    print(json.dumps(out), flush=True)
`

// oracle is one CPython process kept for the life of the test binary, fed
// one request at a time: starting Python per input would cost 20 ms each.
type oracle struct {
	mu  sync.Mutex
	in  io.WriteCloser
	out *bufio.Scanner
}

var (
	oracleOnce sync.Once
	theOracle  *oracle
	oracleErr  string
)

// pythonOracle returns the shared CPython 3.11 process, or skips the test.
func pythonOracle(t testing.TB) *oracle {
	oracleOnce.Do(func() {
		py, err := exec.LookPath("python3")
		if err != nil {
			oracleErr = "python3 not found: the golden tables cover CPython without it"
			return
		}
		if out, err := exec.Command(py, "-c", "import sys; print(sys.version_info[:2] == (3, 11))").Output(); err != nil || strings.TrimSpace(string(out)) != "True" {
			oracleErr = "python3 is not CPython 3.11, whose semantics the package follows"
			return
		}
		cmd := exec.Command(py, "-c", oracleScript)
		in, err := cmd.StdinPipe()
		if err != nil {
			oracleErr = err.Error()
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			oracleErr = err.Error()
			return
		}
		if err := cmd.Start(); err != nil {
			oracleErr = err.Error()
			return
		}
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 16<<20)
		// The process ends with the test binary, when its stdin closes.
		theOracle = &oracle{in: in, out: sc}
	})
	if theOracle == nil {
		t.Skip(oracleErr)
	}
	return theOracle
}

// ask returns CPython's answer for x, with base for urljoin.
func (o *oracle) ask(t testing.TB, x, base string, noFrag bool) map[string]any {
	b, _ := json.Marshal([]any{x, base, noFrag})
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, err := o.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("python3: %v", err)
	}
	if !o.out.Scan() {
		t.Fatalf("python3 ended: %v", o.out.Err())
	}
	var want map[string]any
	if err := json.Unmarshal(o.out.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	return want
}

// goOracle computes what oracleScript prints, as decoded JSON values.
func goOracle(x, base string, noFrag bool) map[string]any {
	out := map[string]any{}
	o := Options{NoFragments: noFrag}
	opt := func(s string, ok bool) any {
		if !ok {
			return nil
		}
		return s
	}
	strs := func(ss ...string) []any {
		r := make([]any, len(ss))
		for i, s := range ss {
			r[i] = s
		}
		return r
	}
	if s, err := o.Split(x); err != nil {
		out["split"] = "error"
	} else {
		d := map[string]any{
			"parts":   strs(s.Scheme, s.Netloc, s.Path, s.Query, s.Fragment),
			"geturl":  s.String(),
			"unsplit": Unsplit(s.Scheme, s.Netloc, s.Path, s.Query, s.Fragment),
		}
		d["username"] = opt(s.Username())
		d["password"] = opt(s.Password())
		h := s.Hostname()
		d["hostname"] = opt(h, h != "")
		switch port, ok, err := s.Port(); {
		case err != nil:
			d["port"] = "error"
		case ok:
			d["port"] = float64(port)
		default:
			d["port"] = nil
		}
		out["split"] = d
	}
	if p, err := o.Parse(x); err != nil {
		out["parse"] = "error"
	} else {
		out["parse"] = map[string]any{
			"parts":   strs(p.Scheme, p.Netloc, p.Path, p.Params, p.Query, p.Fragment),
			"geturl":  p.String(),
			"unparse": Unparse(p.Scheme, p.Netloc, p.Path, p.Params, p.Query, p.Fragment),
		}
	}
	if u, frag, err := Defrag(x); err != nil {
		out["defrag"] = "error"
	} else {
		out["defrag"] = strs(u, frag)
	}
	if j, err := o.Join(base, x); err != nil {
		out["join"] = "error"
	} else {
		out["join"] = j
	}
	if j, err := Join(x, base); err != nil {
		out["join_rev"] = "error"
	} else {
		out["join_rev"] = j
	}
	out["quote"] = Quote(x, "/")
	out["quote_plus"] = QuotePlus(x, "")
	out["unquote"] = Unquote(x)
	out["unquote_plus"] = UnquotePlus(x)
	if q, err := ParseQSL(x, QueryOptions{KeepBlank: true}); err != nil {
		out["qsl"], out["encode"] = "error", "error"
	} else {
		qsl := []any{}
		params := make([]Param, len(q))
		for i, p := range q {
			qsl = append(qsl, strs(p.Key, p.Value))
			params[i] = Param{p.Key, p.Value}
		}
		out["qsl"] = qsl
		out["encode"] = URLEncode(params, EncodeOptions{})
	}
	if fs, err := ParseQS(x, QueryOptions{KeepBlank: true}); err != nil {
		out["qs"] = "error"
	} else {
		qs := map[string]any{}
		for _, f := range fs {
			qs[f.Key] = strs(f.Values...)
		}
		out["qs"] = qs
	}
	return out
}

// urlPieces is the grammar the differential fuzzer draws URLs from: each
// input byte picks a piece, so that the fuzzer's mutations move between
// URL shapes rather than through random bytes.
var urlPieces = []string{
	// schemes
	"http:", "HTTPS:", "ftp:", "mailto:", "file:", "x+y.z-w:", "1a:", "a:", "svn+ssh:", "sip:", "tel:", "urn:",
	// authority
	"//", "///", "/", "@", "u:p@", "user@", ":@", "u%40v@", "[", "]", "[::1]", "[v1.x]", "[fe80::1%25e]",
	"[::ffff:1.2.3.4]", "[1:2:3:4:5:6:7:8]", "[::1", "::1]", "127.0.0.1", "host", "EXAMPLE.com", "xn--nxasmq6b",
	// ports
	":", ":80", ":0", ":65535", ":65536", ":99999", ":-1", ":x", ": 80", ":+1",
	// path, params, query, fragment
	";", ";p", ";a=b;c", "/;", "/a;b", "?", "?a=1", "&", "&b=", "=", "==", "+", "#", "#f", "#a#b",
	"..", ".", "/..", "/./", "a", "b.c", "//x",
	// escapes
	"%", "%2", "%41", "%2f", "%2F", "%25", "%e2%82", "%e2%82%ac", "%zz", "%C3%A9", "%00", "%FF",
	// Unicode and controls
	"é", "Σ", "\u2100", "\uff03", "\ufe16", "\u00a0", "\U0001f600", " ", "\t", "\n", "\r", "\x00", "\x7f", "\x1f",
}

// fromGrammar turns fuzz bytes into a URL and a join base: pieces for the
// URL up to the first zero byte, then for the base.
func fromGrammar(data []byte) (x, base string, noFrag bool) {
	var b, bb strings.Builder
	cur := &b
	for i, c := range data {
		if i == 0 {
			noFrag = c&1 == 1
			continue
		}
		if c == 0 && cur == &b {
			cur = &bb
			continue
		}
		cur.WriteString(urlPieces[int(c)%len(urlPieces)])
	}
	base = bb.String()
	if base == "" {
		base = "http://a/b/c/d;p?q"
	}
	return b.String(), base, noFrag
}

// FuzzPython checks every function the package follows against a live
// CPython 3.11 on URLs drawn from a grammar of URL pieces. Without
// python3 it skips; the golden tables (TestConformance) hold every
// difference it has found.
func FuzzPython(f *testing.F) {
	for _, s := range [][]byte{
		{0, 0, 12, 20, 50, 60},
		{1, 3, 17, 28, 50, 62, 66, 70},
		{0, 2, 36, 12, 40, 53, 0, 0, 12, 40, 51},
		{0, 55},
		{0, 50, 57},
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64 {
			return
		}
		x, base, noFrag := fromGrammar(data)
		o := pythonOracle(t)
		want := o.ask(t, x, base, noFrag)
		got := goOracle(x, base, noFrag)
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("url %q, base %q, allow_fragments=%v (-python +go):\n%s", x, base, !noFrag, d)
		}
	})
}
