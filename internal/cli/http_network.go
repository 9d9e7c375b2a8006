package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/internal/pretty"
)

// network applies --http1 and --proxy to c's transport.
func (o *httpOptions) network(c *httpclient.Client) error {
	if !o.HTTP1 && len(o.Proxies) == 0 {
		return nil
	}
	tr := transportOf(c)
	if o.HTTP1 {
		tr.ForceAttemptHTTP2 = false
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if len(o.Proxies) > 0 {
		byScheme := map[string]*url.URL{}
		for _, p := range o.Proxies {
			scheme, raw, ok := strings.Cut(p, ":")
			if !ok || (scheme != "http" && scheme != "https") {
				return fmt.Errorf("--proxy %q: want PROTOCOL:URL, as http:http://proxy:3128", p)
			}
			u, err := url.Parse(raw)
			if err != nil || u.Host == "" {
				return fmt.Errorf("--proxy %q: %q is no proxy URL", p, raw)
			}
			byScheme[scheme] = u
		}
		env := tr.Proxy
		tr.Proxy = func(r *http.Request) (*url.URL, error) {
			if u, ok := byScheme[r.URL.Scheme]; ok {
				return u, nil
			}
			if env != nil {
				return env(r)
			}
			return nil, nil
		}
	}
	return nil
}

// errTooManyHeaders is a response over --max-headers.
var errTooManyHeaders = errors.New("too many response headers")

// headerLimit enforces --max-headers on every response, redirects
// included, once its head is read and before its body is: HTTPie's limit
// (http.client's) stops at the head too. 0 is no limit, as in HTTPie;
// the transport's MaxResponseHeaderBytes bounds the head either way.
type headerLimit struct {
	base http.RoundTripper
	max  int
}

func (t *headerLimit) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || t.max <= 0 {
		return resp, err
	}
	n := 0
	for _, v := range resp.Header {
		n += len(v)
	}
	if n > t.max {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d, over --max-headers %d", errTooManyHeaders, n, t.max)
	}
	return resp, nil
}

// openStream sends req for a body read as it arrives (--stream,
// --download), bounded by --timeout of silence; stop releases the guard.
// A failure is an exit status by its class.
func (o *httpOptions) openStream(ctx context.Context, c *httpclient.Client, req *httpclient.Request) (_ *http.Response, guard func(io.Reader) io.Reader, stop func(), _ error) {
	ctx, guard, stop = o.stallGuard(ctx)
	resp, err := c.Stream(ctx, req)
	if err != nil {
		stop()
		var herr *httpclient.Error
		if errors.As(err, &herr) {
			return nil, nil, nil, &exitError{Code: exitForClass(herr.Class), Err: herr}
		}
		return nil, nil, nil, err
	}
	return resp, guard, stop, nil
}

// stream prints the response as it arrives (--stream): the head, then the
// body a line at a time, each JSON line formatted on a terminal.
func (o *httpOptions) stream(ctx context.Context, c *httpclient.Client, req *httpclient.Request, pr *printer) error {
	resp, guard, stop, err := o.openStream(ctx, c, req)
	if err != nil {
		return err
	}
	defer stop()
	defer resp.Body.Close()
	ps := pr.ps
	if !ps.respHead && !ps.respBody {
		return nil
	}
	out := o.Streams.Out
	if pr.prevBody && !o.Streams.OutTTY {
		io.WriteString(out, "\n\n")
	}
	if ps.respHead {
		var head strings.Builder
		writeResponseHeadLines(&head, &httpclient.Response{Proto: resp.Proto, Status: resp.Status, Header: resp.Header, TransferEncoding: resp.TransferEncoding}, pr.eol)
		o.writeHead(head.String())
	}
	if !ps.respBody {
		return nil
	}
	format, colors := o.prettiness()
	ct, _ := httpclient.ParseContentType(resp.Header.Get("Content-Type"))
	sc := bufio.NewScanner(guard(resp.Body))
	sc.Buffer(make([]byte, 64<<10), int(min(o.MaxBody, 16<<20)))
	for sc.Scan() {
		line := sc.Text()
		if format {
			if f, ok := httpie.FormatJSON([]byte(line), o.Unsorted); ok {
				line = f
			}
		}
		if colors {
			// Pygments ends what it colours with a newline, and HTTPie
			// adds the line's own after it: coloured lines come with a
			// blank line between them.
			if hl, ok := o.highlightLine(line, ct); ok {
				line = strings.TrimSuffix(hl, "\n") + "\n"
			}
		}
		if _, err := fmt.Fprintln(out, line); err != nil {
			return err
		}
		if f, ok := out.(interface{ Flush() error }); ok {
			f.Flush()
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if o.Streams.OutTTY {
		io.WriteString(out, "\n\n") // after a body on a terminal, as in HTTPie
	}
	return nil
}

// highlightLine colours one streamed line: as JSON when it is JSON
// (NDJSON, or the data of a Server-Sent Event), else by the response's
// media type; ok is false when no lexer knows it.
func (o *httpOptions) highlightLine(line string, ct httpclient.ContentType) (_ string, ok bool) {
	if json.Valid([]byte(line)) {
		return pretty.Highlight(line, "json", o.Style), true
	}
	if pretty.Lexes(ct.MediaType) {
		return pretty.Highlight(line, ct.MediaType, o.Style), true
	}
	return line, false
}

// stallGuard bounds a streamed exchange (--download, --stream) in time:
// Client.Stream has no timeout of its own, since a large body may rightly
// take long, so the exchange is cancelled when the server sends nothing
// for --timeout, waiting for the head or between reads of the body. wrap
// resets the clock on every read that brings data; stop releases the
// timer.
func (o *httpOptions) stallGuard(ctx context.Context) (_ context.Context, wrap func(io.Reader) io.Reader, stop func()) {
	if o.Timeout <= 0 {
		return ctx, func(r io.Reader) io.Reader { return r }, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(o.Timeout, cancel)
	wrap = func(r io.Reader) io.Reader { return &stallReader{r: r, t: t, d: o.Timeout} }
	return ctx, wrap, func() { t.Stop(); cancel() }
}

type stallReader struct {
	r io.Reader
	t *time.Timer
	d time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.t.Reset(s.d)
	}
	return n, err
}
