package tcpserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
)

// byteConn is a net.Conn whose reads return its data in chunks of at
// most chunk bytes.
type byteConn struct {
	net.Conn
	data  []byte
	chunk int
}

func (c *byteConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.chunk)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// FuzzSniffTLS: whatever a client sends, sniffConn either passes every
// byte through unchanged (the first one begins a TLS handshake record)
// or fails the first read with a *NotTLSError holding what that read
// returned; and looksLikeHTTP agrees with net/http's prefixes on
// 5 bytes or more.
func FuzzSniffTLS(f *testing.F) {
	for _, s := range []string{"", "hi\n", "\x16\x03\x01\x00\x20\xff", "GET / HTTP/1.1\r\n", "OPTIONS * HTTP/1.1\r\n", "GE", "\x16", "PATCH / HTTP/1.1\r\n"} {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		c := &sniffConn{Conn: &byteConn{data: bytes.Clone(data), chunk: int(chunk%16) + 1}}
		got, err := io.ReadAll(c)
		var nte *NotTLSError
		switch {
		case len(data) == 0 || data[0] == recordTypeHandshake:
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("TLS-looking input %q: read %q, %v; want it unchanged", data, got, err)
			}
		case !errors.As(err, &nte):
			t.Fatalf("input %q beginning with %#x: read %q, %v; want a *NotTLSError", data, data[0], got, err)
		case len(got) != 0 || len(nte.Prefix) == 0 || !bytes.HasPrefix(data, nte.Prefix):
			t.Fatalf("input %q: read %q, prefix %q; want nothing read and a prefix of the input", data, got, nte.Prefix)
		}
		if len(data) >= 5 {
			want := false
			for _, m := range httpMethodPrefixes {
				want = want || string(data[:5]) == m
			}
			if looksLikeHTTP(data) != want {
				t.Fatalf("looksLikeHTTP(%q) = %v, want %v", data, !want, want)
			}
		}
	})
}
