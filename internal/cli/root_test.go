package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	want := "netkit " + build().String() + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, _ := run(t, "", args...)
		if code != 0 || out != want {
			t.Errorf("netkit %s = %d, %q; want 0, %q", args[0], code, out, want)
		}
	}
	code, out, _ := run(t, "", "version", "--json")
	var b struct {
		Version   string `json:"version"`
		GoVersion string `json:"go_version"`
	}
	if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil || b.Version != build().Version || b.GoVersion != runtime.Version() {
		t.Errorf("netkit version --json = %d, %q (%v)", code, out, err)
	}
}

// TestVersionRevision: a binary built from a git checkout names its
// commit in --version.
func TestVersionRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout, or no git")
	}
	bin := filepath.Join(t.TempDir(), "netkit")
	// -buildvcs=true over any GOFLAGS that turn stamping off.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "github.com/netkit-dev/netkit/cmd/netkit").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if rev := strings.TrimSpace(string(head))[:12]; !strings.Contains(string(out), "(rev "+rev) {
		t.Errorf("--version = %q, want the revision %s", out, rev)
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

// TestGenMan: a man page per command, in roff.
func TestGenMan(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "", "gen", "man", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, page := range []string{"netkit.1", "netkit-serve.1", "netkit-bench-worker.1", "netkit-url-encode.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s: %v", page, err)
			continue
		}
		if !strings.HasPrefix(string(b), ".nh") && !strings.Contains(string(b), ".TH ") {
			t.Errorf("%s is not a man page:\n%.200s", page, b)
		}
	}
}
