package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// argsFor checks a command's positional arguments, at least min and at
// most max (-1: no limit), and says which one is missing by its name in
// the command's Use line ("missing ADDR: want ADDR [MESSAGE...]"), where
// cobra's own checks say only "requires at least 1 arg(s)".
func argsFor(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		want := strings.TrimSpace(strings.TrimPrefix(cmd.Use, cmd.Name()))
		if len(args) < min {
			var required []string
			for _, f := range strings.Fields(want) {
				if !strings.HasPrefix(f, "[") && !strings.HasPrefix(f, "-") {
					required = append(required, f)
				}
			}
			missing := "an argument"
			if len(args) < len(required) {
				missing = required[len(args)]
			}
			return fmt.Errorf("missing %s: want %s %s", missing, cmd.CommandPath(), want)
		}
		if max >= 0 && len(args) > max {
			return fmt.Errorf("too many arguments (%d): want %s %s", len(args), cmd.CommandPath(), want)
		}
		return nil
	}
}
