package cli

import (
	"context"
	"strings"
	"testing"
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
