package cli

import (
	"strings"
	"testing"
)

// TestMissingArgs: a command without its arguments names the one that is
// missing and shows the form, rather than cobra's count.
func TestMissingArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"echo"}, "missing ADDR: want netkit echo ADDR [MESSAGE...]"},
		{[]string{"http"}, "missing URL: want netkit http [METHOD] URL [ITEM...]"},
		{[]string{"chat"}, "missing ADDR: want netkit chat ADDR"},
		{[]string{"chat", "a", "b"}, "too many arguments (2): want netkit chat ADDR"},
		{[]string{"rpc", "call"}, "missing ADDR: want netkit rpc call ADDR METHOD [PARAMS...]"},
		{[]string{"bench"}, "missing TARGET: want netkit bench TARGET [ADDR|URL]"},
		{[]string{"bench", "compare", "a.json"}, "missing B.json: want netkit bench compare A.json B.json"},
		{[]string{"url", "join"}, "missing BASE: want netkit url join BASE [REF...]"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "", tt.args...)
		if code != ExitError || strings.TrimSpace(stderr) != "netkit: "+tt.want {
			t.Errorf("netkit %q = %d, %q; want %d, %q", tt.args, code, stderr, ExitError, "netkit: "+tt.want)
		}
	}
}
