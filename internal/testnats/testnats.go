// Package testnats starts embedded NATS servers for tests, as netkit serve
// --nats runs one. It is a package of its own, apart from internal/testnet,
// because natsbus's own tests use testnet.
package testnats

import (
	"context"
	"testing"

	"github.com/netkit-dev/netkit/natsbus"
)

// Start starts an embedded NATS server with cfg, JetStream's store in a
// directory of the test's unless cfg names one, and shuts it down when the
// test ends.
func Start(t testing.TB, cfg natsbus.ServerConfig) *natsbus.Server {
	t.Helper()
	if cfg.StoreDir == "" {
		cfg.StoreDir = t.TempDir()
	}
	s, err := natsbus.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s
}
