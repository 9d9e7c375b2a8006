package cli

import (
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams holds the streams a command reads and writes. Commands never
// touch os.Stdin/os.Stdout directly, so tests run them in-process with
// buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// OutTTY and ErrTTY report whether Out and ErrOut are terminals:
	// commands print tables, colours and progress lines only then.
	OutTTY bool
	ErrTTY bool
	// InTTY reports whether In is a terminal; netkit http reads a piped
	// In as the request body.
	InTTY bool

	// ReadPassword asks for a secret on the terminal without echo; nil
	// when there is no terminal to ask on.
	ReadPassword func(prompt string) (string, error)
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		OutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		ReadPassword: func(prompt string) (string, error) {
			tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
			if err != nil {
				return "", err
			}
			defer tty.Close()
			io.WriteString(tty, prompt)
			b, err := term.ReadPassword(int(tty.Fd()))
			io.WriteString(tty, "\n")
			return string(b), err
		},
	}
}

// Test returns streams backed by buffers, reading in, for in-process tests.
func Test(in string) (s *IOStreams, out, errOut *bytes.Buffer) {
	out, errOut = &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: strings.NewReader(in), Out: out, ErrOut: errOut}, out, errOut
}
