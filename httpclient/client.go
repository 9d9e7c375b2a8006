package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
	"github.com/netkit-dev/netkit/urlparse"
)

// Defaults of the Client fields left zero.
const (
	DefaultUserAgent    = "netkit/0.1.0-dev"
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBody      = 32 << 20
	DefaultMaxRedirects = 10
)

// Client sends requests with retries. The zero value is ready to use; a
// Client is safe for concurrent use and must not be copied after first use,
// since it holds its connection pool and retry budget.
type Client struct {
	// BaseURL is what relative request URLs are resolved against.
	BaseURL string

	// Header holds headers sent with every request, below the request's
	// own.
	Header http.Header

	// UserAgent is sent unless a header sets it; "" means
	// DefaultUserAgent.
	UserAgent string

	// Timeout bounds each attempt, the body read included; 0 means
	// DefaultTimeout and a negative value no limit. The overall deadline is
	// the context's.
	Timeout time.Duration

	// MaxBody caps a response body in bytes; a longer one is an error
	// (netclass.BodyTooLarge), never truncated. 0 means DefaultMaxBody.
	MaxBody int64

	// MaxRedirects is how many redirects are followed; 0 means
	// DefaultMaxRedirects, a negative value follows none and returns the
	// 3xx response.
	MaxRedirects int

	// Retry is the retry policy. Retryable and Class are set by the client
	// (Retryable, netclass.Of); a nil Budget means the client's own, a
	// Budget with the defaults shared by all its calls.
	Retry retry.Policy

	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport owned by the client.
	Transport http.RoundTripper

	// Logger receives debug records of retries; nil means none.
	Logger *slog.Logger

	once   sync.Once
	hc     *http.Client
	budget retry.Budget
}

func (c *Client) init() {
	c.once.Do(func() {
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport.(*http.Transport).Clone()
		}
		c.hc = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	})
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	n := c.MaxRedirects
	switch {
	case n < 0:
		return http.ErrUseLastResponse
	case n == 0:
		n = DefaultMaxRedirects
	}
	if len(via) > n {
		return ErrTooManyRedirects
	}
	// net/http sends the page redirected from as Referer; urllib, curl
	// and HTTPie do not, and a URL can carry what its owner meant to keep.
	req.Header.Del("Referer")
	if h, ok := req.Context().Value(historyKey{}).(*[]*Response); ok && req.Response != nil {
		// The redirect's body is still unread here: keep a bounded
		// part of it, as the history shows it.
		r := req.Response
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxHistoryBody))
		ct, _ := ParseContentType(r.Header.Get("Content-Type"))
		*h = append(*h, &Response{Status: r.Status, StatusCode: r.StatusCode, Proto: r.Proto, Header: r.Header,
			TransferEncoding: r.TransferEncoding, Body: body, ContentType: ct, URL: r.Request.URL.String(), Request: r.Request})
	}
	return nil
}

// historyKey marks a call's context with where its redirects go
// (Request.KeepHistory).
type historyKey struct{}

// maxHistoryBody bounds the body kept of each redirect response.
const maxHistoryBody = 64 << 10

// CloseIdleConnections closes the idle connections of the client's
// transport.
func (c *Client) CloseIdleConnections() {
	c.init()
	c.hc.CloseIdleConnections()
}

// Get sends a GET request with the query parameters.
func (c *Client) Get(ctx context.Context, url string, query urlparse.Query) (*Response, error) {
	return c.Do(ctx, &Request{Method: http.MethodGet, URL: url, Query: query})
}

// PostJSON sends v as a JSON body.
func (c *Client) PostJSON(ctx context.Context, url string, v any) (*Response, error) {
	r := NewRequest(http.MethodPost, url)
	if err := r.SetJSON(v); err != nil {
		return nil, err
	}
	return c.Do(ctx, r)
}

// PostForm sends the fields as an URL-encoded form.
func (c *Client) PostForm(ctx context.Context, url string, fields urlparse.Query) (*Response, error) {
	r := NewRequest(http.MethodPost, url)
	r.SetForm(fields)
	return c.Do(ctx, r)
}

// Prepare builds the *http.Request the client would send for r on its
// first attempt: URL resolved and query appended, headers merged, body set.
// It sends nothing; `netkit http --offline` prints it.
func (c *Client) Prepare(ctx context.Context, r *Request) (*http.Request, error) {
	u, err := c.resolve(r)
	if err != nil {
		return nil, &Error{Op: r.method(), URL: r.URL, Class: netclass.Other, Err: err}
	}
	return c.newHTTPRequest(ctx, r, u)
}

func (c *Client) resolve(r *Request) (*url.URL, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	if c.BaseURL != "" {
		base, err := url.Parse(c.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("httpclient: base URL: %w", err)
		}
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("httpclient: unsupported URL %q: want http or https", u.String())
	}
	if len(r.Query) > 0 {
		// Appended as encoded, not through url.Values, which would sort
		// the keys.
		q := r.Query.Encode()
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
		u.ForceQuery = false
	}
	return u, nil
}

func (c *Client) newHTTPRequest(ctx context.Context, r *Request, u *url.URL) (*http.Request, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method(), u.String(), body)
	if err != nil {
		return nil, &Error{Op: r.method(), URL: u.String(), Class: netclass.Other, Err: err}
	}
	if r.Chunked && body != nil {
		req.ContentLength = -1
		req.TransferEncoding = []string{"chunked"}
	}
	for k, vs := range c.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	for k, vs := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" {
		ua := c.UserAgent
		if ua == "" {
			ua = DefaultUserAgent
		}
		req.Header.Set("User-Agent", ua)
	}
	return req, nil
}

// Do sends r, retrying as the client's policy allows, and returns the
// response with its body read.
//
// A status of 400 or more is an error too, of class netclass.HTTP4xx or
// netclass.HTTP5xx, returned with the response, as urllib's HTTPError
// carries it. When retries run out
// the response is the last one received, and the error, an *Error, says how
// many attempts were made. Requests whose method is not idempotent (POST,
// PATCH) are sent once unless they carry an Idempotency-Key header.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	c.init()
	method := r.method()
	u, err := c.resolve(r)
	if err != nil {
		return nil, &Error{Op: method, URL: r.URL, Class: netclass.Other, Attempts: 0, Err: err}
	}
	target := u.String()

	p := c.Retry
	if p.Budget == nil {
		p.Budget = &c.budget
	}
	if !retryableMethod(method, r.Header.Get(IdempotencyKeyHeader) != "") {
		p.MaxAttempts = 1
	}
	p.Retryable = Retryable
	p.Class = func(err error) string { return string(netclass.Of(err)) }
	if p.Logger == nil {
		p.Logger = c.Logger
	}

	// Built once, headers merged once; each attempt takes a shallow copy
	// with its own context and a fresh body reader.
	base, err := c.newHTTPRequest(ctx, r, u)
	if err != nil {
		return nil, err
	}
	var last *Response
	attempts, err := retry.DoCount(ctx, p, func(ctx context.Context) error {
		var history []*Response
		if r.KeepHistory {
			ctx = context.WithValue(ctx, historyKey{}, &history)
		}
		resp, err := c.attempt(ctx, base)
		if resp != nil {
			resp.History = history
			last = resp
		}
		return err
	})
	if last != nil {
		last.Attempts = attempts
	}
	if err == nil {
		return last, nil
	}
	e := &Error{Op: method, URL: target, Class: netclass.Of(err), Attempts: attempts, Err: err}
	var se *StatusError
	if errors.As(err, &se) {
		e.StatusCode = se.StatusCode
	}
	return last, e
}

// attempt sends the request once and reads the body, all within the
// per-attempt timeout, so that a body cut off or stalled is retried like a
// failed connection.
func (c *Client) attempt(ctx context.Context, base *http.Request) (*Response, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req := base.WithContext(ctx)
	if base.GetBody != nil {
		body, err := base.GetBody()
		if err != nil {
			return nil, retry.Permanent(err)
		}
		req.Body = body
	}
	hresp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error repeats the method and URL that *Error carries.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	defer hresp.Body.Close()
	maxBody := c.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	declared := hresp.ContentLength
	if hresp.Body == http.NoBody {
		// A HEAD response declares the length of the body it does not
		// carry (RFC 9110, 9.3.2).
		declared = 0
	}
	body, err := readBody(hresp.Body, declared, maxBody)
	if err != nil {
		return nil, err
	}
	ct, _ := ParseContentType(hresp.Header.Get("Content-Type"))
	resp := &Response{
		Status:           hresp.Status,
		StatusCode:       hresp.StatusCode,
		Proto:            hresp.Proto,
		TransferEncoding: hresp.TransferEncoding,
		Header:           hresp.Header,
		Body:             body,
		ContentType:      ct,
		URL:              hresp.Request.URL.String(),
		Request:          hresp.Request,
	}
	if hresp.StatusCode < 400 {
		return resp, nil
	}
	reason := http.StatusText(hresp.StatusCode)
	if len(hresp.Status) > 4 {
		reason = hresp.Status[4:]
	}
	var serr error = &StatusError{StatusCode: hresp.StatusCode, Status: reason}
	if retryAfterStatuses[hresp.StatusCode] {
		if d, ok := retry.ParseRetryAfter(hresp.Header.Get("Retry-After"), time.Now()); ok {
			serr = retry.After(serr, d)
		}
	}
	return resp, serr
}

// maxPrealloc bounds the buffer readBody allocates from a declared
// Content-Length before any of the body has arrived: the header is the
// peer's word, and a large cap must not turn it into a large allocation
// (or, for a length near 2^63, a panic).
const maxPrealloc = 1 << 20

// readBody reads a whole body of at most maxBody bytes. A declared length
// over the cap fails before reading; a declared length within it and up to
// maxPrealloc is read into a buffer of that size, and anything else in
// growing chunks up to the cap plus one byte, to tell "exactly the cap" from
// "over it". net/http stops a body with a Content-Length at that length and
// reports a shorter one as io.ErrUnexpectedEOF.
func readBody(r io.Reader, declared, maxBody int64) ([]byte, error) {
	tooLarge := func() error {
		return retry.Permanent(fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, maxBody))
	}
	if declared > maxBody {
		return nil, tooLarge()
	}
	if declared >= 0 && declared <= maxPrealloc {
		body := make([]byte, declared)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("reading body: %w", err)
		}
		return body, nil
	}
	limit := maxBody
	if limit < math.MaxInt64 {
		limit++ // one byte more tells "over the cap" from "at it"
	}
	body, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > maxBody {
		return nil, tooLarge()
	}
	return body, nil
}

// Stream sends r once and returns the response with its body unread, for
// bodies too large to hold, such as downloads: there are no retries,
// since the caller reads the body, and neither Timeout nor MaxBody
// applies; ctx bounds the whole exchange. The caller must close the
// body. Its errors are *Error.
func (c *Client) Stream(ctx context.Context, r *Request) (*http.Response, error) {
	c.init()
	method := r.method()
	u, err := c.resolve(r)
	if err != nil {
		return nil, &Error{Op: method, URL: r.URL, Class: netclass.Other, Err: err}
	}
	req, err := c.newHTTPRequest(ctx, r, u)
	if err != nil {
		return nil, err
	}
	if req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	hresp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &Error{Op: method, URL: u.String(), Class: netclass.Of(err), Attempts: 1, Err: err}
	}
	return hresp, nil
}
