package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/urlparse"
)

// maxURLInputLine bounds one line of standard input for the url commands;
// a longer line is reported as a bad input and skipped.
const maxURLInputLine = 1 << 20

func newURLCmd(streams *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "url",
		Short: "Parse, join, quote and build URLs with Python's urllib.parse results",
		Long: `URL tools whose results are CPython 3.11's urllib.parse, string for string.

Each subcommand takes its inputs as arguments or, without arguments, one per
line of standard input (each line as it is: an empty line is an empty
input), so a large batch runs in one process. Outputs stay aligned with
inputs: a bad input is reported on stderr and gets an empty line on stdout
(null with --json), the batch goes on, and the exit status is 1 at the end.
--json prints each result as one JSON value per line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newURLParseCmd(streams, "parse", nil),
		newURLParseCmd(streams, "split", nil),
		newURLJoinCmd(streams, nil),
		newURLQuoteCmd(streams, false, nil),
		newURLQuoteCmd(streams, true, nil),
		newURLQueryCmd(streams),
		newURLBuildCmd(streams, nil),
		newURLComposeCmd(streams, 6, nil),
		newURLComposeCmd(streams, 5, nil),
		newURLDefragCmd(streams, nil),
		newURLEncodeCmd(streams, nil),
	)
	return cmd
}

// urlBatch is what every url subcommand shares: its streams, its inputs
// (nil: standard input) and the output form.
type urlBatch struct {
	Streams *IOStreams
	Inputs  []string // from the command line; nil reads standard input
	JSON    bool
}

// urlResult is one input's output: the text for humans (without its final
// newline) and the value --json prints.
type urlResult struct {
	Text string
	JSON any
}

// run applies do to each input in order, printing its result, or an error
// on stderr and an empty line (null with --json) on stdout. It returns
// errSilent at the end when any input failed.
func (b *urlBatch) run(ctx context.Context, name string, do func(in string) (urlResult, error)) error {
	failed := false
	out := bufio.NewWriter(b.Streams.Out)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // URLs are full of "&", which would become \u0026
	fail := func(in string, err error) {
		failed = true
		var pe *urlparse.Error
		if errors.As(err, &pe) {
			err = pe.Err
		}
		out.Flush()
		fmt.Fprintf(b.Streams.ErrOut, "netkit url %s: %s: %v\n", name, strconv.Quote(in), err)
		if b.JSON {
			out.WriteString("null\n")
		} else {
			out.WriteString("\n")
		}
	}
	handle := func(in string) error {
		r, err := do(in)
		if err != nil {
			fail(in, err)
			return nil
		}
		if b.JSON {
			return enc.Encode(r.JSON)
		}
		out.WriteString(r.Text)
		return out.WriteByte('\n')
	}
	if b.Inputs != nil {
		for _, in := range b.Inputs {
			if err := handle(in); err != nil {
				return err
			}
		}
	} else {
		err := readInputLines(ctx, b.Streams.In, func(line string, tooLong bool) error {
			if tooLong {
				fail(line[:64]+"...", fmt.Errorf("line longer than %d bytes", maxURLInputLine))
				return nil
			}
			return handle(line)
		})
		if err != nil {
			return err
		}
	}
	if failed {
		return errSilent
	}
	return nil
}

// readInputLines calls fn with each line of r, without its "\n" and not
// otherwise trimmed. A line over maxURLInputLine is passed truncated with
// tooLong set and the rest of it skipped. It stops when ctx is done.
func readInputLines(ctx context.Context, r io.Reader, fn func(line string, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxURLInputLine+1 {
			// Report the line once, then skip to its end.
			head := string(append(buf, chunk...)[:64])
			buf = buf[:0]
			for err == bufio.ErrBufferFull || (err == nil && !strings.HasSuffix(string(chunk), "\n")) {
				chunk, err = br.ReadSlice('\n')
			}
			if ferr := fn(head, true); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			continue
		}
		buf = append(buf, chunk...)
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			line := string(buf[:len(buf)-1])
			buf = buf[:0]
			if ferr := fn(line, false); ferr != nil {
				return ferr
			}
		case io.EOF:
			if len(buf) > 0 {
				return fn(string(buf), false)
			}
			return nil
		default:
			return err
		}
	}
}

// urlParseOptions are the flags of `netkit url parse` and `netkit url split`.
type urlParseOptions struct {
	urlBatch
	Split       bool // split: no ;params
	Scheme      string
	NoFragments bool
}

func newURLParseCmd(streams *IOStreams, name string, runF func(context.Context, *urlParseOptions) error) *cobra.Command {
	opts := &urlParseOptions{urlBatch: urlBatch{Streams: streams}, Split: name == "split"}
	short, py := "Split URLs into scheme, netloc, path, params, query and fragment", "urlparse"
	if opts.Split {
		short, py = "Split URLs into scheme, netloc, path, query and fragment", "urlsplit"
	}
	cmd := &cobra.Command{
		Use:   name + " [URL...]",
		Short: short,
		Long: short + `, as Python's ` + py + `() does, with
username, password, hostname and port. Prints a table per URL, or with
--json one object per line (null where Python gives None; an invalid port
gives "port": null and "port_error").`,
		Example: "  netkit url " + name + " 'https://api.example.com:8443/v2/users;v=2?page=1#results'\n" +
			"  netkit url " + name + " --json < urls.txt",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = argsOrNil(args)
			if runF == nil {
				runF = runURLParse
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object per URL per line")
	cmd.Flags().StringVar(&opts.Scheme, "scheme", "", "scheme of URLs that have none (Python's scheme=)")
	cmd.Flags().BoolVar(&opts.NoFragments, "no-fragments", false, `keep "#" in the path or query (Python's allow_fragments=False)`)
	return cmd
}

// argsOrNil returns args, or nil when there are none so that the batch
// reads standard input.
func argsOrNil(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	return args
}

// urlParseJSON is the --json form of parse and split; field order is the
// order Python's result shows them in.
type urlParseJSON struct {
	Scheme    string  `json:"scheme"`
	Netloc    string  `json:"netloc"`
	Path      string  `json:"path"`
	Params    *string `json:"params,omitempty"`
	Query     string  `json:"query"`
	Fragment  string  `json:"fragment"`
	Username  *string `json:"username"`
	Password  *string `json:"password"`
	Hostname  *string `json:"hostname"`
	Port      *int    `json:"port"`
	PortError string  `json:"port_error,omitempty"`
}

func runURLParse(ctx context.Context, opts *urlParseOptions) error {
	po := urlparse.Options{Scheme: opts.Scheme, NoFragments: opts.NoFragments}
	name := "parse"
	if opts.Split {
		name = "split"
	}
	return opts.run(ctx, name, func(in string) (urlResult, error) {
		p, err := po.Parse(in)
		if err != nil {
			return urlResult{}, err
		}
		j := urlParseJSON{Scheme: p.Scheme, Netloc: p.Netloc, Path: p.Path, Query: p.Query, Fragment: p.Fragment}
		if opts.Split {
			// urlsplit's own path, not urlparse's put back together: an
			// empty ";" parameter ("/path;") has no way back.
			s, err := po.Split(in)
			if err != nil {
				return urlResult{}, err
			}
			j.Path = s.Path
		} else {
			j.Params = &p.Params
		}
		if u, ok := p.Username(); ok {
			j.Username = &u
		}
		if pw, ok := p.Password(); ok {
			j.Password = &pw
		}
		if h := p.Hostname(); h != "" {
			j.Hostname = &h
		}
		port, ok, perr := p.Port()
		if ok {
			j.Port = &port
		}
		if perr != nil {
			j.PortError = pythonPortError(perr)
		}
		if opts.JSON {
			return urlResult{JSON: j}, nil
		}
		return urlResult{Text: parseTable(in, j)}, nil
	})
}

// pythonPortError returns the message of the ValueError Python's .port
// raises for err, so that scripts reading port_error see the same text from
// netkit and from Python.
func pythonPortError(err error) string {
	var pe *urlparse.PortError
	switch {
	case errors.As(err, &pe) && errors.Is(err, urlparse.ErrInvalidPort):
		return "Port could not be cast to integer value as " + urlparse.PyRepr(pe.Port)
	case errors.Is(err, urlparse.ErrPortRange):
		return "Port out of range 0-65535"
	}
	return err.Error()
}

// parseTable formats one parse result for people: Python's repr of each
// component, so that ” and None differ and control characters show.
func parseTable(in string, j urlParseJSON) string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-9s %s\n", k, v) }
	optional := func(p *string) string {
		if p == nil {
			return "None"
		}
		return urlparse.PyRepr(*p)
	}
	row("url", urlparse.PyRepr(in))
	row("scheme", urlparse.PyRepr(j.Scheme))
	row("netloc", urlparse.PyRepr(j.Netloc))
	row("path", urlparse.PyRepr(j.Path))
	if j.Params != nil {
		row("params", urlparse.PyRepr(*j.Params))
	}
	row("query", urlparse.PyRepr(j.Query))
	row("fragment", urlparse.PyRepr(j.Fragment))
	row("username", optional(j.Username))
	row("password", optional(j.Password))
	row("hostname", optional(j.Hostname))
	switch {
	case j.PortError != "":
		row("port", "error: "+j.PortError)
	case j.Port != nil:
		row("port", strconv.Itoa(*j.Port))
	default:
		row("port", "None")
	}
	return b.String() // ends in "\n": a blank line separates URLs
}

// urlJoinOptions are the flags of `netkit url join`.
type urlJoinOptions struct {
	urlBatch
	Base        string
	NoFragments bool
}

func newURLJoinCmd(streams *IOStreams, runF func(context.Context, *urlJoinOptions) error) *cobra.Command {
	opts := &urlJoinOptions{urlBatch: urlBatch{Streams: streams}}
	cmd := &cobra.Command{
		Use:   "join BASE [REF...]",
		Short: "Resolve references against a base URL (Python's urljoin)",
		Long: `Resolve each REF against BASE as Python's urljoin() does (RFC 3986
section 5.2, with Python's rules for which schemes allow relative
references) and print one URL per line. Without REFs, each line of
standard input is one.`,
		Example: "  netkit url join https://api.example.com/v2/ users ../v1/legacy /absolute/path",
		Args:    argsFor(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Base, opts.Inputs = args[0], argsOrNil(args[1:])
			if runF == nil {
				runF = runURLJoin
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each URL as a JSON string per line")
	cmd.Flags().BoolVar(&opts.NoFragments, "no-fragments", false, `treat "#" as part of the path or query (Python's allow_fragments=False)`)
	return cmd
}

func runURLJoin(ctx context.Context, opts *urlJoinOptions) error {
	jo := urlparse.Options{NoFragments: opts.NoFragments}
	return opts.run(ctx, "join", func(ref string) (urlResult, error) {
		u, err := jo.Join(opts.Base, ref)
		return urlResult{Text: u, JSON: u}, err
	})
}

// urlQuoteOptions are the flags of `netkit url quote` and `netkit url unquote`.
type urlQuoteOptions struct {
	urlBatch
	Unquote bool
	Plus    bool
	Safe    *string // nil: Python's default, "/" for quote and "" for quote_plus
}

func newURLQuoteCmd(streams *IOStreams, unquote bool, runF func(context.Context, *urlQuoteOptions) error) *cobra.Command {
	opts := &urlQuoteOptions{urlBatch: urlBatch{Streams: streams}, Unquote: unquote}
	var safe string
	cmd := &cobra.Command{
		Use:   "quote [TEXT...]",
		Short: "Percent-encode text (Python's quote and quote_plus)",
		Long: `Percent-encode each TEXT as Python's quote() does, or quote_plus() with
--plus (spaces become "+"). --safe lists characters left as they are besides
letters, digits and "_.-~"; the default is "/" for quote and none for
--plus, as in Python.`,
		Example: "  netkit url quote '/api/search/hello world & more'\n  netkit url quote --plus --safe '' 'a b&c'",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = argsOrNil(args)
			if cmd.Flags().Changed("safe") {
				opts.Safe = &safe
			}
			if runF == nil {
				runF = runURLQuote
			}
			return runF(cmd.Context(), opts)
		},
	}
	if unquote {
		cmd.Use = "unquote [TEXT...]"
		cmd.Short = "Decode percent-encoded text (Python's unquote and unquote_plus)"
		cmd.Long = `Decode %XX escapes in each TEXT as Python's unquote() does, or
unquote_plus() with --plus ("+" becomes a space). An invalid "%" sequence
is kept as it is and bytes that are not UTF-8 become U+FFFD. Use --json for
results that contain a newline.`
		cmd.Example = "  netkit url unquote 'caf%C3%A9%20au%20lait'\n  netkit url unquote --json %0A"
	} else {
		cmd.Flags().StringVar(&safe, "safe", urlparse.QuoteDefaultSafe, `characters not to escape (default "/", or "" with --plus)`)
	}
	cmd.Flags().BoolVar(&opts.Plus, "plus", false, `form encoding: a space is "+"`)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each result as a JSON string per line")
	return cmd
}

func runURLQuote(ctx context.Context, opts *urlQuoteOptions) error {
	name := "quote"
	var fn func(string) string
	switch {
	case opts.Unquote && opts.Plus:
		name, fn = "unquote", urlparse.UnquotePlus
	case opts.Unquote:
		name, fn = "unquote", urlparse.Unquote
	default:
		safe := urlparse.QuoteDefaultSafe
		quote := urlparse.Quote
		if opts.Plus {
			safe, quote = "", urlparse.QuotePlus
		}
		if opts.Safe != nil {
			safe = *opts.Safe
		}
		fn = func(s string) string { return quote(s, safe) }
	}
	return opts.run(ctx, name, func(in string) (urlResult, error) {
		s := fn(in)
		return urlResult{Text: s, JSON: s}, nil
	})
}

func newURLQueryCmd(streams *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "query",
		Short: "Parse and encode query strings (parse_qsl, urlencode)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newURLQueryParseCmd(streams, nil), newURLQueryEncodeCmd(streams, nil))
	return cmd
}

// urlQueryParseOptions are the flags of `netkit url query parse`.
type urlQueryParseOptions struct {
	urlBatch
	Query urlparse.QueryOptions
	Dict  bool // parse_qs: {key: [values]}
}

func newURLQueryParseCmd(streams *IOStreams, runF func(context.Context, *urlQueryParseOptions) error) *cobra.Command {
	opts := &urlQueryParseOptions{urlBatch: urlBatch{Streams: streams}}
	cmd := &cobra.Command{
		Use:   "parse [QUERY...]",
		Short: "Parse query strings into [key, value] pairs (Python's parse_qsl, or parse_qs with --dict)",
		Long: `Parse each QUERY as Python's parse_qsl() does and print a JSON array of
[key, value] pairs per line, in order, with repeated keys; with --dict, as
parse_qs() does, a JSON object of each key's values in the order the keys
first appear. "+" decodes to a space. --separator takes a string, as
Python's separator= does.`,
		Example: "  netkit url query parse 'q=python+sockets&page=2&lang=en&lang=fr'\n" +
			"  netkit url query parse --keep-blank --separator ';' 'a=1;b=;c'",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = argsOrNil(args)
			if cmd.Flags().Changed("separator") && opts.Query.Separator == "" {
				return errors.New("url query parse: --separator must not be empty")
			}
			if runF == nil {
				runF = runURLQueryParse
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.JSON, "json", false, "print null instead of an empty line for a bad query")
	f.BoolVar(&opts.Query.KeepBlank, "keep-blank", false, `keep parameters with empty values ("a=" and "a") (keep_blank_values=True)`)
	f.BoolVar(&opts.Query.Strict, "strict", false, "fail on empty fields and fields without '=' (strict_parsing=True)")
	f.StringVar(&opts.Query.Separator, "separator", "&", "string that separates fields")
	f.IntVar(&opts.Query.MaxNumFields, "max-fields", 0, "fail on queries with more fields than this (0: no limit)")
	f.BoolVar(&opts.Dict, "dict", false, `print {"key": [values...]} as Python's parse_qs() gives it`)
	return cmd
}

func runURLQueryParse(ctx context.Context, opts *urlQueryParseOptions) error {
	return opts.run(ctx, "query parse", func(in string) (urlResult, error) {
		if opts.Dict {
			fs, err := urlparse.ParseQS(in, opts.Query)
			if err != nil {
				return urlResult{}, err
			}
			text, err := marshalNoEscape(orderedFields(fs))
			return urlResult{Text: text, JSON: orderedFields(fs)}, err
		}
		q, err := urlparse.ParseQSL(in, opts.Query)
		if err != nil {
			return urlResult{}, err
		}
		pairs := make([][2]string, len(q))
		for i, p := range q {
			pairs[i] = [2]string{p.Key, p.Value}
		}
		text, err := marshalNoEscape(pairs)
		return urlResult{Text: text, JSON: pairs}, err
	})
}

// orderedFields is parse_qs's dict as a JSON object, its keys in the
// order Python's dict keeps them.
type orderedFields urlparse.Fields

func (fs orderedFields) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshalNoEscape(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshalNoEscape(f.Values)
		if err != nil {
			return nil, err
		}
		b.WriteString(k + ":" + v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// marshalNoEscape is json.Marshal without HTML escaping and without the
// encoder's final newline.
func marshalNoEscape(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// urlQueryEncodeOptions are the flags of `netkit url query encode`.
type urlQueryEncodeOptions struct {
	urlBatch
	Doseq bool
}

func newURLQueryEncodeCmd(streams *IOStreams, runF func(context.Context, *urlQueryEncodeOptions) error) *cobra.Command {
	opts := &urlQueryEncodeOptions{urlBatch: urlBatch{Streams: streams}}
	cmd := &cobra.Command{
		Use:   "encode [KEY=VALUE...]",
		Short: "Encode parameters as a query string (Python's urlencode)",
		Long: `Encode the KEY=VALUE parameters, in order, as Python's urlencode() does
(quote_plus on each side) and print the query string. With --doseq, a VALUE
written as a JSON array (tag='["a","b"]') becomes one parameter per
element, as a list does with doseq=True.

Without arguments, each line of standard input is one query given as a
JSON array of [key, value] pairs, the output of "netkit url query parse",
and gives one encoded query per line.`,
		Example: "  netkit url query encode q='python networking' page=1 sort=relevance\n" +
			"  netkit url query encode --doseq 'tag=[\"python\",\"networking\"]' status=published",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				// All the arguments make up one query.
				pairs := make([][2]string, len(args))
				for i, a := range args {
					k, v, ok := strings.Cut(a, "=")
					if !ok {
						return fmt.Errorf("url query encode: %q: want KEY=VALUE", a)
					}
					pairs[i] = [2]string{k, v}
				}
				b, err := json.Marshal(pairs)
				if err != nil {
					return err
				}
				opts.Inputs = []string{string(b)}
			}
			if runF == nil {
				runF = runURLQueryEncode
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each query as a JSON string per line")
	cmd.Flags().BoolVar(&opts.Doseq, "doseq", false, "a JSON array VALUE is one parameter per element")
	return cmd
}

func runURLQueryEncode(ctx context.Context, opts *urlQueryEncodeOptions) error {
	return opts.run(ctx, "query encode", func(in string) (urlResult, error) {
		var pairs [][2]string
		if err := json.Unmarshal([]byte(in), &pairs); err != nil {
			return urlResult{}, fmt.Errorf("want a JSON array of [key, value] pairs: %w", err)
		}
		params := make([]urlparse.Param, len(pairs))
		for i, p := range pairs {
			params[i] = urlparse.Param{Key: p[0], Value: p[1]}
			if opts.Doseq && strings.HasPrefix(p[1], "[") {
				if elems, ok := decodeJSONArray(p[1]); ok {
					params[i].Value = pyValues(elems)
				}
			}
		}
		q := urlparse.URLEncode(params, urlparse.EncodeOptions{Doseq: opts.Doseq})
		return urlResult{Text: q, JSON: q}, nil
	})
}

// decodeJSONArray decodes a JSON array, keeping numbers as their text
// (json.Number) so that pyValues can tell 1 from 1.0 as Python's json.loads
// does.
func decodeJSONArray(s string) ([]any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var elems []any
	// Nothing may follow the array but space: json.loads refuses "[1]]",
	// which More alone would pass, as it stops at a ']' or '}'.
	if dec.Decode(&elems) != nil || dec.Decode(new(json.RawMessage)) != io.EOF {
		return nil, false
	}
	return elems, true
}

// pyValues converts decoded JSON to the Go values urlparse formats as
// Python would format the same JSON loaded with json.loads: a number
// written without ".", "e" or "E" as an int of any size, any other as a
// float ("1.0", "100.0" for 1e2, "inf" beyond the float range), null as
// None.
func pyValues(elems []any) []any {
	out := make([]any, len(elems))
	for i, e := range elems {
		switch v := e.(type) {
		case json.Number:
			out[i] = pyNumber(v)
		case []any:
			out[i] = pyValues(v)
		default:
			out[i] = v
		}
	}
	return out
}

func pyNumber(n json.Number) any {
	if !strings.ContainsAny(string(n), ".eE") {
		if i, ok := new(big.Int).SetString(string(n), 10); ok {
			return i
		}
	}
	// A number past the float range is ±inf, as float() gives it; the
	// JSON grammar leaves no other parse error.
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

// urlBuildOptions are the flags of `netkit url build`.
type urlBuildOptions struct {
	urlBatch
	Host    string
	Path    string
	Params  []string              // KEY=VALUE, in order; a key may repeat
	Build   urlparse.BuildOptions // Scheme, Port and Fragment
	HostSet bool                  // --host given: build one URL from the flags
}

// urlBuildInput is one line of standard input for `netkit url build`.
type urlBuildInput struct {
	Scheme   string      `json:"scheme"`
	Host     string      `json:"host"`
	Port     int         `json:"port"`
	Path     string      `json:"path"`
	Params   [][2]string `json:"params"`
	Fragment string      `json:"fragment"`
}

func newURLBuildCmd(streams *IOStreams, runF func(context.Context, *urlBuildOptions) error) *cobra.Command {
	opts := &urlBuildOptions{urlBatch: urlBatch{Streams: streams}}
	cmd := &cobra.Command{
		Use:   "build --host H [--scheme S] [--port N] [--path P] [--param KEY=VALUE]... [--fragment F]",
		Short: "Build a URL from parts (as a Python build_api_url does)",
		Long: `Build a URL as a Python build_api_url() helper does: the path escaped with
quote(), the parameters encoded with urlencode() in order (repeat --param
for a repeated key), the port appended when not 0.

Without --host, each line of standard input is one URL given as a JSON
object with the keys scheme, host, port, path, params ([[key, value], ...])
and fragment.`,
		Example: "  netkit url build --scheme http --host localhost --port 8080 --path /search --param 'q=python sockets' --param tag=networking --param tag=tutorial",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.HostSet = cmd.Flags().Changed("host")
			if opts.HostSet {
				in := urlBuildInput{Scheme: opts.Build.Scheme, Host: opts.Host, Port: opts.Build.Port, Path: opts.Path, Fragment: opts.Build.Fragment}
				for _, p := range opts.Params {
					k, v, ok := strings.Cut(p, "=")
					if !ok {
						return fmt.Errorf("url build: --param %q: want KEY=VALUE", p)
					}
					in.Params = append(in.Params, [2]string{k, v})
				}
				b, err := json.Marshal(in)
				if err != nil {
					return err
				}
				opts.Inputs = []string{string(b)}
			}
			if opts.Build.Port < 0 || opts.Build.Port > 65535 {
				return fmt.Errorf("url build: --port %d: want 0 to 65535", opts.Build.Port)
			}
			if runF == nil {
				runF = runURLBuild
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.JSON, "json", false, "print each URL as a JSON string per line")
	f.StringVar(&opts.Build.Scheme, "scheme", "https", "scheme")
	f.StringVar(&opts.Host, "host", "", "host name or address")
	f.IntVar(&opts.Build.Port, "port", 0, "port (0: none)")
	f.StringVar(&opts.Path, "path", "", "path, escaped with quote()")
	f.StringArrayVar(&opts.Params, "param", nil, "query parameter KEY=VALUE (repeatable)")
	f.StringVar(&opts.Build.Fragment, "fragment", "", "fragment")
	return cmd
}

func runURLBuild(ctx context.Context, opts *urlBuildOptions) error {
	return opts.run(ctx, "build", func(line string) (urlResult, error) {
		var in urlBuildInput
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return urlResult{}, fmt.Errorf("want a JSON object with host, path, params...: %w", err)
		}
		if in.Host == "" {
			return urlResult{}, errors.New("no host")
		}
		if in.Port < 0 || in.Port > 65535 {
			return urlResult{}, fmt.Errorf("port %d: want 0 to 65535", in.Port)
		}
		params := make([]urlparse.Param, len(in.Params))
		for i, p := range in.Params {
			params[i] = urlparse.Param{Key: p[0], Value: p[1]}
		}
		u := urlparse.BuildAPIURL(in.Host, in.Path, params, urlparse.BuildOptions{Scheme: in.Scheme, Port: in.Port, Fragment: in.Fragment})
		return urlResult{Text: u, JSON: u}, nil
	})
}
