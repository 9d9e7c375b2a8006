package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/jsonrpc"
)

// Exit statuses of netkit rpc call beside ExitOK and ExitError (transport
// failures, bad arguments): the server answered with a JSON-RPC error.
const exitRPCError = 2

type rpcCallOptions struct {
	Streams *IOStreams
	Addr    string          // host:port of a framed server; empty with HTTPURL
	HTTPURL string          // endpoint for JSON-RPC over HTTP
	Method  string          //
	Params  json.RawMessage // nil: no params member
	Timeout time.Duration   // bounds connecting and the call; 0: none
	Dialect string          // "2.0" or "bare" ("chapter" is read as "bare")
	JSON    bool            // print the whole outcome as one JSON object
	TLS     clientTLSFlags
}

func newRPCCmd(streams *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rpc",
		Short: "Call JSON-RPC servers over length-prefixed TCP frames or HTTP",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newRPCCallCmd(streams, nil))
	return cmd
}

func newRPCCallCmd(streams *IOStreams, runF func(context.Context, *rpcCallOptions) error) *cobra.Command {
	opts := &rpcCallOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "call ADDR METHOD [PARAMS...]",
		Short: "Call one method and print its result as JSON",
		Long: `Call METHOD on the JSON-RPC server at ADDR (host:port, 4-byte big-endian
length-prefixed frames, as netkit serve and Python's asyncio servers speak), or
with --http URL on an HTTP endpoint (then no ADDR).

PARAMS is one JSON object or array, or items building an object:
  key=value    a string member
  key:=json    a member with a JSON value (number, true, null, [..], {..})

The result is printed as JSON, indented on a terminal. A JSON-RPC error is
printed on stderr as its code and message, with exit status 2; failures to
connect or to read the response exit with 1. --dialect bare sends bare
{"id", "method", "params"} requests, without the "jsonrpc" member, as
Python's asyncio servers and netkit serve read them, and reads their
{"error": ...} results as errors; --dialect chapter, its former name, is an
alias of bare.`,
		Example: `  netkit rpc call 127.0.0.1:7003 add a:=10 b:=32
  netkit rpc call 127.0.0.1:7003 greet '{"name": "Python"}'
  netkit rpc call 127.0.0.1:7003 add '[1, 2]' --json
  netkit rpc call --http http://127.0.0.1:9090/rpc echo data:='[1,2,3]'`,
		Args: argsFor(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.HTTPURL == "" {
				if len(args) < 2 {
					return fmt.Errorf("rpc call: want ADDR METHOD [PARAMS...], or --http URL METHOD [PARAMS...]")
				}
				opts.Addr, args = args[0], args[1:]
			}
			opts.Method = args[0]
			p, err := parseRPCParams(args[1:])
			if err != nil {
				return fmt.Errorf("rpc call: %w", err)
			}
			opts.Params = p
			if opts.Dialect == "chapter" {
				opts.Dialect = "bare" // the name it had first; scripts use it
			}
			if opts.Dialect != "2.0" && opts.Dialect != "bare" {
				return fmt.Errorf("rpc call: --dialect %q: want 2.0 or bare", opts.Dialect)
			}
			if opts.HTTPURL != "" && opts.Dialect != "2.0" {
				return errors.New("rpc call: --http speaks JSON-RPC 2.0 only")
			}
			if runF == nil {
				runF = runRPCCall
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.HTTPURL, "http", "", "call the JSON-RPC over HTTP endpoint `URL` instead of a TCP address")
	cmd.Flags().Var(newDurationValue(&opts.Timeout, 10*time.Second), "timeout", "limit for connecting and the call (0: none)")
	cmd.Flags().StringVar(&opts.Dialect, "dialect", "2.0", `request shape: "2.0" (JSON-RPC 2.0) or "bare" (no jsonrpc member); "chapter" is an alias of "bare"`)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, `print {"result": ...} or {"error": {"code", "message", "data"}} on stdout, on one line`)
	opts.TLS.addFlags(cmd.Flags())
	return cmd
}

// parseRPCParams turns the PARAMS arguments into the params member.
func parseRPCParams(args []string) (json.RawMessage, error) {
	if len(args) == 0 {
		return nil, nil
	}
	if len(args) == 1 {
		if t := strings.TrimSpace(args[0]); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			if !json.Valid([]byte(t)) {
				return nil, fmt.Errorf("params %q are not valid JSON", t)
			}
			return json.RawMessage(t), nil
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, item := range args {
		key, val, ok := strings.Cut(item, "=")
		if !ok || key == "" || key == ":" {
			return nil, fmt.Errorf("param %q: want key=value, key:=json, or one JSON object or array", item)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		rawJSON := strings.HasSuffix(key, ":")
		key = strings.TrimSuffix(key, ":")
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		if rawJSON {
			if !json.Valid([]byte(val)) {
				return nil, fmt.Errorf("param %q: %q is not valid JSON", key, val)
			}
			json.Compact(&b, []byte(val))
		} else {
			v, _ := json.Marshal(val)
			b.Write(v)
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func runRPCCall(ctx context.Context, opts *rpcCallOptions) error {
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	var params any
	if opts.Params != nil {
		params = opts.Params
	}
	var result json.RawMessage
	var err error
	if opts.HTTPURL != "" {
		c := &jsonrpc.HTTPClient{URL: opts.HTTPURL, CallTimeout: -1}
		err = c.Call(ctx, opts.Method, params, &result)
	} else {
		dialect := jsonrpc.V2
		if opts.Dialect == "bare" {
			dialect = jsonrpc.Bare
		}
		conn, derr := opts.TLS.dial(ctx, opts.Addr, 0)
		if derr != nil {
			return derr
		}
		c := jsonrpc.NewClient(conn, &jsonrpc.ClientOptions{Dialect: dialect, CallTimeout: -1})
		defer c.Close()
		err = c.Call(ctx, opts.Method, params, &result)
	}

	var rpcErr *jsonrpc.Error
	switch {
	case errors.As(err, &rpcErr):
		if opts.JSON {
			writeRPCJSON(opts, map[string]any{"error": rpcErr})
		}
		msg := fmt.Sprintf("netkit rpc call: %s: error %d: %s", opts.Method, rpcErr.Code, printable(rpcErr.Message))
		if len(rpcErr.Data) > 0 {
			msg += " (data: " + string(rpcErr.Data) + ")"
		}
		fmt.Fprintln(opts.Streams.ErrOut, msg)
		return &exitError{Code: exitRPCError}
	case errors.Is(err, context.DeadlineExceeded) && opts.Timeout > 0:
		return fmt.Errorf("rpc call %s: no response within %v", opts.Method, opts.Timeout)
	case err != nil:
		return err
	}
	if opts.JSON {
		writeRPCJSON(opts, map[string]json.RawMessage{"result": result})
		return nil
	}
	var out bytes.Buffer
	if opts.Streams.OutTTY {
		json.Indent(&out, result, "", "  ")
	} else {
		json.Compact(&out, result)
	}
	out.WriteByte('\n')
	_, err = opts.Streams.Out.Write(out.Bytes())
	return err
}

// printable escapes the control characters of s, a message from the
// server, so that it cannot drive the terminal (ANSI escape sequences).
func printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func writeRPCJSON(opts *rpcCallOptions, v any) {
	enc := json.NewEncoder(opts.Streams.Out)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
