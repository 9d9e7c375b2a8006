package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/stream"
)

type chatOptions struct {
	Streams *IOStreams
	Addr    string
	Nick    string // "" keeps the HOST:PORT name
	Room    string // "" stays in the server's default room
	Timeout time.Duration
	Wait    time.Duration
	JSON    bool
	TLS     clientTLSFlags
}

func newChatCmd(streams *IOStreams, runF func(context.Context, *chatOptions) error) *cobra.Command {
	opts := &chatOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "chat ADDR",
		Short: "Chat on a chat server: stdin lines out, incoming lines printed",
		Long: `Connect to the chat service at ADDR (host:port), take --nick and join
--room if given, send each line of standard input (messages, or commands
such as /who, /join ROOM, /me ACTION; /help lists them) and print every
line the server sends as it arrives.

At the end of standard input (or on Ctrl-C) netkit chat sends /quit and
waits up to --wait for the server to close the connection, so piped input
gets the replies to every line. The exit status is 0 after leaving, 1 when
the server closed the connection first (shutdown, slow or flooding client).`,
		Example: `  netkit chat 127.0.0.1:7002 --nick alice
  printf 'Hello!\n/who\n' | netkit chat 127.0.0.1:7002 --room dev --json`,
		Args: argsFor(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Addr = args[0]
			if opts.Nick != "" && chat.ValidNick(opts.Nick) != nil {
				return fmt.Errorf("invalid --nick %q: a letter, then letters, digits, - or _, at most %d", opts.Nick, chat.MaxNickLen)
			}
			if opts.Room != "" {
				opts.Room = chat.CanonicalRoom(opts.Room)
				if chat.ValidRoom(opts.Room) != nil {
					return fmt.Errorf("invalid --room %q: letters, digits, - or _, at most %d", opts.Room, chat.MaxRoomLen)
				}
			}
			if runF == nil {
				runF = runChat
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	opts.TLS.addFlags(f)
	f.StringVar(&opts.Nick, "nick", "", "nickname to take on connecting")
	f.StringVar(&opts.Room, "room", "", "room to join on connecting (default: the server's, lobby)")
	f.Var(newDurationValue(&opts.Timeout, 5*time.Second), "timeout", "limit for connecting and for each line sent (0: none)")
	f.Var(newDurationValue(&opts.Wait, 5*time.Second), "wait", "after /quit, how long to wait for the server to close")
	f.BoolVar(&opts.JSON, "json", false, `print one JSON object per line: {"kind":...,"time":RFC 3339,"server_time":"HH:MM:SS","from":...,"text":...}`)
	return cmd
}

// errServerClosed reports that the server ended the session first.
var errServerClosed = errors.New("chat: connection closed by server")

func runChat(ctx context.Context, opts *chatOptions) error {
	conn, err := opts.TLS.dial(ctx, opts.Addr, opts.Timeout)
	if err != nil {
		return err
	}
	cl := chat.NewClient(conn)
	defer cl.Close()

	if opts.Streams.ErrTTY {
		fmt.Fprintf(opts.Streams.ErrOut, "Connected to %s: type messages, /help for the commands, Ctrl-D to leave.\n", opts.Addr)
	}
	// The receiving goroutine is the only writer of Out; it ends when the
	// connection does (Close above ends it at the latest).
	received := make(chan error, 1)
	go func() { received <- printLines(cl, opts) }()

	send := func(text string) error {
		sctx, cancel := withTimeout(ctx, opts.Timeout)
		defer cancel()
		return cl.Send(sctx, text)
	}
	if opts.Nick != "" {
		if err := send("/nick " + opts.Nick); err != nil {
			return err
		}
	}
	if opts.Room != "" {
		if err := send("/join " + opts.Room); err != nil {
			return err
		}
	}

	// Standard input is read in its own goroutine, which ends at its end
	// of stream; a terminal's read cannot be interrupted, so on Ctrl-C it
	// is left blocked until the process exits.
	lines := make(chan string)
	inErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		inErr <- readLines(opts.Streams.In, lines, stop)
	}()

	for {
		select {
		case err := <-received:
			if err != nil {
				return err
			}
			return errServerClosed
		case line, ok := <-lines:
			if !ok {
				if err := <-inErr; err != nil {
					fmt.Fprintf(opts.Streams.ErrOut, "netkit: chat: %v\n", err)
				}
				return quit(ctx, cl, send, received, opts.Wait)
			}
			if err := send(line); err != nil {
				return err
			}
		case <-ctx.Done():
			return quit(context.WithoutCancel(ctx), cl, send, received, opts.Wait)
		}
	}
}

// quit sends /quit and waits up to wait for the server to close, so that
// the replies to the lines already sent are printed.
func quit(ctx context.Context, cl *chat.Client, send func(string) error, received <-chan error, wait time.Duration) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	if err := send("/quit"); err != nil {
		// The connection is already gone, and why is what the exit
		// status must say: a refused client certificate arrives as the
		// server's alert, which this send or the reader may see first.
		// Closing before the reader has ended would hide it from the
		// reader; a server that simply closed leaves it nil.
		if netclass.Of(err) == netclass.TLS {
			return err
		}
	}
	select {
	case err := <-received:
		return err
	case <-t.C:
		cl.Close()
		<-received
		return nil
	}
}

// chatJSONLine is a line as --json prints it. The protocol stamps lines
// with the server's wall clock, HH:MM:SS with no date or zone, which
// is kept as server_time; time is when this client received the line, in
// RFC 3339 with its offset, as every --json output of netkit gives times.
type chatJSONLine struct {
	Kind       string `json:"kind"`
	Time       string `json:"time"`
	ServerTime string `json:"server_time,omitempty"`
	From       string `json:"from,omitempty"`
	Text       string `json:"text"`
}

func newChatJSONLine(l chat.Line, received time.Time) chatJSONLine {
	return chatJSONLine{Kind: l.Kind, Time: received.Format("2006-01-02T15:04:05.000Z07:00"), ServerTime: l.Time, From: l.From, Text: l.Text}
}

// printLines prints every line from the server until the end of the
// stream (nil) or a read error.
func printLines(cl *chat.Client, opts *chatOptions) error {
	enc := json.NewEncoder(opts.Streams.Out)
	enc.SetEscapeHTML(false)
	for {
		line, err := cl.ReadLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, stream.ErrTooLong) {
				return fmt.Errorf("chat: %w", err)
			}
			if netclass.Of(err) == netclass.TLS {
				// The server refused this client's certificate: its
				// alert arrives on the first read under TLS 1.3.
				return err
			}
			return nil // reset or closed by us: the session is over
		}
		if opts.JSON {
			enc.Encode(newChatJSONLine(chat.ParseLine(line), time.Now()))
		} else {
			fmt.Fprintln(opts.Streams.Out, line)
		}
	}
}

// readLines sends each line of r, without its line ending, to lines and
// closes it at the end of r; it gives up when stop is closed.
func readLines(r io.Reader, lines chan<- string, stop <-chan struct{}) error {
	defer close(lines)
	sr := stream.NewReader(r, 0)
	for {
		line, err := sr.ReadLine()
		var ie *stream.IncompleteError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &ie):
			line = ie.Partial
		case err != nil:
			return fmt.Errorf("reading standard input: %w", err)
		default:
			line = line[:len(line)-1]
		}
		select {
		case lines <- strings.TrimSuffix(string(line), "\r"):
		case <-stop:
			return nil
		}
		if ie != nil {
			return nil
		}
	}
}
