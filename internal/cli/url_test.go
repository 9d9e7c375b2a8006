package cli

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/urlparse"
)

func TestURLParseFlags(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlParseOptions
	cmd := newURLParseCmd(streams, "split", func(_ context.Context, o *urlParseOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--json", "--scheme", "https", "--no-fragments", "a", "b"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Split || !got.JSON || got.Scheme != "https" || !got.NoFragments || !cmp.Equal(got.Inputs, []string{"a", "b"}) {
		t.Errorf("options = %+v", got)
	}
	cmd = newURLParseCmd(streams, "parse", func(_ context.Context, o *urlParseOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Split || got.JSON || got.Inputs != nil {
		t.Errorf("defaults = %+v; want parse, no --json, stdin (nil inputs)", got)
	}
}

func TestURLParseOutput(t *testing.T) {
	streams, out, errOut := Test("")
	opts := &urlParseOptions{urlBatch: urlBatch{Streams: streams, JSON: true, Inputs: []string{
		"https://api.example.com:8443/v2/users;v=2?page=1#results", "http://[::1", "http://u@h:http/",
	}}}
	err := runURLParse(context.Background(), opts)
	if err != errSilent {
		t.Errorf("runURLParse = %v, want errSilent for the bad input", err)
	}
	want := `{"scheme":"https","netloc":"api.example.com:8443","path":"/v2/users","params":"v=2","query":"page=1","fragment":"results","username":null,"password":null,"hostname":"api.example.com","port":8443}
null
{"scheme":"http","netloc":"u@h:http","path":"/","params":"","query":"","fragment":"","username":"u","password":null,"hostname":"h","port":null,"port_error":"Port could not be cast to integer value as 'http'"}
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
	if got := errOut.String(); !strings.Contains(got, `"http://[::1"`) || strings.Count(got, "\n") != 1 {
		t.Errorf("stderr = %q; want one line naming the bad URL", got)
	}
}

func TestURLParseTable(t *testing.T) {
	code, out, stderr := run(t, "", "url", "parse", "mailto:user@example.com")
	want := `url       'mailto:user@example.com'
scheme    'mailto'
netloc    ''
path      'user@example.com'
params    ''
query     ''
fragment  ''
username  None
password  None
hostname  None
port      None

`
	if code != 0 || out != want {
		t.Errorf("url parse = %d, %q (stderr %q); want 0,\n%s", code, out, stderr, want)
	}
}

func TestURLSplitStdin(t *testing.T) {
	// Lines as they are: the empty line is an empty URL, the last line has
	// no newline, and "\t" inside a URL is removed as Python does.
	code, out, stderr := run(t, "https://a/b;c\n\nht\ttp://x?q\n//h:99999", "url", "split", "--json", "--scheme", "ftp")
	want := `{"scheme":"https","netloc":"a","path":"/b;c","query":"","fragment":"","username":null,"password":null,"hostname":"a","port":null}
{"scheme":"ftp","netloc":"","path":"","query":"","fragment":"","username":null,"password":null,"hostname":null,"port":null}
{"scheme":"http","netloc":"x","path":"","query":"q","fragment":"","username":null,"password":null,"hostname":"x","port":null}
{"scheme":"ftp","netloc":"h:99999","path":"","query":"","fragment":"","username":null,"password":null,"hostname":"h","port":null,"port_error":"Port out of range 0-65535"}
`
	if code != 0 || stderr != "" {
		t.Errorf("url split = %d, stderr %q; want 0 and nothing", code, stderr)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout mismatch (-want +got):\n%s", diff)
	}
}

// TestURLSplitEmptyParams: urlsplit keeps a ";" with nothing after it in
// the path, as CPython does; urlparse drops it, having no way to tell an
// empty parameter from none.
func TestURLSplitEmptyParams(t *testing.T) {
	for _, tt := range []struct{ in, split, parse string }{
		{"http://host/;", "/;", "/"},
		{"http://host/path;", "/path;", "/path"},
		{";", ";", ""},
		{"/a;b;", "/a;b;", "/a"},
	} {
		_, out, _ := run(t, "", "url", "split", "--json", tt.in)
		var s struct{ Path string }
		if err := json.Unmarshal([]byte(out), &s); err != nil || s.Path != tt.split {
			t.Errorf("url split %q: path %q (%v), want %q", tt.in, s.Path, err, tt.split)
		}
		_, out, _ = run(t, "", "url", "parse", "--json", tt.in)
		if err := json.Unmarshal([]byte(out), &s); err != nil || s.Path != tt.parse {
			t.Errorf("url parse %q: path %q (%v), want %q", tt.in, s.Path, err, tt.parse)
		}
	}
}

func TestURLParseNoFragments(t *testing.T) {
	code, out, _ := run(t, "", "url", "parse", "--json", "--no-fragments", "http://h/p?q#f")
	if code != 0 || !strings.Contains(out, `"query":"q#f","fragment":""`) {
		t.Errorf("url parse --no-fragments = %d, %q", code, out)
	}
}

func TestURLJoin(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlJoinOptions
	cmd := newURLJoinCmd(streams, func(_ context.Context, o *urlJoinOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--no-fragments", "http://b/", "x"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Base != "http://b/" || !got.NoFragments || !cmp.Equal(got.Inputs, []string{"x"}) {
		t.Errorf("options = %+v", got)
	}

	code, out, _ := run(t, "", "url", "join", "https://api.example.com/v2/", "users", "users/123", "../v1/legacy", "/absolute/path")
	want := "https://api.example.com/v2/users\nhttps://api.example.com/v2/users/123\nhttps://api.example.com/v1/legacy\nhttps://api.example.com/absolute/path\n"
	if code != 0 || out != want {
		t.Errorf("url join = %d, %q; want 0, %q", code, out, want)
	}
	// Stdin, with a reference that does not parse in the middle.
	code, out, stderr := run(t, "g\n//[x\n../g\n", "url", "join", "--json", "http://a/b/c/d;p?q")
	if want := "\"http://a/b/c/g\"\nnull\n\"http://a/b/g\"\n"; code != 1 || out != want || !strings.Contains(stderr, `"//[x"`) {
		t.Errorf("url join (stdin) = %d, %q, %q; want 1, %q and the bad input named", code, out, stderr, want)
	}
}

func TestURLQuoteFlags(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlQuoteOptions
	newCmd := func(unquote bool) func(...string) {
		return func(args ...string) {
			got = nil
			cmd := newURLQuoteCmd(streams, unquote, func(_ context.Context, o *urlQuoteOptions) error { got = o; return nil })
			cmd.SetArgs(args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
		}
	}
	newCmd(false)("a b")
	if got.Safe != nil || got.Plus || got.Unquote {
		t.Errorf("quote defaults = %+v; want Python's default safe (nil)", got)
	}
	newCmd(false)("--safe", "", "--plus", "x")
	if got.Safe == nil || *got.Safe != "" || !got.Plus {
		t.Errorf("quote --safe '' --plus = %+v", got)
	}
	newCmd(true)("--plus", "--json")
	if !got.Unquote || !got.Plus || !got.JSON || got.Inputs != nil {
		t.Errorf("unquote --plus --json = %+v", got)
	}
}

func TestURLQuoteOutput(t *testing.T) {
	tests := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"url", "quote", "/api/search/hello world & more"}, "", "/api/search/hello%20world%20%26%20more\n"},
		{[]string{"url", "quote", "--safe", "", "/a b"}, "", "%2Fa%20b\n"},
		{[]string{"url", "quote", "--plus", "hello world & friends", "/x+"}, "", "hello+world+%26+friends\n%2Fx%2B\n"},
		{[]string{"url", "quote", "--plus", "--safe", "/", "/x y"}, "", "/x+y\n"},
		{[]string{"url", "quote"}, "a b\n\nc/d\n", "a%20b\n\nc/d\n"},
		{[]string{"url", "unquote", "caf%C3%A9", "%zz", "%E2%82"}, "", "café\n%zz\n\ufffd\n"},
		{[]string{"url", "unquote", "--plus", "a+b%2B"}, "", "a b+\n"},
		{[]string{"url", "unquote", "--json"}, "%0A\n%22\n", "\"\\n\"\n\"\\\"\"\n"},
	}
	for _, tt := range tests {
		code, out, stderr := run(t, tt.stdin, tt.args...)
		if code != 0 || out != tt.want {
			t.Errorf("%q (stdin %q) = %d, %q (stderr %q); want 0, %q", tt.args, tt.stdin, code, out, stderr, tt.want)
		}
	}
}

func TestURLQueryParse(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlQueryParseOptions
	cmd := newURLQueryParseCmd(streams, func(_ context.Context, o *urlQueryParseOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--keep-blank", "--strict", "--separator", ";;", "--max-fields", "7", "q"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := urlparse.QueryOptions{KeepBlank: true, Strict: true, Separator: ";;", MaxNumFields: 7}
	if got.Query != want || !cmp.Equal(got.Inputs, []string{"q"}) {
		t.Errorf("options = %+v, want %+v", got, want)
	}

	tests := []struct {
		args     []string
		stdin    string
		wantCode int
		want     string
	}{
		{[]string{"q=python+sockets&page=2&lang=en&lang=fr"}, "", 0, `[["q","python sockets"],["page","2"],["lang","en"],["lang","fr"]]` + "\n"},
		{[]string{"--keep-blank", "--separator", ";", "a=1;b=;c&d"}, "", 0, `[["a","1"],["b",""],["c&d",""]]` + "\n"},
		{[]string{"a=1;b=2"}, "", 0, `[["a","1;b=2"]]` + "\n"},
		{nil, "a=1\n\nb=%26\n", 0, "[[\"a\",\"1\"]]\n[]\n[[\"b\",\"&\"]]\n"},
		{[]string{"--strict", "a=1&b", "c=2"}, "", 1, "\n[[\"c\",\"2\"]]\n"},
		{[]string{"--strict", "--json", "a=1&b", "c=2"}, "", 1, "null\n[[\"c\",\"2\"]]\n"},
		{[]string{"--max-fields", "1", "a=1&b=2"}, "", 1, "\n"},
	}
	for _, tt := range tests {
		args := append([]string{"url", "query", "parse"}, tt.args...)
		code, out, stderr := run(t, tt.stdin, args...)
		if code != tt.wantCode || out != tt.want {
			t.Errorf("%q = %d, %q (stderr %q); want %d, %q", args, code, out, stderr, tt.wantCode, tt.want)
		}
		if (code != 0) != (stderr != "") {
			t.Errorf("%q: stderr %q with status %d", args, stderr, code)
		}
	}
	if code, _, stderr := run(t, "", "url", "query", "parse", "--separator", "", "a"); code != 1 || !strings.Contains(stderr, "separator") {
		t.Errorf("--separator '' = %d, %q; want an error", code, stderr)
	}
}

func TestURLQueryEncode(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlQueryEncodeOptions
	cmd := newURLQueryEncodeCmd(streams, func(_ context.Context, o *urlQueryEncodeOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--doseq", "a=1", "b=x=y"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.Doseq || !cmp.Equal(got.Inputs, []string{`[["a","1"],["b","x=y"]]`}) {
		t.Errorf("options = %+v", got)
	}

	tests := []struct {
		args     []string
		stdin    string
		wantCode int
		want     string
	}{
		{[]string{"q=python networking", "page=1", "sort=relevance"}, "", 0, "q=python+networking&page=1&sort=relevance\n"},
		{[]string{"--doseq", `tag=["python","networking","sockets"]`, `status=["published"]`}, "", 0, "tag=python&tag=networking&tag=sockets&status=published\n"},
		{[]string{"--doseq", `n=[1,2.5,null,true]`}, "", 0, "n=1&n=2.5&n=None&n=True\n"},
		{[]string{"--doseq", `tag=[1]]`, `u=[1] `}, "", 0, "tag=%5B1%5D%5D&u=1\n"},
		// json.loads keeps 1.0 and 1e2 floats and big integers exact.
		{[]string{"--doseq", `n=[1.0,1e2,-0.0,12345678901234567890,1E400,[1.50,null]]`}, "", 0, "n=1.0&n=100.0&n=-0.0&n=12345678901234567890&n=inf&n=%5B1.5%2C+None%5D\n"},
		{[]string{`tag=["a"]`}, "", 0, "tag=%5B%22a%22%5D\n"},
		{nil, "[[\"a\",\"1 2\"]]\nnot json\n[]\n", 1, "a=1+2\n\n\n"},
		{[]string{"--json", "a=&"}, "", 0, "\"a=%26\"\n"},
	}
	for _, tt := range tests {
		args := append([]string{"url", "query", "encode"}, tt.args...)
		code, out, stderr := run(t, tt.stdin, args...)
		if code != tt.wantCode || out != tt.want {
			t.Errorf("%q = %d, %q (stderr %q); want %d, %q", args, code, out, stderr, tt.wantCode, tt.want)
		}
	}
	if code, _, stderr := run(t, "", "url", "query", "encode", "novalue"); code != 1 || !strings.Contains(stderr, "novalue") {
		t.Errorf("encode novalue = %d, %q; want an error naming it", code, stderr)
	}
}

func TestURLBuild(t *testing.T) {
	streams, _, _ := Test("")
	var got *urlBuildOptions
	cmd := newURLBuildCmd(streams, func(_ context.Context, o *urlBuildOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--scheme", "http", "--host", "localhost", "--port", "8080", "--path", "/search",
		"--param", "q=python sockets", "--param", "tag=networking", "--param", "tag=tutorial", "--fragment", "top"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	wantBuild := urlparse.BuildOptions{Scheme: "http", Port: 8080, Fragment: "top"}
	if !got.HostSet || got.Host != "localhost" || got.Path != "/search" || got.Build != wantBuild ||
		!cmp.Equal(got.Params, []string{"q=python sockets", "tag=networking", "tag=tutorial"}) {
		t.Errorf("options = %+v", got)
	}

	tests := []struct {
		args     []string
		stdin    string
		wantCode int
		want     string
	}{
		{[]string{"--host", "api.example.com", "--path", "/v2/users", "--param", "page=1", "--param", "limit=50"}, "", 0,
			"https://api.example.com/v2/users?page=1&limit=50\n"},
		{[]string{"--scheme", "http", "--host", "localhost", "--port", "8080", "--path", "/search",
			"--param", "q=python sockets", "--param", "tag=networking", "--param", "tag=tutorial"}, "", 0,
			"http://localhost:8080/search?q=python+sockets&tag=networking&tag=tutorial\n"},
		{[]string{"--host", "docs.example.com", "--path", "/api/Chapter 17/overview", "--fragment", "intro", "--json"}, "", 0,
			"\"https://docs.example.com/api/Chapter%2017/overview#intro\"\n"},
		{nil, `{"host":"h","path":"/a b","params":[["k","v"]]}` + "\n" + `{"path":"/x"}` + "\n" + `{"host":"h","port":70000}` + "\n" + `{"host":"x","scheme":"ftp","port":21}` + "\n", 1,
			"https://h/a%20b?k=v\n\n\nftp://x:21\n"},
	}
	for _, tt := range tests {
		args := append([]string{"url", "build"}, tt.args...)
		code, out, stderr := run(t, tt.stdin, args...)
		if code != tt.wantCode || out != tt.want {
			t.Errorf("%q = %d, %q (stderr %q); want %d, %q", args, code, out, stderr, tt.wantCode, tt.want)
		}
	}
	for _, args := range [][]string{{"--host", "h", "--param", "novalue"}, {"--host", "h", "--port", "70000"}} {
		if code, _, _ := run(t, "", append([]string{"url", "build"}, args...)...); code != 1 {
			t.Errorf("url build %q = %d, want 1", args, code)
		}
	}
}

func TestURLLongLine(t *testing.T) {
	long := "http://h/" + strings.Repeat("a", maxURLInputLine+10)
	code, out, stderr := run(t, "x\n"+long+"\ny", "url", "quote")
	if code != 1 || out != "x\n\ny\n" || !strings.Contains(stderr, "longer than") {
		t.Errorf("url quote with a long line = %d, %q, %q; want 1, aligned output and an error", code, out, stderr)
	}
}

// TestURLParseMatchesPython runs the same batch through `netkit url parse
// --json` and its CPython peer, scripts/urlgolden/parse_lines.py, and
// requires byte-identical output.
func TestURLParseMatchesPython(t *testing.T) {
	py := testnet.Python311(t)
	batch := strings.Join([]string{
		"https://api.example.com:8443/v2/users;v=2?page=1&limit=20#results",
		"postgresql://user:pass@db.local:5432/mydb", "mailto:user@example.com", "file:///home/user/document.txt",
		"", " \x00http://x/ ", "ht\ttp://x\r", "http://[::1]:99999/", "http://h:abc/", "http://[::1", "http://[1.2.3.4]/",
		"http://USER:P%40SS@Ex.COM:0080/a/../b;p?q=1&q=2#f", "//h/p", "é://ü/ö?ä#ß", "http://\u03a3\u0391\u03a3.gr/",
		"http://ex\u2100ample.com/", "\x08\x0c\x7f", "a:b:c", "http://h:+1/", "http://h:\u0663/",
	}, "\n") + "\n"
	cmd := exec.Command(py, "../../scripts/urlgolden/parse_lines.py")
	cmd.Stdin = strings.NewReader(batch)
	want, err := cmd.Output()
	if err != nil {
		t.Fatalf("parse_lines.py: %v", err)
	}
	_, got, _ := run(t, batch, "url", "parse", "--json")
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
		t.Errorf("netkit url parse --json differs from CPython (-python +netkit):\n%s", diff)
	}
}

// urlComposePython prints, per JSON line of stdin, what CPython gives for
// the mode in argv[1], as `netkit url MODE --json` prints it.
const urlComposePython = `
import json, sys, urllib.parse as up
mode = sys.argv[1]
def dump(v):
    print(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
for line in sys.stdin:
    x = json.loads(line)
    if mode == "unparse":
        dump(up.urlunparse(x))
    elif mode == "unsplit":
        dump(up.urlunsplit(x))
    elif mode == "defrag":
        dump(list(up.urldefrag(x)))
    elif mode.startswith("encode"):
        if isinstance(x, list):
            x = [tuple(p) for p in x]  # urlencode takes pairs as tuples
        dump(up.urlencode(x, doseq=mode == "encode-doseq"))
`

// TestURLComposeMatchesPython runs batches through `netkit url unparse`,
// `unsplit`, `defrag` and `encode` and through CPython, and requires the
// same lines.
func TestURLComposeMatchesPython(t *testing.T) {
	py := testnet.Python311(t)
	line := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	var parts6, parts5 []string
	for _, scheme := range []string{"", "http", "mailto", "file", "x-y"} {
		for _, netloc := range []string{"", "h", "u@h:1", "[::1]"} {
			for _, path := range []string{"", "/", "p", "//x", "/a;b", "a/b"} {
				for _, params := range []string{"", "x", ";"} {
					for _, query := range []string{"", "q=1", "?"} {
						for _, frag := range []string{"", "f", "#"} {
							parts6 = append(parts6, line([]string{scheme, netloc, path, params, query, frag}))
							if params == "" {
								parts5 = append(parts5, line([]string{scheme, netloc, path, query, frag}))
							}
						}
					}
				}
			}
		}
	}
	var urls []string
	for _, u := range []string{"", "#", "a#", "#f", "http://h/p?q#f", "http://h/p#f#g", "mailto:x#y", "//h#", "é#ü", "http://[::1]:80/#%41", "a?b#c?d"} {
		urls = append(urls, line(u))
	}
	queries := []string{
		`{"q":"python networking","page":1}`, `{"f":1.0,"e":1e2,"big":123456789012345678901234567890}`,
		`{"t":true,"n":null,"s":"a&b=c","u":"é€"}`, `[["k","v"],["k","w"],["","="]]`,
		`{"l":["a","b"],"t":[],"n":[1,2.5]}`, `[["x",["y","z"]],[1,2]]`, `{}`, `[]`,
	}
	for _, tt := range []struct {
		mode, cmd string
		flags     []string
		inputs    []string
	}{
		{"unparse", "unparse", nil, parts6},
		{"unsplit", "unsplit", nil, parts5},
		{"defrag", "defrag", nil, urls},
		{"encode", "encode", nil, queries},
		{"encode-doseq", "encode", []string{"--doseq"}, queries},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			batch := strings.Join(tt.inputs, "\n") + "\n"
			cmd := exec.Command(py, "-c", urlComposePython, tt.mode)
			cmd.Stdin = strings.NewReader(batch)
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("python3: %v", err)
			}
			stdin := batch
			if tt.mode == "defrag" {
				// defrag takes the URLs themselves, not JSON strings.
				var raw []string
				for _, u := range tt.inputs {
					var s string
					json.Unmarshal([]byte(u), &s)
					raw = append(raw, s)
				}
				stdin = strings.Join(raw, "\n") + "\n"
			}
			code, got, stderr := run(t, stdin, append([]string{"url", tt.cmd, "--json"}, tt.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("netkit url %s differs from CPython (-python +netkit):\n%s", tt.cmd, diff)
			}
		})
	}
}

// TestURLEncodeFlags: urlencode's safe, quote_via and encoding, with the
// outputs CPython 3.11 gives; bad inputs fail alone, aligned.
func TestURLEncodeFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"--quote-via", "quote", "--safe", "/", `{"path":"/a b"}`}, "path=/a%20b\n", 0},
		{[]string{`{"path":"/a b"}`}, "path=%2Fa+b\n", 0},
		{[]string{"--encoding", "latin-1", `{"k":"é","l":["é"]}`}, "k=%E9&l=%5B%27%E9%27%5D\n", 0},
		{[]string{"--encoding", "latin-1", "--doseq", `{"k":"é","l":["é"]}`}, "k=%E9&l=%E9\n", 0},
		{[]string{"--encoding", "latin-1", `{"k":"€"}`, `{"k":"e"}`}, "\nk=e\n", ExitError},
		{[]string{`{"k":1}x`, `[["k"]]`, `{"a":{"b":1}}`, `[["a","b"]]`}, "\n\n\na=b\n", ExitError},
	}
	for _, tt := range tests {
		code, out, _ := run(t, "", append([]string{"url", "encode"}, tt.args...)...)
		if code != tt.code || out != tt.want {
			t.Errorf("url encode %q = %d, %q; want %d, %q", tt.args, code, out, tt.code, tt.want)
		}
	}
	for _, args := range [][]string{{"unparse", `["a","b"]`}, {"unsplit", `not json`}} {
		if code, out, stderr := run(t, "", append([]string{"url"}, args...)...); code != ExitError || out != "\n" || !strings.Contains(stderr, "JSON array of") {
			t.Errorf("url %q = %d, %q, %q; want an error naming the form", args, code, out, stderr)
		}
	}
}
