package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/internal/pretty"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
)

type httpOptions struct {
	Streams *IOStreams

	Method string // "" until resolved: GET, or POST with a body
	URL    string
	Items  []string

	Form          bool
	Timeout       time.Duration // per attempt
	Deadline      time.Duration // the whole call, retries included; 0 none
	Retries       int
	RetryMaxDelay time.Duration
	RetryPOST     bool
	MaxBody       int64
	MaxRedirects  int
	Follow        bool
	CheckStatus   bool
	Offline       bool
	Verbose       bool
	Output        string
	JSON          bool
	TLS           httpTLSFlags
	Multipart     bool
	Boundary      string
	Raw           string
	IgnoreStdin   bool
	Print         string // --print/-p letters
	Headers       bool   // --headers
	BodyOnly      bool   // --body/-b
	Quiet         bool   // --quiet/-q
	Pretty        string // --pretty: all, colors, format, none; "" picks by the terminal
	Style         string // --style
	Unsorted      bool   // --unsorted
	Auth          string // --auth/-a USER[:PASSWORD] or TOKEN
	AuthType      string // --auth-type/-A: basic, bearer or digest
	IgnoreNetrc   bool
	Session       string   // --session NAME|PATH
	SessionRO     string   // --session-read-only NAME|PATH
	Download      bool     // --download/-d
	Continue      bool     // --continue/-c
	HTTP1         bool     // --http1
	Proxies       []string // --proxy PROTOCOL:URL
	MaxHeaders    int      // --max-headers
	Stream        bool     // --stream/-S
	All           bool     // --all
	Chunked       bool     // --chunked
	Compress      int      // --compress/-x, counted
}

func newHTTPCmd(streams *IOStreams, runF func(context.Context, *httpOptions) error) *cobra.Command {
	opts := &httpOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "http [METHOD] URL [ITEM...]",
		Short: "Send an HTTP request, with retries (HTTPie's syntax)",
		Long: `Send one HTTP request, as HTTPie does: on a terminal the status line, the
headers and the body (JSON indented and coloured); piped, the raw body alone.
--print (-p) picks what to print: H request headers, B request body,
h response headers, b response body; -v prints all four. HTTPie's -h is
--headers here, since -h is help.

Items, in HTTPie's syntax:
  Header:Value   request header
  name==value    query parameter (order kept)
  name=value     JSON string field, or form field with --form
  name:=json     raw JSON field (number, bool, array, object)
  name=@file     string field read from a file; name:=@file, JSON from a file
  name@file      file upload (multipart, with --form or --multipart)
  @file          the body, from a file
  Header;        header with an empty value
Nested JSON keys as HTTPie 3 writes them: user[name]=x, tags[]:=1, [0]=a.
A piped stdin is the body, unless --ignore-stdin.

METHOD defaults to GET, or POST when there is a body. A URL without a scheme
gets http://, and ":3000/x" means http://localhost:3000/x.

Idempotent requests are retried on timeouts, resets, refused connections
and 429/5xx (Retry-After honoured, capped by --retry-max-delay), with
exponential backoff and jitter. POST and PATCH are retried only with
--retry-post, which adds an Idempotency-Key header.

Exit status: 0 success; with --check-status 3, 4, 5 for a 3xx, 4xx, 5xx
response; 2 timeout; 6 connection failure (dns, refused, reset); 7 TLS;
1 usage and other errors (a body over --max-body among them).`,
		Example: `  netkit http example.org/api/users page==2 Accept:application/json
  netkit http POST :8080/users name=Alice age:=30 roles:='["admin"]'
  netkit http --form POST :8080/upload title=notes doc@notes.txt
  netkit http --offline PUT https://api.example.com/v2/users/1 name=Bob`,
		Args: argsFor(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parseArgs(args); err != nil {
				return err
			}
			if opts.Verbose {
				opts.All = true // as in HTTPie, -v shows the redirects too
			}
			if opts.Follow && !cmd.Flags().Changed("max-redirects") {
				opts.MaxRedirects = httpclient.DefaultMaxRedirects
			}
			switch opts.Pretty {
			case "", "all", "colors", "format", "none":
			default:
				return fmt.Errorf("--pretty %q: want all, colors, format or none", opts.Pretty)
			}
			style, err := pretty.ResolveStyle(opts.Style)
			if err != nil {
				return fmt.Errorf("--style: %w", err)
			}
			opts.Style = style
			if runF == nil {
				runF = runHTTP
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.Form, "form", "f", false, "send data items as a form (multipart when there are files)")
	f.Var(newDurationValue(&opts.Timeout, 30*time.Second), "timeout", "limit for each attempt, body included")
	f.Var(newDurationValue(&opts.Deadline, 0), "deadline", "limit for the whole call, retries included (0: none)")
	f.IntVar(&opts.Retries, "retries", 2, "retries after the first attempt")
	f.Var(newDurationValue(&opts.RetryMaxDelay, 10*time.Second), "retry-max-delay", "cap on each wait between attempts, Retry-After included")
	f.BoolVar(&opts.RetryPOST, "retry-post", false, "retry POST and PATCH too, adding an Idempotency-Key header")
	f.Var(newSizeValue(&opts.MaxBody, httpclient.DefaultMaxBody), "max-body", "largest response body accepted (0: no limit)")
	f.BoolVar(&opts.Follow, "follow", false, "follow redirects")
	f.IntVar(&opts.MaxRedirects, "max-redirects", 0, "redirects followed with --follow (default 10)")
	f.BoolVar(&opts.CheckStatus, "check-status", false, "exit 3, 4 or 5 on a 3xx, 4xx or 5xx response")
	f.BoolVar(&opts.Offline, "offline", false, "print the request that would be sent and send nothing")
	f.BoolVarP(&opts.Verbose, "verbose", "v", false, "print the request and the response headers too")
	f.StringVarP(&opts.Output, "output", "o", "", "write the response body to `FILE`")
	f.BoolVar(&opts.JSON, "json", false, "print one JSON object: status, headers, body, attempts, error")
	opts.TLS.addFlags(f)
	f.BoolVar(&opts.Multipart, "multipart", false, "send a multipart/form-data body, even without files")
	f.StringVar(&opts.Boundary, "boundary", "", "the multipart boundary, instead of a random one")
	f.StringVar(&opts.Raw, "raw", "", "send this text as the body")
	f.BoolVar(&opts.IgnoreStdin, "ignore-stdin", false, "do not read the body from a piped stdin")
	f.StringVarP(&opts.Print, "print", "p", "", "what to print: H request headers, B request body, h response headers, b response body, m elapsed time")
	f.BoolVar(&opts.Headers, "headers", false, "print the response headers only (HTTPie's -h; -h is help here)")
	f.BoolVarP(&opts.BodyOnly, "body", "b", false, "print the response body only")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	f.StringVar(&opts.Pretty, "pretty", "", "all, colors, format or none (default: all on a terminal, none when piped; NO_COLOR turns colours off)")
	f.StringVarP(&opts.Style, "style", "s", "auto", "colour scheme: auto (the terminal's 16 colours), a chroma style, or HTTPie's names (pie, pie-dark and pie-light map to dracula, dracula and github)")
	f.BoolVar(&opts.Unsorted, "unsorted", false, "keep JSON keys in the order received")
	f.StringVarP(&opts.Auth, "auth", "a", "", "USER[:PASSWORD] (asked for on the terminal when missing), or the token with -A bearer")
	f.StringVarP(&opts.AuthType, "auth-type", "A", "basic", "basic, bearer or digest")
	f.BoolVar(&opts.IgnoreNetrc, "ignore-netrc", false, "do not take credentials from ~/.netrc")
	f.StringVar(&opts.Session, "session", "", "keep cookies, custom headers and auth between runs in session NAME (per host) or file PATH")
	f.StringVar(&opts.SessionRO, "session-read-only", "", "use session NAME or PATH without changing it")
	f.BoolVarP(&opts.Download, "download", "d", false, "save the body to a file named from Content-Disposition or the URL (never overwriting), or --output; progress on stderr")
	f.BoolVarP(&opts.Continue, "continue", "c", false, "with --download and --output, resume a partial file with a Range request")
	f.BoolVar(&opts.HTTP1, "http1", false, "speak HTTP/1.1 even where HTTP/2 is offered (TLS with ALPN)")
	f.StringArrayVar(&opts.Proxies, "proxy", nil, "PROTOCOL:URL, as http:http://proxy:3128; HTTP_PROXY, HTTPS_PROXY and NO_PROXY apply too")
	f.IntVar(&opts.MaxHeaders, "max-headers", 0, "most response headers accepted (0: no limit, as in HTTPie)")
	f.BoolVar(&opts.All, "all", false, "with --follow, print the redirects' responses too, before the last")
	f.BoolVar(&opts.Chunked, "chunked", false, "send the body with chunked transfer coding")
	f.CountVarP(&opts.Compress, "compress", "x", "deflate the body when that makes it smaller; -xx always")
	f.BoolVarP(&opts.Stream, "stream", "S", false, "print the body line by line as it arrives (Server-Sent Events, NDJSON)")
	return cmd
}

// parseArgs splits [METHOD] URL [ITEM...] as HTTPie does.
func (o *httpOptions) parseArgs(args []string) error {
	o.Method, o.URL, o.Items = httpie.SplitArgs(args)
	return nil
}

// buildRequest turns the options into a request, with HTTPie's items,
// defaults and body sources: a piped stdin (unless --ignore-stdin), --raw,
// or @file.
func (o *httpOptions) buildRequest() (*httpclient.Request, error) {
	ro := httpie.RequestOptions{
		Method: o.Method, URL: o.URL, Items: o.Items,
		Form: o.Form, Multipart: o.Multipart, Boundary: o.Boundary,
		Chunked: o.Chunked, Compress: o.Compress,
	}
	switch {
	case o.Raw != "":
		ro.Raw = []byte(o.Raw)
	case !o.IgnoreStdin && !o.Streams.InTTY && o.Streams.In != nil:
		b, err := io.ReadAll(io.LimitReader(o.Streams.In, httpie.MaxFile+1))
		if err != nil {
			return nil, fmt.Errorf("reading the body from stdin: %w", err)
		}
		if len(b) > httpie.MaxFile {
			return nil, fmt.Errorf("the body on stdin is over %d MiB", httpie.MaxFile>>20)
		}
		// An empty stdin (a script's </dev/null) is no body; HTTPie
		// refuses it beside data items.
		if len(b) > 0 {
			ro.Raw = b
		}
	}
	r, err := httpie.Build(ro)
	if err != nil {
		return nil, err
	}
	// The redirects are kept to show them: their responses with --all,
	// and the requests that followed them with H or B, as HTTPie shows
	// every request it sends.
	r.KeepHistory = o.All || (o.Follow && (strings.ContainsAny(o.Print, "HB") || o.Verbose))
	if o.RetryPOST && r.Header.Get(httpclient.IdempotencyKeyHeader) == "" {
		if m, ok := httpclient.LookupMethod(r.Method); !ok || !m.Idempotent {
			r.Header.Set(httpclient.IdempotencyKeyHeader, newIdempotencyKey())
		}
	}
	return r, nil
}

func newIdempotencyKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (o *httpOptions) client() *httpclient.Client {
	c := &httpclient.Client{
		UserAgent: "netkit/" + Version,
		Timeout:   o.Timeout,
		MaxBody:   o.MaxBody,
		Retry: retry.Policy{
			MaxAttempts: o.Retries + 1,
			MaxDelay:    o.RetryMaxDelay,
			// The budget caps retries across the many calls a client
			// makes to a peer; one command line makes one call, whose
			// --retries it must not cut short.
			Budget: &retry.Budget{Burst: float64(max(o.Retries, retry.DefaultBudgetBurst))},
		},
	}
	if o.Timeout == 0 {
		c.Timeout = -1
	}
	if o.MaxBody == 0 {
		c.MaxBody = 1<<63 - 1
	}
	switch {
	case !o.Follow:
		c.MaxRedirects = -1
	case o.MaxRedirects > 0:
		c.MaxRedirects = o.MaxRedirects
	}
	if o.Streams.ErrTTY || o.Verbose {
		// Retries are not silent: each failed attempt and the wait.
		c.Retry.OnRetry = func(a retry.Attempt) {
			hint := ""
			if a.Hinted {
				hint = " (Retry-After)"
			}
			fmt.Fprintf(o.Streams.ErrOut, "netkit: attempt %d of %d failed: %s: %v; retrying in %v%s\n",
				a.Number, c.Retry.MaxAttempts, netclass.Of(a.Err), a.Err, a.Delay.Round(time.Millisecond), hint)
		}
	}
	return c
}

func runHTTP(ctx context.Context, opts *httpOptions) error {
	if opts.Retries < 0 {
		return fmt.Errorf("--retries %d: want 0 or more", opts.Retries)
	}
	req, err := opts.buildRequest()
	if err != nil {
		return err
	}
	c := opts.client()
	if err := opts.TLS.apply(c); err != nil {
		return err
	}
	if err := opts.network(c); err != nil {
		return err
	}
	userCookie := req.Header.Get("Cookie")
	sess, err := opts.openSession(req)
	if err != nil {
		return err
	}
	opts.wrapTransport(c, sess, userCookie)
	if err := opts.applyAuth(req, c); err != nil {
		return err
	}
	if sess != nil && opts.Auth != "" {
		sess.s.SetAuth(strings.ToLower(opts.AuthType), opts.Auth)
	}
	defer c.CloseIdleConnections()
	out := opts.Streams.Out
	ps, err := opts.resolvePrint()
	if err != nil {
		return err
	}
	if opts.Quiet {
		ps = printSet{}
	}
	pr := &printer{o: opts, ps: ps, eol: opts.eol()}

	if opts.Offline {
		hreq, err := c.Prepare(ctx, req)
		if err != nil {
			return err
		}
		if opts.JSON {
			return json.NewEncoder(out).Encode(requestJSON(hreq, req.Body))
		}
		return pr.request(hreq, req.Body)
	}

	if opts.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Deadline)
		defer cancel()
	}
	if opts.Download {
		return opts.download(ctx, c, req)
	}
	if !opts.JSON {
		// The request is shown before it is sent, as HTTPie shows it.
		if hreq, err := c.Prepare(ctx, req); err == nil {
			if err := pr.request(hreq, req.Body); err != nil {
				return err
			}
		}
	}
	if opts.Stream {
		return opts.stream(ctx, c, req, pr)
	}
	start := time.Now()
	resp, err := c.Do(ctx, req)
	elapsed := time.Since(start)
	if sess != nil && resp != nil {
		if serr := sess.save(opts.Items); serr != nil {
			return serr
		}
	}
	var herr *httpclient.Error
	if err != nil && !errors.As(err, &herr) {
		return err
	}
	if opts.JSON {
		if werr := json.NewEncoder(out).Encode(responseJSON(req, resp, herr)); werr != nil {
			return werr
		}
	} else if resp != nil {
		if werr := opts.writeExchange(pr, req, resp, elapsed); werr != nil {
			return werr
		}
	}
	return opts.exitFor(resp, herr)
}

// exitFor maps the outcome to netkit http's exit status, printing one line
// on stderr that names the error class.
func (o *httpOptions) exitFor(resp *httpclient.Response, herr *httpclient.Error) error {
	if herr == nil || netclass.IsStatus(herr.Class) {
		if !o.CheckStatus || resp == nil {
			return nil
		}
		code := 0
		switch httpclient.StatusClassOf(resp.StatusCode) {
		case httpclient.StatusRedirect:
			code = exitHTTP3xx
		case httpclient.StatusClientError:
			code = exitHTTP4xx
		case httpclient.StatusServerError:
			code = exitHTTP5xx
		}
		if code == 0 {
			return nil
		}
		if herr == nil {
			return &exitError{Code: code, Err: fmt.Errorf("status: %s %s: HTTP %s", resp.Request.Method, resp.URL, resp.Status)}
		}
		return &exitError{Code: code, Err: herr}
	}
	if herr.Class == netclass.Timeout {
		// Say which limit ran out, not "context deadline exceeded".
		limit := fmt.Sprintf("--timeout %v", o.Timeout)
		if o.Deadline > 0 && (o.Timeout <= 0 || o.Deadline <= o.Timeout*time.Duration(herr.Attempts)) {
			limit = fmt.Sprintf("--deadline %v", o.Deadline)
		}
		return &exitError{Code: exitForClass(herr.Class), Err: fmt.Errorf("%s %s: timeout: no response within %s (%d attempts): %w", herr.Op, herr.URL, limit, herr.Attempts, herr.Err)}
	}
	return &exitError{Code: exitForClass(herr.Class), Err: herr}
}
