package cli

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestChatFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    chatOptions
		wantErr bool
	}{
		{[]string{"127.0.0.1:7002"}, chatOptions{Addr: "127.0.0.1:7002", Timeout: 5 * time.Second, Wait: 5 * time.Second}, false},
		{[]string{"h:1", "--nick", "alice", "--room", "#Dev", "--json", "--timeout", "1s", "--wait", "250ms"},
			chatOptions{Addr: "h:1", Nick: "alice", Room: "dev", Timeout: time.Second, Wait: 250 * time.Millisecond, JSON: true}, false},
		{nil, chatOptions{}, true},
		{[]string{"h:1", "h:2"}, chatOptions{}, true},
		{[]string{"h:1", "--nick", "1bad"}, chatOptions{}, true},
		{[]string{"h:1", "--room", "a/b"}, chatOptions{}, true},
	}
	for _, tt := range tests {
		got, err := parseOptions(newChatCmd, tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("chat %q: error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil {
			got.Streams = nil
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("chat %q options (-want +got):\n%s", tt.args, diff)
			}
		}
	}
}

// chatServer serves a chat server with a clock standing at 09:00:00.
func chatServer(t *testing.T) (string, *tcpserver.Server) {
	t.Helper()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	srv := &tcpserver.Server{Handler: chat.NewServer(chat.Config{Now: func() time.Time { return at }})}
	return testnet.Serve(t, srv), srv
}

func TestChatRun(t *testing.T) {
	addr, _ := chatServer(t)
	code, out, stderr := run(t, "Hello!\n/who\n/frob\nbye now", "chat", addr, "--nick", "alice", "--room", "dev")
	lines := strings.Split(out, "\n")
	if code != 0 || len(lines) < 2 || !strings.HasPrefix(lines[0], "Welcome! You are 127.0.0.1:") {
		t.Fatalf("netkit chat = %d, %q (stderr %q); want 0 and the welcome first", code, out, stderr)
	}
	want := strings.Join([]string{
		"[09:00:00] * " + strings.TrimSuffix(strings.Fields(lines[0])[3], ".") + " is now known as alice",
		"[09:00:00] * alice joined dev",
		"[09:00:00] alice: Hello!",
		"[09:00:00] * dev (1): alice",
		"[09:00:00] ! unknown command /frob; try /help",
		"[09:00:00] alice: bye now",
		"[09:00:00] * bye",
		"",
	}, "\n")
	if got := strings.Join(lines[1:], "\n"); got != want {
		t.Errorf("netkit chat printed:\n%s\nwant:\n%s", got, want)
	}
}

func TestChatJSON(t *testing.T) {
	addr, _ := chatServer(t)
	before := time.Now().Add(-time.Second)
	code, out, stderr := run(t, "hi\n", "chat", "--json", "--nick", "bob", addr)
	after := time.Now().Add(time.Second)
	if code != 0 {
		t.Fatalf("netkit chat --json = %d (stderr %q)", code, stderr)
	}
	var got []chatJSONLine
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var l chatJSONLine
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("decoding %q: %v", out, err)
		}
		// Received times are RFC 3339 with an offset, within the run.
		at, err := time.Parse(time.RFC3339, l.Time)
		if err != nil || at.Before(before) || at.After(after) {
			t.Errorf("time %q: %v, want RFC 3339 between %v and %v", l.Time, err, before, after)
		}
		l.Time = ""
		got = append(got, l)
	}
	if len(got) != 4 || got[0].Kind != chat.KindWelcome {
		t.Fatalf("netkit chat --json printed %+v, want the welcome and 3 lines", got)
	}
	want := []chatJSONLine{
		{Kind: chat.KindMessage, ServerTime: "09:00:00", From: "bob", Text: "hi"},
		{Kind: chat.KindNotice, ServerTime: "09:00:00", Text: "bye"},
	}
	if diff := cmp.Diff(want, got[2:]); diff != "" {
		t.Errorf("netkit chat --json lines (-want +got):\n%s", diff)
	}
}

func TestChatServerCloses(t *testing.T) {
	addr, srv := chatServer(t)
	streams, out, _ := Test("")
	pr, pw := io.Pipe() // standard input that stays open
	defer pw.Close()
	streams.In = pr
	done := make(chan int, 1)
	go func() { done <- Main(context.Background(), []string{"chat", addr}, streams) }()
	if !testnet.Eventually(5*time.Second, func() bool { return srv.Stats().Active == 1 }) {
		t.Fatal("netkit chat did not connect")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	select {
	case code := <-done:
		if code != ExitError || !strings.Contains(out.String(), "* server shutting down") {
			t.Errorf("netkit chat after shutdown = %d, printed %q; want %d and the notice", code, out.String(), ExitError)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("netkit chat did not end when the server shut down")
	}
}

func TestChatRefused(t *testing.T) {
	code, _, stderr := run(t, "", "chat", "--timeout", "2s", "127.0.0.1:1")
	if code != ExitError || stderr == "" {
		t.Errorf("netkit chat to a closed port = %d, stderr %q; want %d and an error", code, stderr, ExitError)
	}
}
