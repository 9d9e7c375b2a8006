package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
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
