package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// run executes the netkit command line in-process and returns its exit
// status and what it printed.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	streams, out, errOut := Test(stdin)
	code = Main(context.Background(), args, streams)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", "--version")
	if code != 0 || out != "netkit "+Version+"\n" {
		t.Errorf("netkit --version = %d, %q; want 0, %q", code, out, "netkit "+Version+"\n")
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, stderr := run(t, "", "completion", shell)
		if code != 0 || !strings.Contains(out, "netkit") {
			t.Errorf("netkit completion %s = %d, %d bytes (stderr %q); want 0 and a script naming netkit", shell, code, len(out), stderr)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	code, _, stderr := run(t, "", "frobnicate")
	if code != ExitError || !strings.Contains(stderr, "frobnicate") {
		t.Errorf("netkit frobnicate = %d, stderr %q; want %d and the name in the error", code, stderr, ExitError)
	}
}

// parseOptions builds a command with newCmd, runs it on args with a runF
// that only captures the options, and returns them: the flags-to-options
// half of a command's tests.
func parseOptions[O any](newCmd func(*IOStreams, func(context.Context, *O) error) *cobra.Command, args []string) (*O, error) {
	streams, _, _ := Test("")
	var got *O
	cmd := newCmd(streams, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	return got, nil
}
