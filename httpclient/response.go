package httpclient

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Response is a response with its body read in full, within the client's
// size cap.
type Response struct {
	Status     string      // "200 OK"
	StatusCode int         // 200
	Proto      string      // "HTTP/1.1"
	Header     http.Header // the response's headers
	// TransferEncoding is the body's transfer codings ("chunked"), which
	// net/http takes out of Header.
	TransferEncoding []string
	Body             []byte      // the body, read in full
	ContentType      ContentType // parsed Content-Type; zero if absent or invalid
	Attempts         int         // attempts the call made, the first included
	// History holds the redirects followed before this response, oldest
	// first, with the start of their bodies, when the request asked for
	// it (Request.KeepHistory).
	History []*Response
	URL     string        // the final URL, after redirects
	Request *http.Request // the request that got this response, the last of any redirects
}

// Text returns the body decoded with the effective charset of its content
// type; a byte-order mark wins over it.
func (r *Response) Text() (string, error) {
	return DecodeText(r.Body, r.ContentType.EffectiveCharset())
}

// JSON decodes the body, after decoding its charset, into v.
func (r *Response) JSON(v any) error {
	text, err := r.Text()
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("httpclient: decoding JSON response: %w", err)
	}
	return nil
}
