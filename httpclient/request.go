package httpclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/netkit-dev/netkit/urlparse"
)

// Content types the body helpers set.
const (
	ContentTypeJSON = "application/json; charset=utf-8"
	ContentTypeForm = "application/x-www-form-urlencoded"
)

// Request is a request before it is sent. Its body is held in memory so
// that every attempt replays it.
type Request struct {
	// Method is the request method; "" means GET, or POST when Body is
	// not nil.
	Method string

	// URL is absolute, or relative to Client.BaseURL (resolved as RFC 3986,
	// section 5, says).
	URL string

	// Query parameters are appended to URL's own query, in this order,
	// encoded as Python's urlencode does.
	Query urlparse.Query

	// Header holds the request's headers; they override the client's.
	Header http.Header

	// Boundary, if set, is the boundary SetMultipart uses instead of a
	// random one (HTTPie's --boundary).
	Boundary string

	// Chunked sends the body with chunked transfer coding instead of a
	// Content-Length (HTTPie's --chunked).
	Chunked bool

	// KeepHistory keeps the redirects followed in Response.History
	// (HTTPie's --all).
	KeepHistory bool

	// Body is sent as is on every attempt; nil means no body.
	Body []byte
}

// NewRequest returns a request for method and url.
func NewRequest(method, url string) *Request {
	return &Request{Method: method, URL: url, Header: make(http.Header)}
}

func (r *Request) header() http.Header {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	return r.Header
}

// SetJSON encodes v as the JSON body, UTF-8 with non-ASCII characters
// kept as they are (Python's ensure_ascii=False) and HTML characters not
// escaped, and sets Content-Type to application/json; charset=utf-8.
func (r *Request) SetJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("httpclient: encoding JSON body: %w", err)
	}
	r.Body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	r.header().Set("Content-Type", ContentTypeJSON)
	return nil
}

// SetForm sets the body to the form fields, URL-encoded in their order
// (application/x-www-form-urlencoded, as HTML forms send).
func (r *Request) SetForm(fields urlparse.Query) {
	r.Body = []byte(fields.Encode())
	r.header().Set("Content-Type", ContentTypeForm)
}

// File is a file part of a multipart/form-data body (RFC 7578).
type File struct {
	Field       string // the form field name
	Name        string // the file name sent to the server
	ContentType string // "" means application/octet-stream
	Data        []byte // the file's content
}

// SetMultipart sets a multipart/form-data body of the fields, in order,
// followed by the files.
func (r *Request) SetMultipart(fields urlparse.Query, files []File) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if r.Boundary != "" {
		if err := w.SetBoundary(r.Boundary); err != nil {
			return fmt.Errorf("httpclient: multipart boundary: %w", err)
		}
	}
	for _, f := range fields {
		if err := w.WriteField(f.Key, f.Value); err != nil {
			return fmt.Errorf("httpclient: multipart field %q: %w", f.Key, err)
		}
	}
	for _, f := range files {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, escapeQuotes(f.Field), escapeQuotes(f.Name)))
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		p, err := w.CreatePart(h)
		if err == nil {
			_, err = p.Write(f.Data)
		}
		if err != nil {
			return fmt.Errorf("httpclient: multipart file %q: %w", f.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("httpclient: multipart body: %w", err)
	}
	r.Body = buf.Bytes()
	r.header().Set("Content-Type", w.FormDataContentType())
	return nil
}

// escapeQuotes escapes a file or field name for a quoted Content-Disposition
// parameter, as mime/multipart does (it does not export it).
var escapeQuotes = strings.NewReplacer("\\", "\\\\", `"`, "\\\"").Replace

func (r *Request) method() string {
	switch {
	case r.Method != "":
		return r.Method
	case r.Body != nil:
		return http.MethodPost
	}
	return http.MethodGet
}
