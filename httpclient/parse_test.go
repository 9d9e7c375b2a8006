package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/netkit-dev/netkit/netclass"
)

func TestParseContentType(t *testing.T) {
	tests := []struct {
		in                 string
		media, cs, bnd     string
		effective          string
		json, text, hasErr bool
	}{
		{in: "application/json", media: "application/json", effective: "utf-8", json: true},
		{in: "application/json; charset=utf-8", media: "application/json", cs: "utf-8", effective: "utf-8", json: true},
		{in: "Application/LD+JSON", media: "application/ld+json", effective: "utf-8", json: true},
		{in: "application/problem+json", media: "application/problem+json", effective: "utf-8", json: true},
		{in: "text/html; charset=iso-8859-1", media: "text/html", cs: "iso-8859-1", effective: "iso-8859-1", text: true},
		{in: `text/html; CHARSET="Shift_JIS"`, media: "text/html", cs: "Shift_JIS", effective: "Shift_JIS", text: true},
		{in: `multipart/form-data; boundary="----WebKitFormBoundary"`, media: "multipart/form-data", bnd: "----WebKitFormBoundary", effective: "utf-8"},
		{in: "text/plain", media: "text/plain", effective: "iso-8859-1", text: true},
		{in: "application/octet-stream", media: "application/octet-stream", effective: "utf-8"},
		{in: "", effective: "utf-8"},
		{in: "text/plain; charset", hasErr: true, effective: "utf-8"},
		{in: "/json", hasErr: true, effective: "utf-8"},
	}
	for _, tt := range tests {
		ct, err := ParseContentType(tt.in)
		if (err != nil) != tt.hasErr {
			t.Errorf("ParseContentType(%q) error = %v, want error %v", tt.in, err, tt.hasErr)
		}
		got := fmt.Sprint(ct.MediaType, "|", ct.Charset, "|", ct.Boundary, "|", ct.EffectiveCharset(), "|", ct.IsJSON(), "|", ct.IsText())
		want := fmt.Sprint(tt.media, "|", tt.cs, "|", tt.bnd, "|", tt.effective, "|", tt.json, "|", tt.text)
		if got != want {
			t.Errorf("ParseContentType(%q) = %s, want %s", tt.in, got, want)
		}
	}
}

func TestDecodeText(t *testing.T) {
	tests := []struct {
		body    string
		charset string
		want    string
		wantErr error
	}{
		{"caf\xc3\xa9", "", "café", nil},
		{"caf\xc3\xa9", "UTF-8", "café", nil},
		{"R\xe9sum\xe9", "iso-8859-1", "Résumé", nil},
		{"R\xe9sum\xe9", "latin1", "Résumé", nil},
		{"\x80", "iso-8859-1", "\u0080", nil},                  // ISO-8859-1 proper, not windows-1252
		{"\x80", "windows-1252", "€", nil},                     // ...which this is
		{"\x82\xa0", "Shift_JIS", "あ", nil},                    // a WHATWG and IANA name
		{"\xef\xbb\xbfcaf\xc3\xa9", "iso-8859-1", "café", nil}, // the BOM wins
		{"\xff\xfec\x00a\x00", "", "ca", nil},                  // UTF-16LE by its BOM
		{"\xfe\xff\x00c\x00a", "", "ca", nil},                  // UTF-16BE by its BOM
		{"bad \xff", "utf-8", "bad \uFFFD", nil},
		{"x", "klingon", "", ErrUnknownCharset},
	}
	for _, tt := range tests {
		got, err := DecodeText([]byte(tt.body), tt.charset)
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("DecodeText(%q, %q) = %q, %v; want %q, %v", tt.body, tt.charset, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := DecodeText(nil, "klingon"); err == nil || !contains(err.Error(), "klingon") {
		t.Errorf("unknown charset error %v does not name it", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func isValidUTF8(s string) bool { return utf8.ValidString(s) }

// TestClassify: the client's errors and the errors it meets classify as
// netclass says, and Retryable follows the class.
func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	tests := []struct {
		name      string
		err       error
		want      netclass.Class
		retryable bool
	}{
		{"nil", nil, "", false},
		{"no such host", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, netclass.DNS, false},
		{"dns server failure", &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, netclass.DNS, true},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, netclass.Timeout, true},
		{"refused", opErr(syscall.ECONNREFUSED), netclass.Refused, true},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, netclass.Reset, true},
		{"broken pipe", opErr(syscall.EPIPE), netclass.Reset, true},
		{"aborted", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNABORTED)}, netclass.Reset, true},
		{"closed on this side", &net.OpError{Op: "write", Err: net.ErrClosed}, netclass.Closed, false},
		{"no port left", opErr(syscall.EADDRNOTAVAIL), netclass.Addr, false},
		{"no descriptor left", &net.OpError{Op: "dial", Err: os.NewSyscallError("socket", syscall.EMFILE)}, netclass.Addr, false},
		{"cut body", fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), netclass.EOF, true},
		{"closed before response", io.EOF, netclass.EOF, true},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), netclass.Timeout, true},
		{"socket deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, netclass.Timeout, true},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), netclass.Canceled, false},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, netclass.TLS, false},
		{"hostname", x509.HostnameError{Host: "x"}, netclass.TLS, false},
		{"not tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, netclass.TLS, false},
		{"404", &StatusError{StatusCode: 404, Status: "Not Found"}, netclass.HTTP4xx, false},
		{"429", &StatusError{StatusCode: 429, Status: "Too Many Requests"}, netclass.HTTP4xx, true},
		{"503", &StatusError{StatusCode: 503, Status: "Service Unavailable"}, netclass.HTTP5xx, true},
		{"501", &StatusError{StatusCode: 501, Status: "Not Implemented"}, netclass.HTTP5xx, false},
		{"too large", fmt.Errorf("%w: more", ErrBodyTooLarge), netclass.BodyTooLarge, false},
		{"max bytes", &http.MaxBytesError{Limit: 10}, netclass.BodyTooLarge, false},
		{"redirects", ErrTooManyRedirects, netclass.Redirects, false},
		{"message text is not read", errors.New("connection refused"), netclass.Other, false},
		{"wrapped Error", fmt.Errorf("x: %w", &Error{Class: netclass.Refused}), netclass.Refused, false},
	}
	for _, tt := range tests {
		if got := netclass.Of(tt.err); got != tt.want {
			t.Errorf("%s: netclass.Of(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
		if tt.err != nil && tt.name != "wrapped Error" {
			if got := Retryable(tt.err); got != tt.retryable {
				t.Errorf("%s: Retryable(%v) = %v, want %v", tt.name, tt.err, got, tt.retryable)
			}
		}
	}
}

func TestMethodTable(t *testing.T) {
	var idempotent []string
	for _, m := range Methods {
		if m.Idempotent {
			idempotent = append(idempotent, m.Name)
		}
		if m.Safe && !m.Idempotent {
			t.Errorf("%s is safe but not idempotent; RFC 9110 9.2.2 says safe methods are idempotent", m.Name)
		}
	}
	if diff := cmp.Diff([]string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}, idempotent); diff != "" {
		t.Errorf("idempotent methods (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		method string
		key    bool
		want   bool
	}{{"GET", false, true}, {"POST", false, false}, {"POST", true, true}, {"PATCH", false, false}, {"PATCH", true, true}, {"get", false, false}, {"BREW", false, false}} {
		if got := retryableMethod(tt.method, tt.key); got != tt.want {
			t.Errorf("retryableMethod(%q, key %v) = %v, want %v", tt.method, tt.key, got, tt.want)
		}
	}
}

func TestStatusClassOf(t *testing.T) {
	for code, want := range map[int]StatusClass{100: StatusInformational, 204: StatusSuccess, 304: StatusRedirect, 429: StatusClientError, 599: StatusServerError, 600: StatusUnknown, 99: StatusUnknown} {
		if got := StatusClassOf(code); got != want {
			t.Errorf("StatusClassOf(%d) = %v, want %v", code, got, want)
		}
	}
}

func FuzzParseContentType(f *testing.F) {
	for _, s := range []string{"application/json", "text/html; charset=iso-8859-1", `multipart/form-data; boundary="----WebKitFormBoundary"`, "text/plain; charset", `a/b; x*=UTF-8''%E2%82%AC`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ct, err := ParseContentType(s)
		if err != nil {
			return
		}
		_ = ct.EffectiveCharset()
		// What parses formats back into something that parses the same.
		if ct.MediaType != "" {
			again, err := ParseContentType(ct.String())
			if err == nil && again.MediaType != ct.MediaType {
				t.Errorf("ParseContentType(%q) media type %q, after a round trip %q", s, ct.MediaType, again.MediaType)
			}
		}
	})
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("R\xe9sum\xe9"), "iso-8859-1")
	f.Add([]byte("\xef\xbb\xbfcaf\xc3\xa9"), "")
	f.Add([]byte("\xff\xfec\x00"), "utf-16")
	f.Add([]byte("\x82\xa0"), "shift_jis")
	f.Fuzz(func(t *testing.T, body []byte, charset string) {
		s, err := DecodeText(body, charset)
		if err == nil && !isValidUTF8(s) {
			t.Errorf("DecodeText(%q, %q) = %q, not valid UTF-8", body, charset, s)
		}
	})
}
