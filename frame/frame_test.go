package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	payloads := [][]byte{
		[]byte(`{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`),
		{},
		[]byte("x"),
		bytes.Repeat([]byte("ab"), 100_000), // crosses the 64 KiB growth step
		[]byte("línea\nwith a newline inside"),
	}
	var buf bytes.Buffer
	w := NewWriter(&buf, 0)
	for _, p := range payloads {
		if err := w.WriteFrame(p); err != nil {
			t.Fatalf("WriteFrame(%d bytes) = %v", len(p), err)
		}
	}
	r := NewReader(&buf, 0)
	for i, want := range payloads {
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("ReadFrame #%d = %v", i, err)
		}
		if got == nil || !bytes.Equal(got, want) {
			t.Errorf("ReadFrame #%d = %d bytes (nil %v), want %d bytes", i, len(got), got == nil, len(want))
		}
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Errorf("ReadFrame at end = %v, want io.EOF", err)
	}
}

func TestWireFormat(t *testing.T) {
	// struct.pack("!I", 5) + b"hello", as the chapter's send_json writes it.
	var buf bytes.Buffer
	if err := NewWriter(&buf, 0).WriteFrame([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "\x00\x00\x00\x05hello"; got != want {
		t.Errorf("WriteFrame(hello) wrote %q, want %q", got, want)
	}
}

func TestTruncated(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", io.EOF},
		{"half header", "\x00\x00", io.ErrUnexpectedEOF},
		{"header only", "\x00\x00\x00\x05", io.ErrUnexpectedEOF},
		{"short payload", "\x00\x00\x00\x05hel", io.ErrUnexpectedEOF},
		{"short large payload", "\x00\x02\x00\x00" + strings.Repeat("z", 70_000), io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.in), 0).ReadFrame()
			if err != tt.want {
				t.Errorf("ReadFrame(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	in := "\x00\x00\x01\x00" + strings.Repeat("a", 256)
	_, err := NewReader(strings.NewReader(in), 255).ReadFrame()
	var se *SizeError
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &se) || se.Size != 256 || se.Max != 255 || se.Op != "read" {
		t.Fatalf("ReadFrame(256 bytes, max 255) = %v, want *SizeError{read, 256, 255}", err)
	}
	// Exactly the maximum is fine.
	got, err := NewReader(strings.NewReader(in), 256).ReadFrame()
	if err != nil || len(got) != 256 {
		t.Errorf("ReadFrame(256 bytes, max 256) = %d bytes, %v", len(got), err)
	}
	err = NewWriter(io.Discard, 3).WriteFrame([]byte("four"))
	if !errors.As(err, &se) || se.Op != "write" || se.Size != 4 {
		t.Errorf("WriteFrame(4 bytes, max 3) = %v, want *SizeError{write, 4, 3}", err)
	}
}

// bytesAllocated reports the bytes f allocates, averaged over runs.
func bytesAllocated(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestDeclared4GiBDoesNotAllocate(t *testing.T) {
	hdr := []byte{0xff, 0xff, 0xff, 0xff} // 4 GiB - 1
	src := bytes.NewReader(hdr)
	r := NewReader(src, 0)
	n := bytesAllocated(100, func() {
		src.Reset(hdr)
		if _, err := r.ReadFrame(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("ReadFrame(4 GiB header) = %v, want ErrTooLarge", err)
		}
	})
	if n > 1024 {
		t.Errorf("ReadFrame(4 GiB header) allocated %d bytes per call, want only the error value", n)
	}

	// Even with the maximum raised to what the header allows, a peer that
	// declares 4 GiB and sends a few bytes costs one growth step, not 4 GiB.
	in := append(hdr, "only a few bytes"...)
	r = NewReader(src, MaxSizeLimit)
	n = bytesAllocated(10, func() {
		src.Reset(in)
		if _, err := r.ReadFrame(); err != io.ErrUnexpectedEOF {
			t.Fatalf("ReadFrame(4 GiB header, 16 bytes) = %v, want io.ErrUnexpectedEOF", err)
		}
	})
	if n > 2*growStep {
		t.Errorf("ReadFrame(4 GiB header, 16 bytes) allocated %d bytes, want at most %d", n, 2*growStep)
	}
}

// countingWriter records each Write call.
type countingWriter struct {
	mu     sync.Mutex
	writes [][]byte
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestOneWritePerFrame(t *testing.T) {
	cw := &countingWriter{}
	w := NewWriter(cw, 0)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if err := w.WriteFrame(bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*100)); err != nil {
				t.Errorf("WriteFrame = %v", err)
			}
		})
	}
	wg.Wait()
	if len(cw.writes) != 50 {
		t.Fatalf("50 frames made %d writes, want 50", len(cw.writes))
	}
	for _, b := range cw.writes {
		n := binary.BigEndian.Uint32(b)
		if int(n) != len(b)-HeaderLen || bytes.Count(b[HeaderLen:], b[HeaderLen:HeaderLen+1]) != int(n) {
			t.Errorf("write of %d bytes is not one whole frame (header says %d)", len(b), n)
		}
	}
}

func TestAppend(t *testing.T) {
	got := Append([]byte("x"), []byte("yz"))
	if diff := cmp.Diff([]byte("x\x00\x00\x00\x02yz"), got); diff != "" {
		t.Errorf("Append mismatch (-want +got):\n%s", diff)
	}
}

// chunkReader returns its input in pieces whose sizes come from sizes,
// imitating a peer whose frames arrive split across TCP segments.
type chunkReader struct {
	data  []byte
	sizes []byte
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = int(c.sizes[0]) + 1
		c.sizes = c.sizes[1:]
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func FuzzReader(f *testing.F) {
	f.Add(Append(nil, []byte(`{"id": 1, "method": "add", "params": {"a": 10, "b": 32}}`)), []byte{0, 1, 2})
	f.Add(Append(Append(nil, nil), []byte("x")), []byte{3})
	f.Add([]byte("\xff\xff\xff\xff"), []byte{})
	f.Add([]byte("\x00\x00\x10\x00abc"), []byte{1, 1})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		const max = 1 << 12
		whole := NewReader(bytes.NewReader(data), max)
		split := NewReader(&chunkReader{data: data, sizes: sizes}, max)
		for i := 0; ; i++ {
			a, errA := whole.ReadFrame()
			b, errB := split.ReadFrame()
			if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) || errors.Is(errA, ErrTooLarge) != errors.Is(errB, ErrTooLarge) {
				t.Fatalf("frame %d: whole read %q, %v; split read %q, %v", i, a, errA, b, errB)
			}
			if errA != nil {
				return
			}
			if len(a) > max {
				t.Fatalf("frame %d: %d bytes above the maximum %d", i, len(a), max)
			}
			// What was read re-encodes to the same bytes.
			if enc := Append(nil, a); !bytes.Equal(enc, data[:len(enc)]) {
				t.Fatalf("frame %d: re-encoded %q, input began %q", i, enc, data[:len(enc)])
			}
			data = data[len(a)+HeaderLen:]
		}
	})
}
