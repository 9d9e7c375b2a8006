package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newGenCmd is `netkit gen`: files generated from the command tree, for
// packagers.
func newGenCmd(streams *IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate man pages and other files from the command tree",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "man DIR",
		Short: "Write a man page per command (netkit.1, netkit-serve.1, ...) into DIR",
		Long: `Write a man page, section 1, for netkit and each of its commands into DIR,
which is created if needed: install them under /usr/share/man/man1.
Shell completions come from "netkit completion bash|zsh|fish|powershell".`,
		Example: "  netkit gen man ./man && sudo cp man/*.1 /usr/share/man/man1/",
		Args:    argsFor(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			// Generated pages carry no date, so that they are reproducible.
			root.DisableAutoGenTag = true
			hdr := &doc.GenManHeader{Title: "NETKIT", Section: "1", Source: "netkit " + Version, Manual: "netkit manual"}
			if err := doc.GenManTree(root, hdr, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(streams.ErrOut, "wrote the man pages to %s\n", args[0])
			return nil
		},
	})
	return cmd
}
