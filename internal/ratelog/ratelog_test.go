package ratelog_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/netkit-dev/netkit/internal/ratelog"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var l ratelog.Limiter
	for range 100 {
		l.Warn(log, "a", "refused")
	}
	l.Warn(log, "b", "other kind")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per kind:\n%s", len(lines), buf.String())
	}
	l.Warn(nil, "a", "no logger") // no panic
}
