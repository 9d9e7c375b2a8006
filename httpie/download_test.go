package httpie

import "testing"

func TestDownloadName(t *testing.T) {
	for _, tt := range []struct {
		cd, url, ct, want string
	}{
		{`attachment; filename="report.pdf"`, "http://x/y", "", "report.pdf"},
		{`attachment; filename="../../etc/passwd"`, "http://x/y", "", "passwd"},
		{`attachment; filename="..\\..\\win.ini"`, "http://x/y", "", "win.ini"},
		{`attachment; filename=".hidden"`, "http://x/y", "", "hidden"},
		{"", "http://x/files/archive.tar.gz?v=1", "", "archive.tar.gz"},
		{"", "http://x/", "text/html; charset=utf-8", "index.html"},
		{"", "http://x/api/users", "application/json", "users.json"},
		{"", "http://x/..", "", "download"},
	} {
		if got := DownloadName(tt.cd, tt.url, tt.ct); got != tt.want {
			t.Errorf("DownloadName(%q, %q, %q) = %q, want %q", tt.cd, tt.url, tt.ct, got, tt.want)
		}
	}
}

func TestContentRangeStart(t *testing.T) {
	for in, want := range map[string]int64{"bytes 100-199/200": 100, "bytes 0-0/1": 0} {
		if got, ok := ContentRangeStart(in); !ok || got != want {
			t.Errorf("%q: %d %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "items 1-2/3", "bytes -5/10", "bytes x-1/2"} {
		if _, ok := ContentRangeStart(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
