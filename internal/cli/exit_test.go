package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/netkit-dev/netkit/netclass"
)

// TestExitForClass pins the exit status of every class, as docs/ERRORS.md
// lists them.
func TestExitForClass(t *testing.T) {
	want := map[netclass.Class]int{
		netclass.DNS:          exitHTTPConnect,
		netclass.Refused:      exitHTTPConnect,
		netclass.Reset:        exitHTTPConnect,
		netclass.EOF:          exitHTTPConnect,
		netclass.Closed:       ExitError,
		netclass.Timeout:      exitHTTPTimeout,
		netclass.TLS:          exitTLS,
		netclass.Canceled:     ExitError,
		netclass.Addr:         ExitError,
		netclass.Protocol:     ExitError,
		netclass.HTTP4xx:      ExitError, // netkit http decides from the response
		netclass.HTTP5xx:      ExitError,
		netclass.Redirects:    ExitError,
		netclass.BodyTooLarge: ExitError,
		netclass.Other:        ExitError,
	}
	for _, c := range netclass.Classes {
		w, ok := want[c]
		if !ok {
			t.Errorf("class %q has no row in the table", c)
			continue
		}
		if got := exitForClass(c); got != w {
			t.Errorf("exitForClass(%q) = %d, want %d", c, got, w)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("usage"), ExitError},
		{&exitError{Code: exitTLS}, exitTLS},
		{fmt.Errorf("wrapped: %w", &exitError{Code: exitHTTPTimeout, Err: errors.New("x")}), exitHTTPTimeout},
		{errSilent, ExitError},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
