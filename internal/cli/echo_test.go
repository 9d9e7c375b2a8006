package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestEchoFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    echoOptions
		wantErr bool
	}{
		{[]string{"127.0.0.1:7001", "a", "b c"}, echoOptions{Addr: "127.0.0.1:7001", Messages: []string{"a", "b c"}, Timeout: 5 * time.Second}, false},
		{[]string{"--timeout", "250ms", "--json", "h:1"}, echoOptions{Addr: "h:1", Messages: []string{}, Timeout: 250 * time.Millisecond, JSON: true}, false},
		{nil, echoOptions{}, true},
		{[]string{"--timeout", "-1", "h:1"}, echoOptions{}, true},
	}
	for _, tt := range tests {
		got, err := parseOptions(newEchoCmd, tt.args)
		if (err != nil) != tt.wantErr {
			t.Errorf("echo %q: error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err == nil {
			got.Streams = nil
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("echo %q options (-want +got):\n%s", tt.args, diff)
			}
		}
	}
}

func echoServer(t *testing.T) string {
	t.Helper()
	srv := &tcpserver.Server{Handler: echo.Handler{}}
	return testnet.Serve(t, srv)
}

func TestEchoRun(t *testing.T) {
	addr := echoServer(t)
	tests := []struct {
		name   string
		stdin  string
		args   []string
		want   string
		status int
	}{
		{"messages", "", []string{"echo", addr, "Hello async!", "  Python networking ", "Goodbye"}, "ECHO: Hello async!\nECHO: Python networking\nECHO: Goodbye\n", 0},
		{"stdin", "one\r\ntwo\nlast", []string{"echo", addr}, "ECHO: one\nECHO: two\nECHO: last\n", 0},
		{"json", "", []string{"echo", "--json", addr, "x"}, `{"message":"x","reply":"ECHO: x"}` + "\n", 0},
		{"refused", "", []string{"echo", "--timeout", "2s", "127.0.0.1:1", "x"}, "", 1},
	}
	for _, tt := range tests {
		code, out, stderr := run(t, tt.stdin, tt.args...)
		if code != tt.status || out != tt.want {
			t.Errorf("%s: netkit %q = %d, %q (stderr %q); want %d, %q", tt.name, tt.args, code, out, stderr, tt.status, tt.want)
		}
	}
}
