package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/encoding"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/urlparse"
)

// The url subcommands that put URLs and queries together: unparse,
// unsplit, defrag and encode (Python's urlunparse, urlunsplit, urldefrag
// and urlencode).

// urlComposeOptions are the flags of `netkit url unparse` and `unsplit`.
type urlComposeOptions struct {
	urlBatch
	Parts int // 6 for unparse, 5 for unsplit
}

func newURLComposeCmd(streams *IOStreams, parts int, runF func(context.Context, *urlComposeOptions) error) *cobra.Command {
	opts := &urlComposeOptions{urlBatch: urlBatch{Streams: streams}, Parts: parts}
	name, py, fields := "unparse", "urlunparse", `["scheme","netloc","path","params","query","fragment"]`
	if parts == 5 {
		name, py, fields = "unsplit", "urlunsplit", `["scheme","netloc","path","query","fragment"]`
	}
	cmd := &cobra.Command{
		Use:   name + " [JSON...]",
		Short: fmt.Sprintf("Put a URL together from its %d parts (Python's %s)", parts, py),
		Long: fmt.Sprintf(`Put each URL together from a JSON array of its %d parts, %s,
as Python's %s() does, and print it. The arrays are the arguments or,
without arguments, one per line of standard input: the output of
"netkit url %s --json" rearranged, for example with jq.`, parts, fields, py, map[int]string{6: "parse", 5: "split"}[parts]),
		Example: fmt.Sprintf("  netkit url %s '%s'", name, map[int]string{
			6: `["https","api.example.com","/v2/users","v=2","page=1","top"]`,
			5: `["https","api.example.com","/v2/users;v=2","page=1","top"]`,
		}[parts]),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = argsOrNil(args)
			if runF == nil {
				runF = runURLCompose
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print each URL as a JSON string per line")
	return cmd
}

func runURLCompose(ctx context.Context, opts *urlComposeOptions) error {
	name := map[int]string{6: "unparse", 5: "unsplit"}[opts.Parts]
	return opts.run(ctx, name, func(in string) (urlResult, error) {
		var p []string
		if err := json.Unmarshal([]byte(in), &p); err != nil || len(p) != opts.Parts {
			return urlResult{}, fmt.Errorf("want a JSON array of %d strings", opts.Parts)
		}
		var u string
		if opts.Parts == 6 {
			u = urlparse.Unparse(p[0], p[1], p[2], p[3], p[4], p[5])
		} else {
			u = urlparse.Unsplit(p[0], p[1], p[2], p[3], p[4])
		}
		return urlResult{Text: u, JSON: u}, nil
	})
}

func newURLDefragCmd(streams *IOStreams, runF func(context.Context, *urlBatch) error) *cobra.Command {
	opts := &urlBatch{Streams: streams}
	cmd := &cobra.Command{
		Use:   "defrag [URL...]",
		Short: "Split the fragment off URLs (Python's urldefrag)",
		Long: `Split the fragment off each URL as Python's urldefrag() does and print
[url, fragment] as a JSON array per line (with or without --json).`,
		Example: "  netkit url defrag 'https://example.com/docs#install'",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = argsOrNil(args)
			if runF == nil {
				runF = runURLDefrag
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print [url, fragment] per line (the default form too)")
	return cmd
}

func runURLDefrag(ctx context.Context, opts *urlBatch) error {
	return opts.run(ctx, "defrag", func(in string) (urlResult, error) {
		u, frag, err := urlparse.Defrag(in)
		if err != nil {
			return urlResult{}, err
		}
		text, err := marshalNoEscape([]string{u, frag})
		return urlResult{Text: text, JSON: []string{u, frag}}, err
	})
}

// urlEncodeOptions are the flags of `netkit url encode`.
type urlEncodeOptions struct {
	urlBatch
	Doseq    bool
	Safe     string
	QuoteVia string // quote or quote_plus
	Encoding string
}

func newURLEncodeCmd(streams *IOStreams, runF func(context.Context, *urlEncodeOptions) error) *cobra.Command {
	opts := &urlEncodeOptions{urlBatch: urlBatch{Streams: streams}}
	cmd := &cobra.Command{
		Use:   "encode [JSON...]",
		Short: "Encode a JSON object or array of pairs as a query string (Python's urlencode)",
		Long: `Encode each query, given as a JSON object ({"q": "a b", "page": 1}, in its
order) or a JSON array of [key, value] pairs, as Python's urlencode() does
with the same value loaded by json.loads, and print the query string. The
queries are the arguments or, without arguments, one per line of standard
input.

Values that are not strings are formatted as Python's str() formats them
(1, 1.0, True, None); with --doseq a list value gives one parameter per
element, without it the list's str(). --safe, --quote-via and --encoding
are urlencode's safe, quote_via and encoding.`,
		Example: `  netkit url encode '{"q":"python networking","page":1}'
  netkit url encode --doseq '[["tag",["a","b"]],["x","y"]]'
  netkit url encode --quote-via quote --safe / '{"path":"/a b"}'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.QuoteVia != "quote" && opts.QuoteVia != "quote_plus" {
				return fmt.Errorf("--quote-via %q: want quote or quote_plus", opts.QuoteVia)
			}
			opts.Inputs = argsOrNil(args)
			if runF == nil {
				runF = runURLEncode
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.JSON, "json", false, "print each query as a JSON string per line")
	f.BoolVar(&opts.Doseq, "doseq", false, "a list value is one parameter per element (Python's doseq=True)")
	f.StringVar(&opts.Safe, "safe", "", "characters not to escape (Python's safe=)")
	f.StringVar(&opts.QuoteVia, "quote-via", "quote_plus", "quote_plus (spaces as +) or quote (spaces as %20)")
	f.StringVar(&opts.Encoding, "encoding", "utf-8", "the charset strings are encoded in before escaping (Python's encoding=)")
	return cmd
}

func runURLEncode(ctx context.Context, opts *urlEncodeOptions) error {
	enc, err := pythonCodec(opts.Encoding)
	if err != nil {
		return err
	}
	eo := urlparse.EncodeOptions{Doseq: opts.Doseq, Safe: opts.Safe, QuoteVia: urlparse.QuotePlus}
	if opts.QuoteVia == "quote" {
		eo.QuoteVia = urlparse.Quote
	}
	return opts.run(ctx, "encode", func(in string) (urlResult, error) {
		params, err := decodeQuery(in)
		if err != nil {
			return urlResult{}, err
		}
		if enc != nil {
			for i := range params {
				if !opts.Doseq {
					// Without doseq a list is its str(), which is then
					// encoded as a whole, as urlencode does.
					if _, ok := params[i].Value.([]any); ok {
						params[i].Value = urlparse.PyStr(params[i].Value)
					}
				}
				if params[i].Key, err = encodeStrings(enc, params[i].Key); err != nil {
					return urlResult{}, err
				}
				if params[i].Value, err = encodeStrings(enc, params[i].Value); err != nil {
					return urlResult{}, err
				}
			}
		}
		q := urlparse.URLEncode(params, eo)
		return urlResult{Text: q, JSON: q}, nil
	})
}

// decodeQuery reads a JSON object, keeping its keys' order, or a JSON
// array of [key, value] pairs, with numbers as Python's json.loads makes
// them.
func decodeQuery(in string) ([]urlparse.Param, error) {
	dec := json.NewDecoder(strings.NewReader(in))
	dec.UseNumber()
	bad := errors.New(`want a JSON object or an array of [key, value] pairs`)
	tok, err := dec.Token()
	if err != nil {
		return nil, bad
	}
	var params []urlparse.Param
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, bad
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, bad
			}
			if hasObject(v) {
				return nil, errNestedObject
			}
			params = append(params, urlparse.Param{Key: k.(string), Value: pyValue(v)})
		}
	case json.Delim('['):
		for dec.More() {
			var pair []any
			if err := dec.Decode(&pair); err != nil || len(pair) != 2 {
				return nil, bad
			}
			if hasObject(pair) {
				return nil, errNestedObject
			}
			params = append(params, urlparse.Param{Key: pyValue(pair[0]), Value: pyValue(pair[1])})
		}
	default:
		return nil, bad
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return nil, bad
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad
	}
	return params, nil
}

// pyValue is pyValues for one decoded JSON value: lists become Python
// lists of converted values.
func pyValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		return pyNumber(x)
	case []any:
		return pyValues(x)
	}
	return v
}

var errNestedObject = errors.New("a JSON object as a value: its key order would be lost, so it is not accepted")

func hasObject(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return true
	case []any:
		for _, e := range x {
			if hasObject(e) {
				return true
			}
		}
	}
	return false
}

// pythonCodec returns the charset of Python's codec name, nil for UTF-8.
func pythonCodec(name string) (encoding.Encoding, error) {
	n := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(name)), "_", "-")
	switch n {
	case "", "utf-8", "utf8":
		return nil, nil
	case "latin-1", "latin1", "l1", "iso-8859-1", "iso8859-1":
		n = "iso-8859-1"
	case "ascii", "us-ascii":
		n = "us-ascii"
	}
	enc, err := httpclient.LookupCharset(n)
	if err != nil {
		return nil, fmt.Errorf("--encoding %q: %w", name, err)
	}
	return enc, nil
}

// encodeStrings encodes the strings in v (a list's elements too) to enc's
// bytes, which urlencode escapes byte for byte; other values stay, since
// their str() is ASCII. A character enc cannot hold is an error, as
// Python's errors='strict'.
func encodeStrings(enc encoding.Encoding, v any) (any, error) {
	switch x := v.(type) {
	case string:
		b, err := enc.NewEncoder().Bytes([]byte(x))
		if err != nil {
			return nil, fmt.Errorf("%q cannot be encoded: %w", x, err)
		}
		return b, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = encodeStrings(enc, e); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
