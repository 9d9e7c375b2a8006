package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// MaxResponseHeader bounds the header section of one HTTP response (the
// status line, the header lines and, for chunked bodies, the trailers):
// a server that sends more is broken or hostile, and the request fails as
// a protocol error rather than the generator buffering it.
const MaxResponseHeader = 1 << 20

// The engine's protocol errors, each matching ErrProtocol.
var (
	errNoAnswer       = errors.New("the connection ended before an answer")
	errHeaderTooLarge = fmt.Errorf("%w: response header larger than %d bytes", ErrProtocol, MaxResponseHeader)
	errSwitching      = fmt.Errorf("%w: 101 Switching Protocols is not an answer a load test can count", ErrProtocol)
)

func malformed(what string, b []byte) error {
	return fmt.Errorf("%w: malformed %s %.60q", ErrProtocol, what, b)
}

// h1Response is what the engine keeps of one response: nothing that needs
// an allocation.
type h1Response struct {
	status    int
	bodyBytes int64
	// close says the connection cannot carry another request: the server
	// said so, spoke HTTP/1.0 without keep-alive, or delimited the body by
	// closing.
	close bool
}

// readH1Response reads one final response from br: interim 1xx responses
// are skipped, and the body is read and discarded, at most maxBody bytes
// of it. head says the request was HEAD, whose response has no body.
//
// An error that matches errNoAnswer says that the connection ended
// before the first byte of the response: on a reused keep-alive
// connection that is the server closing it idle, and the request may be
// retried on a new one.
func readH1Response(br *bufio.Reader, head bool, maxBody int) (h1Response, error) {
	budget := MaxResponseHeader
	first := true
	for {
		r, f, err := readH1Head(br, &budget, first)
		if err != nil {
			return r, err
		}
		first = false
		if r.status == http.StatusSwitchingProtocols {
			return r, errSwitching
		}
		if r.status < 200 {
			continue // 100 Continue, 103 Early Hints: the answer follows
		}
		if head || r.status == http.StatusNoContent || r.status == http.StatusNotModified {
			return r, nil
		}
		switch {
		case f.chunked:
			r.bodyBytes, err = readChunked(br, &budget, maxBody)
		case f.length >= 0:
			if f.length > int64(maxBody) {
				return r, errReplyTooLong
			}
			var n int
			n, err = br.Discard(int(f.length))
			r.bodyBytes = int64(n)
			err = unexpected(err)
		default:
			// No framing: the body runs to the connection's end.
			r.close = true
			r.bodyBytes, err = discardToEOF(br, maxBody)
		}
		return r, err
	}
}

// readChunked reads a chunked body and its trailers, returning the size
// of the data. Chunk extensions are skipped.
func readChunked(br *bufio.Reader, budget *int, maxBody int) (int64, error) {
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return total, malformed("chunk size line (too long)", line[:min(32, len(line))])
			}
			return total, unexpected(err)
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return total, malformed("chunk size line", line)
		}
		if size == 0 {
			var f h1Framing
			var closeConn bool
			return total, readHeaders(br, budget, &f, &closeConn) // trailers
		}
		if total+size > int64(maxBody) {
			return total, errReplyTooLong
		}
		n, err := br.Discard(int(size))
		total += int64(n)
		if err != nil {
			return total, unexpected(err)
		}
		crlf, err := br.ReadSlice('\n')
		if err != nil {
			return total, unexpected(err)
		}
		if len(crlf) == 2 && crlf[0] != '\r' || len(crlf) > 2 {
			return total, malformed("chunk end", crlf)
		}
	}
}

// parseChunkSize parses "HEX[;ext...]\r\n".
func parseChunkSize(line []byte) (int64, bool) {
	line = bytes.TrimRight(line, "\r\n")
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range line {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | int64(c)
	}
	return n, true
}

// discardToEOF reads a body delimited by the connection's close.
func discardToEOF(br *bufio.Reader, maxBody int) (int64, error) {
	var total int64
	for {
		n, err := br.Discard(br.Buffered())
		total += int64(n)
		if total > int64(maxBody) {
			return total, errReplyTooLong
		}
		if _, err = br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				return total, nil
			}
			return total, err
		}
	}
}

// h1Framing is how a response's body is delimited.
type h1Framing struct {
	length    int64 // -1: none given
	chunked   bool
	encoded   bool // a Transfer-Encoding was given
	keepAlive bool // "Connection: keep-alive", which HTTP/1.0 needs
}

// readH1Head reads a status line and header section.
func readH1Head(br *bufio.Reader, budget *int, first bool) (h1Response, h1Framing, error) {
	var r h1Response
	f := h1Framing{length: -1}
	// Bytes that cannot begin a status line are refused as soon as they
	// come, rather than when a line end or the timeout does: a server
	// of another protocol may send no line end at all.
	if _, err := br.Peek(1); err == nil {
		if b, _ := br.Peek(br.Buffered()); !looksHTTP(b) {
			return r, f, malformed("status line", b)
		}
	}
	line, err := readHeaderLine(br, budget)
	if err != nil {
		if first && len(line) == 0 && br.Buffered() == 0 {
			// Not a byte of an answer: the server closed the connection
			// (or reset it) before this request, or without serving it.
			return r, f, fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return r, f, unexpected(err)
	}
	// HTTP/1.x SP 3DIGIT [SP reason]
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || (line[7] != '0' && line[7] != '1') ||
		line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
		return r, f, malformed("status line", line)
	}
	http10 := line[7] == '0'
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return r, f, malformed("status line", line)
		}
		r.status = r.status*10 + int(c-'0')
	}
	if r.status < 100 {
		return r, f, malformed("status line", line)
	}
	if err := readHeaders(br, budget, &f, &r.close); err != nil {
		return r, f, err
	}
	if http10 {
		// Transfer-Encoding is HTTP/1.1's; an HTTP/1.0 answer that names
		// it is framed as if it did not, as net/http reads it.
		f.chunked, f.encoded = false, false
		if !f.keepAlive {
			r.close = true
		}
	}
	if f.encoded && !f.chunked {
		// Transfer-Encoding overrides Content-Length, and without chunked
		// last the body runs to the connection's end (RFC 9112, section
		// 6.3).
		f.length = -1
	}
	if f.chunked && f.length >= 0 {
		// Both framings: chunked wins, and the connection is not to be
		// trusted with another request (RFC 9112, section 6.3).
		r.close = true
	}
	return r, f, nil
}

// readHeaders reads header lines up to the empty line, noting the
// framing fields.
func readHeaders(br *bufio.Reader, budget *int, f *h1Framing, closeConn *bool) error {
	for {
		line, err := readHeaderLine(br, budget)
		if err != nil {
			return unexpected(err)
		}
		if len(line) == 0 {
			return nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // obsolete line folding of a field the engine ignores
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
			return malformed("header line", line)
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		switch {
		case asciiEqualFold(name, "content-length"):
			n, ok := parseContentLength(value)
			if !ok || (f.length >= 0 && n != f.length) {
				return malformed("Content-Length", value)
			}
			f.length = n
		case asciiEqualFold(name, "transfer-encoding"):
			// The last coding decides: chunked, or the body runs to the
			// connection's end.
			last := value
			if i := bytes.LastIndexByte(value, ','); i >= 0 {
				last = bytes.Trim(value[i+1:], " \t")
			}
			f.encoded = true
			f.chunked = asciiEqualFold(last, "chunked")
			if !f.chunked {
				*closeConn = true
			}
		case asciiEqualFold(name, "connection"):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.Trim(tok, " \t")
				if asciiEqualFold(tok, "close") {
					*closeConn = true
				} else if asciiEqualFold(tok, "keep-alive") {
					f.keepAlive = true
				}
			}
		}
	}
}

// unexpected turns an end of input inside a response into
// io.ErrUnexpectedEOF: the response was cut short.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readHeaderLine returns the next line without its line end, charging it
// to budget. A line longer than br's buffer is read and dropped whole
// (the engine looks at no field that long); its name alone is returned,
// so a framing field too long to read fails as malformed.
func readHeaderLine(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	*budget -= len(line)
	if *budget < 0 {
		return nil, errHeaderTooLarge
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		// Keep what identifies the field; the rest is skipped.
		var name [32]byte
		n := copy(name[:], line)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			*budget -= len(line)
			if *budget < 0 {
				return nil, errHeaderTooLarge
			}
		}
		if err != nil {
			return nil, err
		}
		nm := name[:n]
		if i := bytes.IndexByte(nm, ':'); i > 0 {
			nm = nm[:i]
			if asciiEqualFold(nm, "content-length") || asciiEqualFold(nm, "transfer-encoding") || asciiEqualFold(nm, "connection") {
				return nil, malformed("header line (too long)", nm)
			}
		}
		return []byte("x-skipped: "), nil
	}
	if err != nil {
		return line, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// asciiEqualFold reports whether b equals s, which is lower case, ignoring
// ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// h1Request is one prepared request: its bytes, built once, and where it
// goes.
type h1Request struct {
	origin int // index into the engine's origins
	head   bool
	idem   bool // idempotent: safe to send again after an idle close
	bytes  []byte
}

// buildH1Request returns the bytes of one HTTP/1.1 request. Header names
// are written in a fixed (sorted) order so that runs are reproducible.
// Like wrk's, the request carries no User-Agent of its own (-H adds one):
// a header the server parses on every request is load the test did not
// ask for, about 4 % of a Go net/http server's time per request.
func buildH1Request(method string, u *url.URL, host string, header http.Header, body []byte) []byte {
	if method == "" {
		method = http.MethodGet
	}
	if host == "" {
		host = u.Host
	}
	b := make([]byte, 0, 256+len(body))
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	for _, k := range slices.Sorted(maps.Keys(header)) {
		if http.CanonicalHeaderKey(k) == "Host" || http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		for _, v := range header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// looksHTTP reports whether data can be the start of an HTTP/1.x
// response.
func looksHTTP(data []byte) bool {
	const prefix = "HTTP/1."
	n := min(len(data), len(prefix))
	return string(data[:n]) == prefix[:n]
}
