package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseChatLine feeds delivered chat lines to the parser the chat
// target's readers use: it must never panic, and what it accepts must
// round-trip through the format the sender writes.
func FuzzParseChatLine(f *testing.F) {
	f.Add([]byte("[12:00:01] 127.0.0.1:50000: nkb 3 17 1700000000000000000 1700000000000100000\n"))
	f.Add([]byte("[12:00:01] alice: nkb 0 1 5 6\n"))
	f.Add([]byte("[12:00:01] * alice joined lobby\n"))
	f.Add([]byte("Welcome! You are 127.0.0.1:50000. 3 client(s) connected.\n"))
	f.Add([]byte("[12:00:01] bob: nkb x 1 2 3\n"))
	f.Add([]byte(": nkb 1 2 3 4 5"))
	f.Fuzz(func(t *testing.T, line []byte) {
		from, seq, intended, sent, ok := parseChatLine(line)
		if !ok {
			return
		}
		msg := "[00:00:00] n: nkb " + strconv.Itoa(from) + " " + strconv.FormatUint(seq, 10) + " " +
			strconv.FormatInt(intended.UnixNano(), 10) + " " + strconv.FormatInt(sent.UnixNano(), 10) + "\n"
		f2, s2, i2, n2, ok2 := parseChatLine([]byte(msg))
		if !ok2 || f2 != from || s2 != seq || !i2.Equal(intended) || !n2.Equal(sent) {
			t.Errorf("parseChatLine(%q) = %d %d %v %v, but its re-encoding %q parses as %d %d %v %v %v",
				line, from, seq, intended, sent, msg, f2, s2, i2, n2, ok2)
		}
	})
}

// FuzzReadLine splits input into lines with the bounded reader the line
// targets use, with a small buffer so long lines take the slow path: the
// lines must be the input's, and none longer than the maximum.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("ECHO: ping\n+PONG\r\n"), 16)
	f.Add([]byte("OK"), 4)
	f.Add(bytes.Repeat([]byte("a"), 100), 64)
	f.Add([]byte("\n\n\n"), 1)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<16 {
			return
		}
		br := bufio.NewReaderSize(bytes.NewReader(in), 16)
		var got []byte
		for {
			line, err := readLine(br, max)
			if len(line) > max && err == nil {
				t.Fatalf("readLine returned %d bytes, max %d", len(line), max)
			}
			if errors.Is(err, errReplyTooLong) {
				return
			}
			got = append(got, line...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("readLine: %v", err)
			}
			if len(line) == 0 || line[len(line)-1] != '\n' {
				t.Fatalf("line %q without its newline and no error", line)
			}
		}
		if !bytes.Equal(got, in) {
			t.Errorf("lines joined = %q, want %q", got, in)
		}
	})
}

// FuzzReadH1Response feeds raw bytes to the engine's response parser, as
// the first and only answer on a connection. It must never panic or read
// past its bounds, and where both it and net/http's parser accept a
// response, they must agree on its status and on its body's size.
func FuzzReadH1Response(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nuntil the end",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabcdef",
		"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, head bool) {
		const maxBody = 1 << 12
		br := bufio.NewReaderSize(bytes.NewReader(in), 64)
		r, err := readH1Response(br, head, maxBody)
		if err != nil {
			return
		}
		if r.status < 200 || r.status > 999 || r.bodyBytes < 0 || r.bodyBytes > maxBody {
			t.Fatalf("accepted status %d with a body of %d bytes", r.status, r.bodyBytes)
		}
		method := "GET"
		if head {
			method = "HEAD"
		}
		hr := bufio.NewReader(bytes.NewReader(in))
		resp, err := http.ReadResponse(hr, &http.Request{Method: method})
		for err == nil && resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != 101 {
			// net/http hands interim answers back; the engine skips them.
			resp, err = http.ReadResponse(hr, &http.Request{Method: method})
		}
		if err != nil {
			return // net/http is stricter in places (obsolete folding, some codings)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil {
			return
		}
		if resp.StatusCode != r.status || n != r.bodyBytes {
			t.Errorf("engine: status %d, %d body bytes; net/http: status %d, %d body bytes", r.status, r.bodyBytes, resp.StatusCode, n)
		}
	})
}

// FuzzParseTargets: the targets parser never panics, and every request it
// returns can be built into HTTP/1.1 bytes that net/http reads back as the
// same method, target and headers.
func FuzzParseTargets(f *testing.F) {
	f.Add("GET http://127.0.0.1:8080/a?x=1\nX-K: 1\n\nPOST http://127.0.0.1/b\nContent-Type: text/plain\n@body\n")
	f.Add("# comment\nDELETE https://[::1]:8443/c\n\n\n")
	f.Add("GET http://h/\n@x\n@y\n")
	f.Add("get http://h/\n")
	f.Fuzz(func(t *testing.T, in string) {
		reqs, err := ParseTargets(strings.NewReader(in), func(string) ([]byte, error) { return []byte("body"), nil })
		if err != nil {
			if !errors.Is(err, ErrTargets) {
				t.Fatalf("error %v does not match ErrTargets", err)
			}
			return
		}
		for _, r := range reqs {
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatalf("accepted URL %q: %v", r.URL, err)
			}
			b := buildH1Request(r.Method, u, "", r.Header, r.Body)
			hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatalf("request built from %+v does not parse: %v\n%q", r, err, b)
			}
			if hr.Method != r.Method || hr.RequestURI != u.RequestURI() {
				t.Errorf("built %s %s, read back %s %s", r.Method, u.RequestURI(), hr.Method, hr.RequestURI)
			}
			for k, vs := range r.Header {
				ck := http.CanonicalHeaderKey(k)
				if ck == "Host" || ck == "Content-Length" {
					continue
				}
				if got := hr.Header.Values(k); !slices.Equal(got, vs) {
					t.Errorf("header %s: built %q, read back %q", k, vs, got)
				}
			}
		}
	})
}
