// Package cli implements the netkit command tree. Every command writes only
// to the IOStreams it is given, so the whole tree runs in-process in tests.
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Version is the netkit release, set at build time with
// -ldflags "-X github.com/netkit-dev/netkit/internal/cli.Version=v1.2.3".
var Version = "0.1.0-dev"

// NewRootCmd builds the netkit command tree writing to streams.
func NewRootCmd(streams *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:           "netkit",
		Short:         "A networking toolkit: URL tools, HTTP client, TCP services, load generator",
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE:          func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetVersionTemplate("netkit {{.Version}}\n")

	for _, newCmd := range commandGroups {
		root.AddCommand(newCmd(streams))
	}
	return root
}

// commandGroups lists the constructors of the top-level commands, one per
// file of this package, in the order `netkit --help` shows them.
var commandGroups = []func(*IOStreams) *cobra.Command{
	func(s *IOStreams) *cobra.Command { return newServeCmd(s, nil) },
	func(s *IOStreams) *cobra.Command { return newEchoCmd(s, nil) },
	func(s *IOStreams) *cobra.Command { return newChatCmd(s, nil) },
	newURLCmd,
	func(s *IOStreams) *cobra.Command { return newHTTPCmd(s, nil) },
	func(s *IOStreams) *cobra.Command { return newFetchCmd(s, nil) },
	newRPCCmd,
	func(s *IOStreams) *cobra.Command { return newBenchCmd(s, nil) },
}

// Main runs the netkit command line with args and returns the exit status.
func Main(ctx context.Context, args []string, streams *IOStreams) int {
	root := NewRootCmd(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, errSilent) {
		var ee *exitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(streams.ErrOut, "netkit: %v\n", err)
		}
	}
	return exitCode(err)
}
