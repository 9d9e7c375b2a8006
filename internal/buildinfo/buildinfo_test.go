package buildinfo

import (
	"runtime"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   Info
		want string
	}{
		{Info{Version: "1.2.3", GoVersion: "go1.26.8", Platform: "linux/amd64"}, "1.2.3 go1.26.8 linux/amd64"},
		{Info{Version: "1.2.3", Revision: "0123456789abcdef", Time: "2026-12-04T08:00:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"},
			"1.2.3 (rev 0123456789ab, 2026-12-04T08:00:00Z) go1.26.8 linux/amd64"},
		{Info{Version: "v0.2.0", Revision: "abc", Modified: true, GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			"v0.2.0 (rev abc, modified) go1.26.8 darwin/arm64"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRead(t *testing.T) {
	i := Read("9.9.9", false)
	if i.Version != "9.9.9" || i.GoVersion != runtime.Version() || i.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("Read = %+v", i)
	}
}
