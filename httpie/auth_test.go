package httpie

import (
	"strings"
	"testing"
)

func TestParseNetrc(t *testing.T) {
	const file = `# comment
machine a.example login alice password pa
machine b.example
  login bob
  password "pb"
macdef init
  cd /pub
  machine evil.example login x password y

default login anyone password anything
`
	for _, tt := range []struct {
		host, login, pass string
		ok                bool
	}{
		{"a.example", "alice", "pa", true},
		{"A.EXAMPLE", "alice", "pa", true},
		{"b.example", "bob", "pb", true},
		{"evil.example", "anyone", "anything", true}, // inside a macro: not an entry
		{"other.example", "anyone", "anything", true},
	} {
		login, pass, ok := parseNetrc(strings.NewReader(file), tt.host)
		if login != tt.login || pass != tt.pass || ok != tt.ok {
			t.Errorf("%s: %q %q %v; want %q %q %v", tt.host, login, pass, ok, tt.login, tt.pass, tt.ok)
		}
	}
	if _, _, ok := parseNetrc(strings.NewReader("machine x login y password z\n"), "other"); ok {
		t.Error("no default: found an entry for another host")
	}
}

func FuzzNetrc(f *testing.F) {
	f.Add("machine a login b password c\ndefault login d password e\n", "a")
	f.Add("macdef x\nmachine a\n\nmachine a login l\n", "a")
	f.Fuzz(func(t *testing.T, file, host string) {
		login, pass, ok := parseNetrc(strings.NewReader(file), host)
		if !ok && (login != "" || pass != "") {
			t.Fatalf("not found, yet %q %q", login, pass)
		}
		if ok && !strings.Contains(file, "machine") && !strings.Contains(file, "default") {
			t.Fatalf("found %q %q in a file without entries", login, pass)
		}
	})
}

func TestDigestChallenge(t *testing.T) {
	c, ok := parseDigestChallenge([]string{`Basic realm="x"`, `Digest realm="me@example.org", qop="auth,auth-int", nonce="abc,def", opaque="op", algorithm=SHA-256`})
	if !ok || c.realm != "me@example.org" || c.nonce != "abc,def" || c.qop != "auth,auth-int" || c.opaque != "op" || c.algorithm != "SHA-256" {
		t.Fatalf("challenge = %+v, %v", c, ok)
	}
	v, err := c.authorize("GET", "/x", "u", "p")
	if err != nil || !strings.Contains(v, `username="u"`) || !strings.Contains(v, "qop=auth,") || !strings.Contains(v, `uri="/x"`) {
		t.Errorf("authorize = %q, %v", v, err)
	}
	if _, err := (digestChallenge{nonce: "n", algorithm: "SHA-512-sess"}).authorize("GET", "/", "u", "p"); err == nil {
		t.Error("an unknown algorithm was accepted")
	}
}
