package loadgen

import (
	"bufio"
	"strings"
	"testing"
)

// TestReadH1ResponseFraming: how the parser frames bodies that net/http
// refuses to read, and so the differential fuzz target cannot check.
func TestReadH1ResponseFraming(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		status    int
		bodyBytes int64
		close     bool
	}{
		{"Transfer-Encoding overrides Content-Length, to the close",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabcdef", 200, 6, true},
		{"Content-Length after Transfer-Encoding, to the close",
			"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip\r\n\r\nabcdef", 200, 6, true},
		{"chunked last wins over Content-Length",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n6\r\nabcdef\r\n0\r\n\r\n", 200, 6, true},
		{"HTTP/1.0 frames by Content-Length, and trusts the connection no more",
			"HTTP/1.0 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabcdef", 200, 3, true},
		{"a status above 599",
			"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nhi", 999, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := readH1Response(bufio.NewReader(strings.NewReader(tc.in)), false, 1<<10)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tc.status || r.bodyBytes != tc.bodyBytes || r.close != tc.close {
				t.Errorf("status %d, %d body bytes, close %v; want %d, %d, %v", r.status, r.bodyBytes, r.close, tc.status, tc.bodyBytes, tc.close)
			}
		})
	}
}
