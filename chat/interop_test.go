package chat_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
)

// The chapter's own clients, run by Python, against this server: each
// reads the welcome line and, for each message it sends, one line back (its
// own message, or another client's, or a join notice: they share the
// lobby).
func TestPythonChapterClients(t *testing.T) {
	py := testnet.Python(t)
	addr, cs, _ := start(t, chat.Config{Now: time.Now}, nil)
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "../bench/python/chat_client.py", host, port).CombinedOutput()
	if err != nil {
		t.Fatalf("chat_client.py: %v\n%s", err, out)
	}
	t.Logf("chat_client.py:\n%s", out)

	welcome := regexp.MustCompile(`^\s*\[(Alice|Bob|Carol)\] Welcome! You are 127\.0\.0\.1:\d+\. [123] client\(s\) connected\.$`)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var welcomes int
	for _, l := range lines {
		if welcome.MatchString(l) {
			welcomes++
		}
	}
	if welcomes != 3 {
		t.Errorf("%d welcome lines, want 3", welcomes)
	}
	if !strings.Contains(string(out), "Total messages exchanged: 6") {
		t.Errorf("output lacks %q", "Total messages exchanged: 6")
	}
	var results map[string][]string
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &results); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	for name, got := range results {
		for _, resp := range got {
			if k := chat.ParseLine(resp).Kind; k != chat.KindMessage && k != chat.KindNotice {
				t.Errorf("%s got %q (%s), want a chat message or notice", name, resp, k)
			}
		}
	}
	// Each client's first message was read by the server before the
	// client read its line back. A second one can be lost when the client
	// closes with unread lines (its kernel then sends a reset).
	if st := cs.Stats(); st.Received < 3 || st.Received > 6 {
		t.Errorf("Stats().Received = %d, want 3 to 6", st.Received)
	}
}
