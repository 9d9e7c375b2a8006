package cli

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mccutchen/go-httpbin/v2/httpbin"
	"github.com/netkit-dev/netkit/internal/testnet"
)

// The differential suite runs HTTPie itself (Debian's httpie, 3.2) and
// netkit http on the same command lines and compares what they would
// send (--offline).

// httpieCmd returns HTTPie's http command, or skips the test.
func httpieCmd(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("http")
	if err != nil {
		t.Skip("HTTPie's http command not found (Debian package httpie): skipping the differential tests against HTTPie")
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "3.") {
		t.Skipf("%s is not HTTPie 3 (%q): skipping the differential tests", p, out)
	}
	return p
}

// offlineRequest is a request as --offline prints it, reduced to what the
// comparison covers.
type offlineRequest struct {
	Line    string
	Headers []string // "name: value", names lower-cased, sorted
	Body    string
}

// ignoredHeaders differ by design: each tool names itself, and HTTPie
// asks for compression and keep-alive, which Go's transport adds on its
// own when it sends.
var ignoredHeaders = map[string]bool{"user-agent": true, "connection": true, "accept-encoding": true}

func parseOffline(t *testing.T, who, out string) offlineRequest {
	t.Helper()
	head, body, ok := strings.Cut(out, "\r\n\r\n")
	if !ok {
		t.Fatalf("%s printed no request head:\n%q", who, out)
	}
	lines := strings.Split(head, "\r\n")
	r := offlineRequest{Line: lines[0]}
	deflated := slices.ContainsFunc(lines, func(l string) bool { return strings.EqualFold(l, "Content-Encoding: deflate") })
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ":")
		name = strings.ToLower(name)
		if ignoredHeaders[name] || deflated && name == "content-length" {
			continue
		}
		r.Headers = append(r.Headers, name+": "+strings.TrimSpace(value))
	}
	if deflated {
		// Go's compress/zlib and Python's zlib both write RFC 1950 data
		// for the same input, but their deflate encoders choose different
		// matches, so the bytes and their length differ: what must match
		// is what the server inflates, and the header that says so.
		zr, err := zlib.NewReader(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: the deflated body does not inflate: %v", who, err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: the deflated body does not inflate: %v", who, err)
		}
		body = string(b)
	}
	sort.Strings(r.Headers)
	// HTTPie (Python's requests) sends Content-Length: 0 on a DELETE or
	// OPTIONS without a body; Go's client cannot, and need not (RFC 9110,
	// section 8.6).
	if body == "" || strings.Trim(body, "\n") == "" {
		r.Headers = slices.DeleteFunc(r.Headers, func(h string) bool { return h == "content-length: 0" })
	}
	// Each tool ends its output with newlines of its own.
	r.Body = strings.TrimRight(body, "\n")
	if json.Valid([]byte(r.Body)) {
		var b bytes.Buffer
		json.Compact(&b, []byte(r.Body)) // key order kept
		r.Body = b.String()
	}
	return r
}

func TestHTTPieOffline(t *testing.T) {
	httpie := httpieCmd(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	txt := file("note.txt", "hello\n")
	obj := file("obj.json", `{"k": [1, 2], "z": {"a": null}}`)
	cases := []struct {
		args  []string
		stdin string // piped to both; "" leaves stdin alone (--ignore-stdin)
	}{
		{args: []string{"example.org"}},
		{args: []string{"GET", "example.org/a/b?x=1"}},
		{args: []string{"example.org:8080/x"}},
		{args: []string{":3000/x"}},
		{args: []string{"https://example.org/x", "a=1"}},
		{args: []string{"DELETE", "example.org/items/1"}},
		{args: []string{"example.org", "q==1", "q==2", "x y==z w"}},
		{args: []string{"example.org/p?x=1", "y==2"}},
		{args: []string{"example.org", "Accept:text/plain"}},
		{args: []string{"example.org", "X-Empty;"}},
		{args: []string{"example.org", "X-A:1", "X-A:2"}},
		{args: []string{"example.org/x", "a=1"}},
		{args: []string{"POST", "example.org", "a=1", "b:=2", "X-Foo:bar"}},
		{args: []string{"PUT", "example.org/x", "user[name]=x", "tags[]:=1", "tags[]:=2"}},
		{args: []string{"POST", "example.org", "[]:=1", "[]:=2"}},
		{args: []string{"POST", "example.org", "a[0]=x", "a[2]=y"}},
		{args: []string{"POST", "example.org", "a[b][c]=1", "a[b][d]:=true"}},
		{args: []string{"POST", "example.org", `foo\[bar\]=1`}},
		{args: []string{"POST", "example.org", "n:=1.50", "e:=1e16", "z:=-0", "l:= [ 1 ,2 ]"}},
		{args: []string{"POST", "example.org", "name=Zoë", "emoji=😀"}},
		{args: []string{"PATCH", "example.org", "a:=null", `o:={"z":1,"a":[true,false]}`}},
		{args: []string{"POST", "example.org", "a=1", "a=2"}},
		{args: []string{"POST", "example.org", "Content-Type:application/vnd.api+json", "a=1"}},
		{args: []string{"POST", "example.org", "Accept:application/xml", "a=1"}},
		{args: []string{"--form", "POST", "example.org", "a=1", "b=2"}},
		{args: []string{"--form", "POST", "example.org", "name=Zoë", "sp=a b&c"}},
		{args: []string{"-f", "PUT", "example.org", "a=1"}},
		{args: []string{"--multipart", "--boundary", "XYZ", "POST", "example.org", "a=1", "f@" + txt}},
		{args: []string{"--form", "--boundary", "XYZ", "POST", "example.org", "f@" + txt + ";type=text/x-foo"}},
		{args: []string{"--multipart", "--boundary", "XYZ", "POST", "example.org", "a=1", "b=2"}},
		{args: []string{"POST", "example.org", "data=@" + txt}},
		{args: []string{"POST", "example.org", "obj:=@" + obj}},
		{args: []string{"POST", "example.org", "@" + obj}},
		{args: []string{"POST", "example.org", "@" + txt}},
		{args: []string{"--raw", "hello", "POST", "example.org"}},
		{args: []string{"--raw", `{"x":1}`, "PUT", "example.org", "Content-Type:application/json"}},
		{args: []string{"POST", "example.org"}, stdin: "hi from stdin\n"},
		{args: []string{"PUT", "example.org", "Content-Type:text/plain"}, stdin: "plain text"},
		{args: []string{"--form", "POST", "example.org"}, stdin: "a=1&b=2"},
		{args: []string{"-a", "alice:s3cret", "example.org"}},
		{args: []string{"-a", "al:ce:pa:ss", "example.org"}},
		{args: []string{"-A", "bearer", "-a", "TOKEN123", "example.org"}},
		{args: []string{"--auth-type=basic", "--auth=bob:pw", "POST", "example.org", "a=1"}},
		{args: []string{"netrc.example"}},
		{args: []string{"--ignore-netrc", "netrc.example"}},
		{args: []string{"-a", "x:y", "netrc.example"}},
		{args: []string{"--chunked", "POST", "example.org", "a=1"}},
		{args: []string{"-x", "POST", "example.org", "a=1"}}, // deflating 10 bytes makes them longer: sent as they are
		// Deflating makes these smaller: compared inflated (see parseOffline).
		{args: []string{"-x", "POST", "example.org", "text=" + strings.Repeat("netkit ", 40)}},
		{args: []string{"-xx", "POST", "example.org", "a=1"}},
		{args: []string{"-x", "--form", "POST", "example.org", "text=" + strings.Repeat("abc", 50)}},
	}
	// One .netrc for both tools, in the home directory both read.
	if err := os.WriteFile(filepath.Join(dir, ".netrc"), []byte("machine netrc.example\nlogin bob\npassword pw\n\ndefault login any password thing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	if v, ok := os.LookupEnv("NETRC"); ok {
		os.Unsetenv("NETRC")
		t.Cleanup(func() { os.Setenv("NETRC", v) })
	}
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		t.Run(name, func(t *testing.T) {
			args := append([]string{"--offline"}, tc.args...)
			if tc.stdin == "" {
				args = append([]string{"--ignore-stdin"}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, httpie, args...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			cmd.Env = append(os.Environ(), "HOME="+dir, "NO_COLOR=1") // no user config
			theirs, err := cmd.Output()
			if err != nil {
				t.Fatalf("http %s: %v", name, err)
			}
			streams, out, errOut := Test(tc.stdin)
			if code := Main(context.Background(), append([]string{"http"}, args...), streams); code != 0 {
				t.Fatalf("netkit http %s: exit %d: %s", name, code, errOut)
			}
			want, got := parseOffline(t, "HTTPie", string(theirs)), parseOffline(t, "netkit", out.String())
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("netkit http %s differs from HTTPie (-HTTPie +netkit):\n%s", name, diff)
			}
		})
	}
}

// TestHTTPieLive: against a real server (go-httpbin), netkit http's piped
// output, and its --print=hb output, equal HTTPie's: Date aside, and
// header order aside (Go's http.Header does not keep it).
func TestHTTPieLive(t *testing.T) {
	httpie := httpieCmd(t)
	ts := httptest.NewServer(httpbin.New())
	defer ts.Close()
	dir := t.TempDir()
	u := ts.URL
	cases := [][]string{
		{u + "/get"},
		{u + "/get", "a==1", "X-Test:yes"},
		{"POST", u + "/post", "name=Zoë", "n:=1"},
		{"--form", "POST", u + "/post", "a=1", "b=2"},
		{"PUT", u + "/put", "x[y]=1"},
		{"DELETE", u + "/delete"},
		{u + "/status/404"},
		{u + "/status/500"},
		{u + "/redirect-to?url=/get"},
		{u + "/html"},
		{u + "/xml"},
		{u + "/json"},
		{u + "/encoding/utf8"},
		{u + "/response-headers?X-One=1&X-Two=2"},
		{u + "/bytes/64?seed=1"},
		{"HEAD", u + "/get"},
		{"-a", "user:passwd", u + "/basic-auth/user/passwd"},
		{"-a", "user:wrong", u + "/basic-auth/user/passwd"},
		{"-A", "bearer", "-a", "tok", u + "/bearer"},
		{"-A", "digest", "-a", "user:passwd", u + "/digest-auth/auth/user/passwd/MD5"},
		{"-A", "digest", "-a", "user:passwd", u + "/digest-auth/auth/user/passwd/SHA-256"},
		{"--follow", "--all", u + "/redirect/2"},
		{"--follow", u + "/redirect/2"},
		// What to print: the --print letters alone and together, and the
		// flags that stand for them.
		{"-p", "H", u + "/get"},
		{"-p", "B", "POST", u + "/post", "a=1"},
		{"-p", "HB", "POST", u + "/post", "a=1"},
		{"-p", "Hh", u + "/get"},
		{"-p", "Bb", "POST", u + "/post", "a=1"},
		{"-p", "Bh", "POST", u + "/post", "a=1"},
		{"-p", "HBhb", "PUT", u + "/put", "a=1"},
		{"-p", "hb", "-p", "b", u + "/get"}, // the last one wins
		{"-p", "H", "--follow", u + "/redirect/2"},
		{"-p", "H", "--follow", u + "/cookies/set?k=v"}, // the next hop carries the cookie
		{"-p", "hb", "--all", "--follow", u + "/redirect/1"},
		{"-v", u + "/get"},
		{"-v", "POST", u + "/post", "a=1"},
		{"-v", "--follow", u + "/redirect/2"}, // -v implies --all
		{"--headers", u + "/get"},
		{"-b", u + "/get"},
		{"-q", u + "/get"},
		{"-q", u + "/status/500"},
		// --pretty, piped: colours stripped (Pygments and chroma choose
		// their own escape codes), formatting compared.
		{"--pretty=all", u + "/json"},
		{"--pretty=colors", u + "/json"},
		{"--pretty=format", u + "/json"},
		{"--pretty=none", u + "/json"},
		{"--pretty=format", u + "/xml"},
		{"--pretty=format", u + "/stream/1"}, // JSON in text/plain is formatted too
		{"--pretty=format", "-v", "POST", u + "/post", "a=1"},
		{"--pretty=format", "--unsorted", u + "/json"},
		{"--pretty=format", "--unsorted", "POST", u + "/anything", "z=1", "a=2"},
		{"--max-headers=100", u + "/response-headers?" + strings.Repeat("X-Many=1&", 120)},
		{"--stream", u + "/stream/3"},
		{"--session-read-only=" + filepath.Join(dir, "none.json"), u + "/cookies/set?a=1", "--follow"},
	}
	// strip removes what differs by design: the Date header, the tools'
	// own User-Agent as the server echoes it, and header order, in every
	// head of the output (--all prints several).
	strip := func(out, cmdline string) string {
		echo := strings.Contains(out, `"User-Agent"`) || echoes(cmdline)
		if strings.Contains(out, "\x1b[") {
			// Coloured: the escape codes and the line ends Pygments
			// rewrites go; what is left is compared.
			out = strings.ReplaceAll(stripANSI(out), "\r", "")
		}
		var b strings.Builder
		var hdrs []string
		inHead, request := false, false
		for _, line := range strings.SplitAfter(out, "\n") {
			bare := strings.TrimRight(line, "\r\n")
			switch {
			case !inHead && strings.HasPrefix(bare, "HTTP/"):
				inHead, request = true, false
				b.WriteString(line)
			case !inHead && requestLine.MatchString(bare):
				inHead, request = true, true
				b.WriteString(line)
			case inHead && bare == "":
				sort.Strings(hdrs)
				for _, h := range hdrs {
					b.WriteString(h)
				}
				hdrs = hdrs[:0]
				inHead = false
				b.WriteString(line)
			case inHead:
				lower := strings.ToLower(bare)
				name, _, _ := strings.Cut(lower, ":")
				if request && ignoredHeaders[name] || strings.HasPrefix(lower, "date:") {
					continue
				}
				// A response that echoes the request counts each tool's
				// own headers in its length, with or without its body
				// printed.
				if !request && name == "content-length" && echo {
					continue
				}
				hdrs = append(hdrs, line)
			default:
				b.WriteString(line)
			}
		}
		return normalizeBody(b.String())
	}
	for _, args := range cases {
		prints := []string{"", "--print=hb"}
		if slices.ContainsFunc(args, func(a string) bool {
			return a == "-p" || a == "-v" || a == "-b" || a == "-q" || a == "--headers"
		}) {
			prints = prints[:1] // the case says what to print
		}
		for _, print := range prints {
			full := append([]string{"--ignore-stdin"}, args...)
			if print != "" {
				full = append([]string{print}, full...)
			}
			name := strings.Join(full, " ")
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, httpie, full...)
				cmd.Env = append(os.Environ(), "HOME="+dir, "NO_COLOR=1")
				theirs, err := cmd.Output()
				if err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						t.Fatalf("http %s: %v", name, err)
					}
				}
				streams, out, _ := Test("")
				Main(context.Background(), append([]string{"http"}, full...), streams)
				if diff := cmp.Diff(strip(string(theirs), name), strip(out.String(), name)); diff != "" {
					t.Errorf("netkit http %s differs from HTTPie (-HTTPie +netkit):\n%s", name, diff)
				}
			})
		}
	}
}

// requestLine is the first line of a printed request head.
var requestLine = regexp.MustCompile(`^[A-Z]+ \S+ HTTP/1\.1$`)

// echoes reports a command line with a request to one of go-httpbin's
// endpoints that echo the request.
func echoes(cmdline string) bool {
	for _, p := range []string{"/get", "/post", "/put", "/patch", "/delete", "/anything", "/headers", "/redirect", "/relative-redirect", "/stream/", "/cookies"} {
		if strings.Contains(cmdline, p) {
			return true
		}
	}
	return false
}

// normalizeBody hides what the server echoes of each tool itself: its
// User-Agent, and the Accept-Encoding and Connection it sends.
func normalizeBody(s string) string {
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`"User-Agent":\s*\[\s*"[^"]*"\s*\]`),
		regexp.MustCompile(`"Accept-Encoding":\s*\[\s*"[^"]*"\s*\],?\s*`),
		regexp.MustCompile(`"Connection":\s*\[\s*"[^"]*"\s*\],?\s*`),
		regexp.MustCompile(`"user-agent": "[^"]*"`),
		// HTTPie's DELETE says Content-Length: 0, which Go cannot send.
		regexp.MustCompile(`"Content-Length":\s*\[\s*"0"\s*\],?\s*`),
	} {
		s = re.ReplaceAllString(s, "")
	}
	return s
}

// TestHTTPieTerminal: on a pseudo-terminal, netkit http shows the lines
// HTTPie shows once colours are stripped (Date aside, headers sorted),
// and colours are there.
func TestHTTPieTerminal(t *testing.T) {
	httpie := httpieCmd(t)
	py := testnet.Python(t)
	bin := netkitBinary(t)
	ts := httptest.NewServer(httpbin.New())
	defer ts.Close()
	dir := t.TempDir()
	u := ts.URL
	onTTY := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, py, append([]string{"testdata/ptyrun.py"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+dir, "TERM=xterm-256color")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return string(out)
	}
	lines := func(out, cmdline string) string {
		plain := strings.ReplaceAll(stripANSI(out), "\r", "")
		echo := strings.Contains(plain, `"User-Agent"`) || echoes(cmdline)
		var kept, hdrs []string
		inHead, request := false, false
		// Trailing blank lines are compared too: HTTPie ends each body
		// on a terminal with a blank line pair.
		for _, l := range strings.Split(plain, "\n") {
			switch {
			case !inHead && (strings.HasPrefix(l, "HTTP/") || requestLine.MatchString(l)):
				inHead, request = true, !strings.HasPrefix(l, "HTTP/")
				kept = append(kept, l)
			case !inHead:
				kept = append(kept, l)
			case l == "":
				sort.Strings(hdrs)
				kept = append(append(kept, hdrs...), l)
				hdrs, inHead = hdrs[:0], false
			default:
				name, _, _ := strings.Cut(strings.ToLower(l), ":")
				if name == "date" || request && ignoredHeaders[name] || !request && name == "content-length" && echo {
					continue
				}
				hdrs = append(hdrs, l)
			}
		}
		return normalizeBody(strings.Join(kept, "\n"))
	}
	for _, args := range [][]string{
		{u + "/get"},
		{u + "/json"},
		{"POST", u + "/post", "name=Zoë", "n:=1.5"},
		{u + "/status/418"},
		{u + "/response-headers?X-A=1"},
		{u + "/bytes/4096?seed=1"}, // binary: a notice instead
		{u + "/xml"},
		{u + "/html"},
		{"--style=monokai", u + "/json"},
		{"--style=pie-dark", u + "/json"},
		{"--style=auto", "-v", u + "/get"},
		{"-v", "POST", u + "/post", "name=Zoë", "n:=1"}, // the request body formatted too
		{"-v", "--follow", u + "/redirect/1"},           // every request and response
		{"-p", "Bb", "PUT", u + "/put", "a=1"},
		{"-b", u + "/robots.txt"},
		{"--stream", u + "/stream/2"},
		{"--stream", "-b", u + "/robots.txt"},
		{u + "/stream/1"}, // JSON in text/plain is formatted too
	} {
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			full := append([]string{"--ignore-stdin"}, args...)
			theirs := onTTY(append([]string{httpie}, full...)...)
			ours := onTTY(append([]string{bin, "http"}, full...)...)
			if !strings.Contains(ours, "\x1b[") {
				t.Errorf("no colours on a terminal: %q", ours)
			}
			if diff := cmp.Diff(lines(theirs, name), lines(ours, name)); diff != "" {
				t.Errorf("netkit http %s on a terminal differs from HTTPie (-HTTPie +netkit):\n%s", name, diff)
			}
		})
	}
}

// TestHTTPieSessionAndDownload: a session kept by each tool sends the
// same cookies back, and a download lands under the same name with the
// same bytes.
func TestHTTPieSessionAndDownload(t *testing.T) {
	httpie := httpieCmd(t)
	ts := httptest.NewServer(httpbin.New())
	defer ts.Close()
	home := t.TempDir()
	theirs := func(dir string, args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, httpie, append([]string{"--ignore-stdin"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "NO_COLOR=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("http %v: %v", args, err)
		}
		return string(out)
	}
	ours := func(args ...string) string {
		streams, out, errOut := Test("")
		if code := Main(context.Background(), append([]string{"http", "--ignore-stdin"}, args...), streams); code != 0 {
			t.Fatalf("netkit http %v: exit %d: %s", args, code, errOut)
		}
		return out.String()
	}
	dir := t.TempDir()
	hs, ns := filepath.Join(dir, "httpie.json"), filepath.Join(dir, "netkit.json")
	for _, step := range [][]string{
		{"/cookies/set?a=1&b=2", "X-Keep:yes"},
		{"/cookies/delete?a"},
		{"/cookies"},
		{"/headers"},
		// A cookie set on a redirect is sent on the next hop and kept.
		{"/cookies/set?k=v", "--follow"},
		{"/cookies"},
		// Bearer and digest credentials are kept as basic ones are.
		{"/bearer", "-A", "bearer", "-a", "tok"},
		{"/bearer"},
	} {
		url := ts.URL + step[0]
		h := theirs(dir, append([]string{"--session=" + hs, url}, step[1:]...)...)
		n := ours(append([]string{"--session=" + ns, url}, step[1:]...)...)
		if diff := cmp.Diff(normalizeBody(h), normalizeBody(n)); diff != "" {
			t.Errorf("session step %s differs (-HTTPie +netkit):\n%s", step[0], diff)
		}
	}
	// The files themselves hold the same cookies and auth (HTTPie's key
	// order and indentation aside).
	sessionFile := func(path string) any {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Auth    map[string]any   `json:"auth"`
			Cookies []map[string]any `json:"cookies"`
			Headers []map[string]any `json:"headers"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	if diff := cmp.Diff(sessionFile(hs), sessionFile(ns)); diff != "" {
		t.Errorf("session files differ (-HTTPie +netkit):\n%s", diff)
	}
	// --session-read-only uses the session and leaves it as it was.
	h := theirs(dir, "--session-read-only="+hs, "--follow", ts.URL+"/cookies/set?ro=1")
	n := ours("--session-read-only="+ns, "--follow", ts.URL+"/cookies/set?ro=1")
	if diff := cmp.Diff(normalizeBody(h), normalizeBody(n)); diff != "" {
		t.Errorf("--session-read-only differs (-HTTPie +netkit):\n%s", diff)
	}
	if diff := cmp.Diff(sessionFile(hs), sessionFile(ns)); diff != "" {
		t.Errorf("session files differ after --session-read-only (-HTTPie +netkit):\n%s", diff)
	}
	digest := func(run func(...string) string, file string) {
		url := ts.URL + "/digest-auth/auth/user/passwd/MD5"
		run("--session="+file, "-A", "digest", "-a", "user:passwd", url)
		if out := run("--session="+file, url); !strings.Contains(out, `"authenticated": true`) {
			t.Errorf("digest credentials not kept in %s: %s", file, out)
		}
	}
	digest(func(a ...string) string { return theirs(dir, a...) }, filepath.Join(dir, "httpie-digest.json"))
	digest(ours, filepath.Join(dir, "netkit-digest.json"))
	if diff := cmp.Diff(sessionFile(filepath.Join(dir, "httpie-digest.json")), sessionFile(filepath.Join(dir, "netkit-digest.json"))); diff != "" {
		t.Errorf("digest session files differ (-HTTPie +netkit):\n%s", diff)
	}

	// Downloads to files need a terminal on stdout: redirected, both
	// tools write the body there.
	py := testnet.Python(t)
	ptyrun, _ := filepath.Abs("testdata/ptyrun.py")
	bin := netkitBinary(t)
	hd, nd := t.TempDir(), t.TempDir()
	// --continue resumes the same partial file in each directory: the
	// first 1000 bytes of /range/3000, whose body is the alphabet over
	// and over.
	partial := make([]byte, 1000)
	for i := range partial {
		partial[i] = 'a' + byte(i%26)
	}
	for _, d := range []string{hd, nd} {
		if err := os.WriteFile(filepath.Join(d, "part.txt"), partial, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{ts.URL + "/bytes/3000?seed=7"},
		{ts.URL + "/response-headers?Content-Disposition=attachment%3B+filename%3D%22..%2Freport.txt%22"},
		{ts.URL + "/bytes/3000?seed=7"},
		{"--continue", "--output=part.txt", ts.URL + "/range/3000"},
	} {
		for _, run := range []struct {
			dir string
			cmd []string
		}{{hd, []string{httpie}}, {nd, []string{bin, "http"}}} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, py, append(append(append([]string{ptyrun}, run.cmd...), "--ignore-stdin", "--download"), args...)...)
			cmd.Dir = run.dir
			cmd.Env = append(os.Environ(), "HOME="+home)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", run.cmd, err, out)
			}
			cancel()
		}
	}
	hEntries, _ := os.ReadDir(hd)
	nEntries, _ := os.ReadDir(nd)
	if len(hEntries) != len(nEntries) {
		t.Fatalf("HTTPie saved %d files, netkit %d", len(hEntries), len(nEntries))
	}
	for i := range hEntries {
		if hEntries[i].Name() != nEntries[i].Name() {
			t.Errorf("file %d: HTTPie named it %q, netkit %q", i, hEntries[i].Name(), nEntries[i].Name())
			continue
		}
		hb, _ := os.ReadFile(filepath.Join(hd, hEntries[i].Name()))
		nb, _ := os.ReadFile(filepath.Join(nd, nEntries[i].Name()))
		if !bytes.Equal(hb, nb) {
			t.Errorf("%s: contents differ", hEntries[i].Name())
		}
	}
}
