package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/netkit-dev/netkit/httpclient"
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
