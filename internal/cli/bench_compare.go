package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/loadgen"
)

// newBenchCompareCmd is `netkit bench compare A.json B.json`.
func newBenchCompareCmd(streams *IOStreams) *cobra.Command {
	var html string
	cmd := &cobra.Command{
		Use:   "compare A.json B.json",
		Short: "Compare two saved runs (netkit bench --json): throughput and percentiles side by side",
		Long: `Print two runs saved with netkit bench --json side by side: requests per
second, requests, errors and every latency percentile, with the change from
A to B as a ratio (B ÷ A; for latency, below 1 means B is faster). --html
writes both runs overlaid on one latency plot and one throughput plot.`,
		Args: argsFor(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := loadgen.ReadResult(args[0])
			if err != nil {
				return err
			}
			b, err := loadgen.ReadResult(args[1])
			if err != nil {
				return err
			}
			nameA, nameB := runName(a, args[0]), runName(b, args[1])
			if err := loadgen.WriteComparison(streams.Out, a, b, nameA, nameB); err != nil {
				return err
			}
			if html == "" {
				return nil
			}
			a.Label, b.Label = nameA, nameB
			if err := writeReport(html, a, b); err != nil {
				return err
			}
			fmt.Fprintf(streams.ErrOut, "wrote the HTML report to %s\n", html)
			return nil
		},
	}
	cmd.Flags().StringVar(&html, "html", "", "write both runs overlaid on one latency plot to `FILE`")
	return cmd
}

// runName is a run's label, else its file's name without .json.
func runName(r *loadgen.Result, path string) string {
	if r.Label != "" {
		return r.Label
	}
	return strings.TrimSuffix(filepath.Base(path), ".json")
}
