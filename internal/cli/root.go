// Package cli implements the netkit command tree. Every command writes only
// to the IOStreams it is given, so the whole tree runs in-process in tests.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/internal/buildinfo"
)

// Version is the netkit release, set at build time with
// -ldflags "-X github.com/netkit-dev/netkit/internal/cli.Version=v1.2.3".
// Left at devVersion, the module version of `go install ...@v1.2.3`
// takes its place.
var Version = devVersion

const devVersion = "0.1.0-dev"

// build returns what this binary was built from.
func build() buildinfo.Info { return buildinfo.Read(Version, Version == devVersion) }

// NewRootCmd builds the netkit command tree writing to streams.
func NewRootCmd(streams *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:           "netkit",
		Short:         "A networking toolkit: URL tools, HTTP client, TCP services, load generator",
		Version:       build().String(),
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
	root.AddCommand(newVersionCmd(streams), newGenCmd(streams))
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

// newVersionCmd is `netkit version`: what --version prints, or with
// --json every field of it.
func newVersionCmd(streams *IOStreams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the VCS revision and time, the Go version and the platform",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b := build()
			if asJSON {
				enc := json.NewEncoder(streams.Out)
				return enc.Encode(b)
			}
			_, err := fmt.Fprintf(streams.Out, "netkit %s\n", b)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the build's fields as one JSON object")
	return cmd
}

// buildInfoGauge is netkit_build_info: 1, with the build in its labels,
// the Prometheus convention for a binary's version.
func buildInfoGauge(b buildinfo.Info) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "netkit_build_info",
		Help: "The running netkit's build: version, VCS revision, Go version and platform (always 1).",
		ConstLabels: prometheus.Labels{
			"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion, "platform": b.Platform,
		},
	})
	g.Set(1)
	return g
}
