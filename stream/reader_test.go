package stream

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// readers returns the ways a test feeds input: whole, one byte per read
// (partial reads), and half-and-half.
func readers(s string) map[string]func() io.Reader {
	return map[string]func() io.Reader{
		"whole":   func() io.Reader { return strings.NewReader(s) },
		"onebyte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
		"halves": func() io.Reader {
			return io.MultiReader(iotest.HalfReader(strings.NewReader(s[:len(s)/2])), strings.NewReader(s[len(s)/2:]))
		},
	}
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		want    []string
		wantErr error // after the lines
	}{
		{"a\nbb\n", 0, []string{"a\n", "bb\n"}, io.EOF},
		{"a\nbb", 0, []string{"a\n"}, io.ErrUnexpectedEOF},
		{"", 0, nil, io.EOF},
		{"12345\n", 6, []string{"12345\n"}, io.EOF},
		{"123456\n", 6, nil, ErrTooLong},
		{"1234567", 6, nil, ErrTooLong},
		{"ab\n" + strings.Repeat("x", 10000), 100, []string{"ab\n"}, ErrTooLong},
		{strings.Repeat("y", 9000) + "\n", 10000, []string{strings.Repeat("y", 9000) + "\n"}, io.EOF},
	}
	for _, tt := range tests {
		for name, mk := range readers(tt.in) {
			r := NewReader(mk(), tt.max)
			var got []string
			var err error
			for {
				var line []byte
				line, err = r.ReadLine()
				if err != nil {
					break
				}
				got = append(got, string(line))
			}
			if !slicesEqual(got, tt.want) || !errors.Is(err, tt.wantErr) {
				t.Errorf("%s: ReadLine over %.20q (max %d) = %.40q, %v; want %.40q, %v", name, tt.in, tt.max, got, err, tt.want, tt.wantErr)
			}
		}
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIncompletePartial(t *testing.T) {
	r := NewReader(strings.NewReader("HDR!tail"), 0)
	if b, err := r.ReadExactly(4); err != nil || string(b) != "HDR!" {
		t.Fatalf("ReadExactly(4) = %q, %v; want HDR!", b, err)
	}
	_, err := r.ReadExactly(10)
	var ie *IncompleteError
	if !errors.As(err, &ie) || string(ie.Partial) != "tail" || ie.Expected != 10 {
		t.Fatalf("ReadExactly(10) error = %v; want IncompleteError with partial %q", err, "tail")
	}
	if _, err := r.ReadExactly(1); err != io.EOF {
		t.Errorf("ReadExactly after the end = %v; want io.EOF", err)
	}
	if _, err := NewReader(strings.NewReader(""), 8).ReadExactly(9); !errors.Is(err, ErrTooLong) {
		t.Errorf("ReadExactly(9) with max 8 = %v; want ErrTooLong", err)
	}
}

func TestReadUntil(t *testing.T) {
	in := "GET / HTTP/1.1\r\nHost: x\r\n\r\nbody"
	for name, mk := range readers(in) {
		r := NewReader(mk(), 0)
		head, err := r.ReadUntil([]byte("\r\n\r\n"))
		if err != nil || string(head) != "GET / HTTP/1.1\r\nHost: x\r\n\r\n" {
			t.Errorf("%s: ReadUntil(CRLFCRLF) = %q, %v", name, head, err)
		}
		rest, err := r.ReadAll()
		if err != nil || string(rest) != "body" {
			t.Errorf("%s: ReadAll = %q, %v; want body", name, rest, err)
		}
	}
}

func TestReadAll(t *testing.T) {
	tests := []struct {
		in      string
		max     int
		wantErr error
	}{
		{"", 10, nil},
		{"0123456789", 10, nil},
		{"0123456789A", 10, ErrTooLong},
		{strings.Repeat("z", 70000), 0, ErrTooLong},
		{strings.Repeat("z", 65536), 0, nil},
	}
	for _, tt := range tests {
		for name, mk := range readers(tt.in) {
			b, err := NewReader(mk(), tt.max).ReadAll()
			if !errors.Is(err, tt.wantErr) || (err == nil && string(b) != tt.in) {
				t.Errorf("%s: ReadAll(%d bytes, max %d) = %d bytes, %v; want %v", name, len(tt.in), tt.max, len(b), err, tt.wantErr)
			}
		}
	}
}

func TestRead(t *testing.T) {
	r := NewReader(strings.NewReader("line\nRemaining data"), 0)
	r.ReadLine()
	p := make([]byte, 100)
	n, err := r.Read(p)
	if err != nil || string(p[:n]) != "Remaining data" {
		t.Errorf("Read = %q, %v", p[:n], err)
	}
	if n, err := r.Read(p); n != 0 || err != io.EOF {
		t.Errorf("Read at end = %d, %v; want 0, EOF", n, err)
	}
	big := bytes.Repeat([]byte("q"), 10000)
	r = NewReader(bytes.NewReader(big), 0)
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, big) {
		t.Errorf("io.ReadAll through Reader = %d bytes, %v", len(got), err)
	}
}

// TestTooLongBounded feeds a 10 MiB line without a newline and checks that
// the reader stops at its maximum instead of buffering the line.
func TestTooLongBounded(t *testing.T) {
	src := &countingReader{r: io.LimitReader(neverNewline{}, 10<<20)}
	r := NewReader(src, 0)
	_, err := r.ReadLine()
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("ReadLine over 10 MiB = %v; want ErrTooLong", err)
	}
	if src.n > DefaultMax+1 {
		t.Errorf("reader consumed %d bytes before giving up; want at most %d", src.n, DefaultMax+1)
	}
}

type neverNewline struct{}

func (neverNewline) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestFillAndRelease(t *testing.T) {
	r := NewReader(strings.NewReader(""), 0)
	n, err := r.Fill(func(p []byte) (int, error) { return 0, errors.New("would block") })
	if n != 0 || err == nil || r.bufp != nil {
		t.Fatalf("Fill with nothing read = %d, %v, holding buffer %v; want 0, error, no buffer", n, err, r.bufp != nil)
	}
	n, err = r.Fill(func(p []byte) (int, error) { return copy(p, "hi\nthere"), nil })
	if n != 8 || err != nil || r.Buffered() != 8 {
		t.Fatalf("Fill = %d, %v, buffered %d; want 8, nil, 8", n, err, r.Buffered())
	}
	if line, err := r.ReadLine(); string(line) != "hi\n" || err != nil {
		t.Errorf("ReadLine after Fill = %q, %v", line, err)
	}
	r.Release()
	if r.bufp == nil {
		t.Error("Release dropped a buffer holding unread data")
	}
	r.ReadExactly(5)
	r.Release()
	if r.bufp != nil {
		t.Error("Release kept the buffer of an empty reader")
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint8(0), uint16(8))
	f.Add([]byte("HDR!A line of text\nRemaining data"), uint8(3), uint16(16))
	f.Add([]byte("a\r\n\r\nb"), uint8(1), uint16(3))
	f.Fuzz(func(t *testing.T, in []byte, op uint8, max uint16) {
		m := int(max%200) + 1
		for _, split := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(in)
			if split {
				src = iotest.OneByteReader(src)
			}
			r := NewReader(src, m)
			var out []byte
			for i := 0; i < len(in)+2; i++ {
				var b []byte
				var err error
				switch (int(op) + i) % 4 {
				case 0:
					b, err = r.ReadLine()
				case 1:
					b, err = r.ReadUntil([]byte("\r\n"))
				case 2:
					b, err = r.ReadExactly(i%7 + 1)
				case 3:
					p := make([]byte, i%5+1)
					var n int
					n, err = r.Read(p)
					b = p[:n]
				}
				if op := (int(op) + i) % 4; op != 3 && len(b) > m {
					t.Fatalf("unit of %d bytes with max %d", len(b), m)
				}
				out = append(out, b...)
				var ie *IncompleteError
				if errors.As(err, &ie) {
					out = append(out, ie.Partial...)
				}
				if errors.Is(err, ErrTooLong) {
					return // the rest of the buffer was discarded
				}
				if err == io.EOF {
					break
				}
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("split=%v: read back %q, want %q", split, out, in)
			}
		}
	})
}
