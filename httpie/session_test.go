package httpie

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestSessionCookieRules(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	u, _ := url.Parse("http://api.example.org/v1/users")
	s := &Session{}
	h := http.Header{}
	h.Add("Set-Cookie", "host=1")
	h.Add("Set-Cookie", "dom=2; Domain=example.org; Path=/")
	h.Add("Set-Cookie", "foreign=3; Domain=evil.example")
	h.Add("Set-Cookie", "sec=4; Secure; Path=/")
	h.Add("Set-Cookie", "dead=5; Max-Age=-1")
	s.Update(nil, h, u, now)
	for _, tt := range []struct {
		url, want string
	}{
		{"http://api.example.org/v1/users/7", "host=1; dom=2"}, // host's default path is /v1
		{"http://api.example.org/other", "dom=2"},
		{"http://www.example.org/", "dom=2"},
		{"https://api.example.org/", "dom=2; sec=4"},
		{"http://evil.example/", ""},
	} {
		got := http.Header{}
		v, _ := url.Parse(tt.url)
		s.Apply(got, v, now)
		if got.Get("Cookie") != tt.want {
			t.Errorf("%s: Cookie %q, want %q", tt.url, got.Get("Cookie"), tt.want)
		}
	}
}

// FuzzParseSession: any file content loads, or is refused with an error;
// a loaded session applies without panicking.
func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`{"cookies":[{"name":"a","value":"b","domain":"","path":"/","secure":false,"expires":null}],"headers":[{"name":"X","value":"y"}],"auth":{"type":"basic","username":"u","password":"p"}}`))
	f.Add([]byte(`{"cookies":[{"name":""}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSession(b)
		if err != nil {
			return
		}
		u, _ := url.Parse("https://example.org/a/b")
		s.Apply(http.Header{}, u, time.Unix(0, 0))
	})
}
