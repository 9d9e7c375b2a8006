// Command netkit runs netkit's network services and client tools.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/netkit-dev/netkit/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx, which commands treat as "finish
	// gracefully"; stop() then restores the default action, so a second
	// signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()
	os.Exit(cli.Main(ctx, os.Args[1:], cli.System()))
}
