package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/stream"
)

type echoOptions struct {
	Streams  *IOStreams
	Addr     string
	Messages []string // none: read lines from stdin
	Timeout  time.Duration
	JSON     bool
	TLS      clientTLSFlags
}

func newEchoCmd(streams *IOStreams, runF func(context.Context, *echoOptions) error) *cobra.Command {
	opts := &echoOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "echo ADDR [MESSAGE...]",
		Short: "Send lines to an echo server and print its replies",
		Long: `Connect to the echo service at ADDR (host:port), send each MESSAGE (or,
without messages, each line of standard input) and print each reply.
--timeout bounds the connection and each exchange.`,
		Example: `  netkit echo 127.0.0.1:7001 "Hello async!" "Goodbye"
  printf 'a\nb\n' | netkit echo 127.0.0.1:7001 --json`,
		Args: argsFor(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Addr, opts.Messages = args[0], args[1:]
			if runF == nil {
				runF = runEcho
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().Var(newDurationValue(&opts.Timeout, 5*time.Second), "timeout", "limit for connecting and for each exchange (0: none)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, `print one JSON object per reply: {"message":...,"reply":...}`)
	opts.TLS.addFlags(cmd.Flags())
	return cmd
}

// withTimeout returns ctx bounded by d, or ctx itself for d == 0.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

func runEcho(ctx context.Context, opts *echoOptions) error {
	conn, err := opts.TLS.dial(ctx, opts.Addr, opts.Timeout)
	if err != nil {
		return err
	}
	cl := echo.NewClient(conn)
	defer cl.Close()

	next := func() (string, bool, error) {
		if len(opts.Messages) == 0 {
			return "", false, nil
		}
		m := opts.Messages[0]
		opts.Messages = opts.Messages[1:]
		return m, true, nil
	}
	if len(opts.Messages) == 0 {
		r := stream.NewReader(opts.Streams.In, 0)
		next = func() (string, bool, error) {
			line, err := r.ReadLine()
			var ie *stream.IncompleteError
			switch {
			case err == io.EOF:
				return "", false, nil
			case errors.As(err, &ie):
				return string(ie.Partial), true, nil
			case err != nil:
				return "", false, fmt.Errorf("reading standard input: %w", err)
			}
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return string(line), true, nil
		}
	}
	enc := json.NewEncoder(opts.Streams.Out)
	for {
		msg, ok, err := next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		ectx, cancel := withTimeout(ctx, opts.Timeout)
		reply, err := cl.Echo(ectx, msg)
		cancel()
		if err != nil {
			return fmt.Errorf("echo %q: %w", msg, err)
		}
		if opts.JSON {
			enc.Encode(struct {
				Message string `json:"message"`
				Reply   string `json:"reply"`
			}{msg, reply})
		} else {
			fmt.Fprintln(opts.Streams.Out, reply)
		}
	}
}
