package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/internal/pretty"
)

// printSet is what netkit http prints, as HTTPie's --print letters say:
// H request headers, B request body, h response headers, b response body,
// m metadata (the elapsed time).
type printSet struct {
	reqHead, reqBody, respHead, respBody, meta bool
}

func parsePrint(s string) (printSet, error) {
	var p printSet
	for _, c := range s {
		switch c {
		case 'H':
			p.reqHead = true
		case 'B':
			p.reqBody = true
		case 'h':
			p.respHead = true
		case 'b':
			p.respBody = true
		case 'm':
			p.meta = true
		default:
			return p, fmt.Errorf("--print %q: %q is not one of H, B, h, b, m", s, c)
		}
	}
	return p, nil
}

// resolvePrint picks what to print from the flags, as HTTPie does:
// --print, else --headers, --body, -v, else the default: the response's
// headers and body on a terminal, its body alone when piped, the request
// with --offline.
func (o *httpOptions) resolvePrint() (printSet, error) {
	switch {
	case o.Print != "":
		return parsePrint(o.Print)
	case o.Verbose:
		return printSet{reqHead: true, reqBody: true, respHead: true, respBody: true}, nil
	case o.Headers:
		return printSet{respHead: true}, nil
	case o.BodyOnly:
		return printSet{respBody: true}, nil
	case o.Offline:
		return printSet{reqHead: true, reqBody: true}, nil
	case o.Streams.OutTTY:
		return printSet{respHead: true, respBody: true}, nil
	}
	return printSet{respBody: true}, nil
}

// eol is the line end of printed heads: CRLF when piped, as HTTPie
// writes them, LF on a terminal.
func (o *httpOptions) eol() string {
	if o.Streams.OutTTY {
		return "\n"
	}
	return "\r\n"
}

// writeRequestHead prints the request line and headers as they are sent.
func writeRequestHead(w io.Writer, r *http.Request, body []byte, eol string) {
	fmt.Fprintf(w, "%s %s HTTP/1.1%s", r.Method, r.URL.RequestURI(), eol)
	fmt.Fprintf(w, "Host: %s%s", r.URL.Host, eol)
	h := r.Header.Clone()
	if body != nil {
		h.Set("Content-Length", fmt.Sprint(len(body)))
	}
	if len(r.TransferEncoding) > 0 {
		// As HTTPie's --offline shows a chunked request: both headers.
		h.Set("Transfer-Encoding", strings.Join(r.TransferEncoding, ", "))
	}
	writeHeaderLines(w, h, eol)
	io.WriteString(w, eol)
}

// writeResponseHeadLines prints the status line and headers, sorted by
// name: Go's http.Header does not keep the order they came in. The
// Transfer-Encoding that net/http takes out of the headers is put back,
// since it was on the wire.
func writeResponseHeadLines(w io.Writer, resp *httpclient.Response, eol string) {
	proto := resp.Proto
	if proto == "HTTP/2.0" {
		proto = "HTTP/2" // as curl shows it: HTTP/2 has no minor version
	}
	fmt.Fprintf(w, "%s %s%s", proto, resp.Status, eol)
	h := resp.Header
	if len(resp.TransferEncoding) > 0 && h.Get("Transfer-Encoding") == "" {
		h = h.Clone()
		h["Transfer-Encoding"] = []string{strings.Join(resp.TransferEncoding, ", ")}
	}
	writeHeaderLines(w, h, eol)
	io.WriteString(w, eol)
}

func writeHeaderLines(w io.Writer, h http.Header, eol string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s%s", k, v, eol)
		}
	}
}

// isBinary reports a body that is not text: HTTPie shows a notice instead
// of printing one to a terminal.
func isBinary(b []byte) bool {
	return strings.ContainsRune(string(b[:min(len(b), 1024)]), 0)
}

// prettiness says whether to format bodies and to colour output: --pretty,
// else both on a terminal and neither when piped; NO_COLOR
// (no-color.org) turns colours off either way.
func (o *httpOptions) prettiness() (format, colors bool) {
	switch o.Pretty {
	case "all":
		format, colors = true, true
	case "colors":
		colors = true
	case "format":
		format = true
	case "none":
	default:
		format, colors = o.Streams.OutTTY, o.Streams.OutTTY
	}
	if os.Getenv("NO_COLOR") != "" {
		colors = false
	}
	return format, colors
}

// writeHead prints a request or response head, coloured when colours are
// on.
func (o *httpOptions) writeHead(head string) {
	if _, colors := o.prettiness(); colors {
		head = pretty.Highlight(head, "http", o.Style)
	}
	io.WriteString(o.Streams.Out, head)
}

// isXML reports an XML media type: application/xml, text/xml or a +xml
// suffix (HTML is not formatted, as in HTTPie).
func isXML(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// printer writes the messages of one run, requests and responses, with
// HTTPie's separators: piped, a message that follows one whose body was
// selected (B or b, printed or empty) is set off by "\n\n"; on a
// terminal, each selected body is followed by "\n\n" instead.
type printer struct {
	o        *httpOptions
	ps       printSet
	eol      string
	prevBody bool
}

// shownBody is a message body and what its rendering needs.
type shownBody struct {
	raw       []byte
	text      func() (string, error) // raw decoded by its charset
	mediaType string
	json      bool
}

// request prints r, with body, as it is sent: its head and body as the
// H and B letters select.
func (p *printer) request(r *http.Request, body []byte) error {
	var head strings.Builder
	if p.ps.reqHead {
		writeRequestHead(&head, r, body, p.eol)
	}
	ct, _ := httpclient.ParseContentType(r.Header.Get("Content-Type"))
	b := shownBody{raw: body, text: func() (string, error) { return string(body), nil }, mediaType: ct.MediaType, json: ct.IsJSON()}
	return p.message(head.String(), p.ps.reqHead, p.ps.reqBody, b, "")
}

// response prints resp as the h, b and m letters select; meta is its
// metadata line ("" for none).
func (p *printer) response(resp *httpclient.Response, meta string) error {
	var head strings.Builder
	if p.ps.respHead {
		writeResponseHeadLines(&head, resp, p.eol)
	}
	b := shownBody{raw: resp.Body, text: resp.Text, mediaType: resp.ContentType.MediaType, json: resp.ContentType.IsJSON()}
	return p.message(head.String(), p.ps.respHead, p.ps.respBody, b, meta)
}

// message prints one message: HTTPie's writer (its output streams and
// the separators of its main loop) in one place.
func (p *printer) message(head string, withHead, withBody bool, b shownBody, meta string) error {
	if !withHead && !withBody && meta == "" {
		// Not printed, but it ends the previous message's run, as
		// HTTPie's loop counts every message it sees.
		p.prevBody = false
		return nil
	}
	out := p.o.Streams.Out
	tty := p.o.Streams.OutTTY
	if p.prevBody && !tty {
		io.WriteString(out, "\n\n")
	}
	if withHead {
		p.o.writeHead(head)
	}
	if withBody {
		if err := p.o.renderBody(b, withHead); err != nil {
			return err
		}
		if tty && meta == "" {
			io.WriteString(out, "\n\n")
		}
	}
	if meta != "" {
		if withBody {
			io.WriteString(out, "\n\n")
		}
		io.WriteString(out, meta+"\n\n")
	}
	p.prevBody = withBody
	return nil
}

// elapsedMeta is the m letter's line, as HTTPie writes it (Python's
// str(round(seconds, 10))).
func elapsedMeta(d time.Duration) string {
	s := math.Round(d.Seconds()*1e10) / 1e10
	return "Elapsed time: " + strconv.FormatFloat(s, 'f', -1, 64) + "s"
}

// renderBody prints a body as HTTPie's streams do: piped and without
// --pretty, its bytes as they are; otherwise a binary body becomes a
// notice, and text is formatted (JSON indented, XML laid out) and
// coloured as --pretty says. Pygments, which colours HTTPie's output,
// ends what it colours with a newline; formatting alone adds none.
func (o *httpOptions) renderBody(b shownBody, afterHead bool) error {
	out := o.Streams.Out
	format, colors := o.prettiness()
	if !format && !colors && !o.Streams.OutTTY {
		_, err := out.Write(b.raw)
		return err
	}
	if isBinary(b.raw) {
		notice := binaryNotice
		if afterHead {
			notice = "\n" + notice
		}
		_, err := io.WriteString(out, notice)
		return err
	}
	text, err := b.text()
	if err != nil {
		return err
	}
	if format {
		formatted := false
		if b.json || maybeJSON(b.mediaType) {
			text, formatted = formatJSON(text, o.Unsorted)
		}
		if !formatted && isXML(b.mediaType) {
			if f, ok := pretty.FormatXML([]byte(text)); ok {
				text = f
			}
		}
	}
	if colors && pretty.Lexes(b.mediaType) {
		text = pretty.Highlight(text, b.mediaType, o.Style)
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
	}
	_, err = io.WriteString(out, text)
	return err
}

// maybeJSON reports a media type whose body HTTPie formats when it
// parses as JSON: one that says json, javascript or text (text/plain
// included).
func maybeJSON(mt string) bool {
	return strings.Contains(mt, "json") || strings.Contains(mt, "javascript") || strings.Contains(mt, "text")
}

// formatJSON indents text as HTTPie does when it is JSON, and returns it
// as it is otherwise.
func formatJSON(text string, unsorted bool) (string, bool) {
	if f, ok := httpie.FormatJSON([]byte(text), unsorted); ok {
		return f, true
	}
	return text, false
}

// binaryNotice stands for a binary body on a terminal (or with
// --pretty), as in HTTPie.
const binaryNotice = `
+-----------------------------------------+
| NOTE: binary data not shown in terminal |
+-----------------------------------------+`

type httpErrorJSON struct {
	Class     string `json:"class"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

type httpResultJSON struct {
	Method   string              `json:"method"`
	URL      string              `json:"url"`
	Status   int                 `json:"status,omitempty"`
	Headers  map[string][]string `json:"headers,omitempty"`
	Body     *string             `json:"body,omitempty"`
	JSON     json.RawMessage     `json:"json,omitempty"`
	Attempts int                 `json:"attempts"`
	Error    *httpErrorJSON      `json:"error,omitempty"`
}

func requestJSON(r *http.Request, body []byte) httpResultJSON {
	res := httpResultJSON{Method: r.Method, URL: r.URL.String(), Headers: r.Header}
	if body != nil {
		s := string(body)
		res.Body = &s
	}
	return res
}

func responseJSON(req *httpclient.Request, resp *httpclient.Response, herr *httpclient.Error) httpResultJSON {
	res := httpResultJSON{Method: req.Method, URL: req.URL}
	if resp != nil {
		res.URL, res.Status, res.Headers, res.Attempts = resp.URL, resp.StatusCode, resp.Header, resp.Attempts
		if text, err := resp.Text(); err == nil {
			res.Body = &text
			if resp.ContentType.IsJSON() && json.Valid([]byte(text)) {
				res.JSON = json.RawMessage(text)
			}
		}
	}
	if herr != nil {
		res.URL, res.Attempts = herr.URL, herr.Attempts
		res.Error = &httpErrorJSON{Class: string(herr.Class), Message: herr.Error(), Retryable: herr.Retryable()}
	}
	return res
}

// writeExchange prints what followed the first request, which is printed
// before it is sent: with redirects, each further request and, with
// --all, each redirect's response; then the last response, and the
// body to --output.
func (o *httpOptions) writeExchange(pr *printer, req *httpclient.Request, resp *httpclient.Response, elapsed time.Duration) error {
	for i, r := range resp.History {
		if i > 0 {
			if err := pr.request(r.Request, redirectBody(r.Request, req.Body)); err != nil {
				return err
			}
		}
		if o.All {
			if err := pr.response(r, ""); err != nil {
				return err
			}
		}
	}
	if len(resp.History) > 0 && resp.Request != nil {
		if err := pr.request(resp.Request, redirectBody(resp.Request, req.Body)); err != nil {
			return err
		}
	}
	if o.Output != "" {
		if err := os.WriteFile(o.Output, resp.Body, 0o644); err != nil {
			return err
		}
		pr.ps.respBody = false
	}
	meta := ""
	if pr.ps.meta {
		meta = elapsedMeta(elapsed)
	}
	return pr.response(resp, meta)
}

// redirectBody is the body a redirected request carries: the first
// request's, kept by a 307 or 308, else none.
func redirectBody(r *http.Request, body []byte) []byte {
	if r.GetBody == nil && r.ContentLength <= 0 {
		return nil
	}
	return body
}
