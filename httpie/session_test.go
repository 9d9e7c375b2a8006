package httpie

import (
	"encoding/json"
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

// TestSessionAuth: credentials are written as HTTPie 3 writes them (type
// and raw_auth) and read back, in that form and in the older one.
func TestSessionAuth(t *testing.T) {
	for _, tt := range []struct {
		file, typ, raw, header string
	}{
		{`{"auth":{"type":"basic","raw_auth":"u:p"}}`, "basic", "u:p", "Basic dTpw"},
		{`{"auth":{"type":"basic","username":"u","password":"p"}}`, "basic", "u:p", "Basic dTpw"},
		{`{"auth":{"type":"bearer","raw_auth":"tok"}}`, "bearer", "tok", "Bearer tok"},
		{`{"auth":{"type":"digest","raw_auth":"u:p"}}`, "digest", "u:p", ""}, // answered to the challenge
		{`{"auth":{"type":null,"username":null,"password":null}}`, "", "", ""},
	} {
		s, err := ParseSession([]byte(tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		typ, raw, _ := s.Auth.Credentials()
		if typ != tt.typ || raw != tt.raw {
			t.Errorf("%s: credentials %q %q, want %q %q", tt.file, typ, raw, tt.typ, tt.raw)
		}
		h := http.Header{}
		s.Apply(h, &url.URL{Scheme: "http", Host: "x", Path: "/"}, time.Now())
		if got := h.Get("Authorization"); got != tt.header {
			t.Errorf("%s: Authorization %q, want %q", tt.file, got, tt.header)
		}
		if typ == "" {
			continue
		}
		var saved Session
		saved.SetAuth(typ, raw)
		b, err := json.Marshal(saved.Auth)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"type":"` + typ + `","raw_auth":"` + raw + `"}`; string(b) != want {
			t.Errorf("saved as %s, want %s", b, want)
		}
	}
}

// FuzzParseSession: any file content loads, or is refused with an error;
// a loaded session applies without panicking.
func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`{"cookies":[{"name":"a","value":"b","domain":"","path":"/","secure":false,"expires":null}],"headers":[{"name":"X","value":"y"}],"auth":{"type":"basic","username":"u","password":"p"}}`))
	f.Add([]byte(`{"auth":{"type":"bearer","raw_auth":"tok"},"cookies":[],"headers":[]}`))
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
