package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHTTPSession: cookies the server sets are sent back on the next run,
// an expired one is not, and custom headers and auth are kept; the file
// is mode 0600; --session-read-only does not change it.
func TestHTTPSession(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "abc", Path: "/"})
			http.SetCookie(w, &http.Cookie{Name: "old", Value: "gone", Path: "/", Expires: time.Now().Add(-time.Hour)})
			http.SetCookie(w, &http.Cookie{Name: "brief", Value: "1", Path: "/", MaxAge: 3600})
			http.SetCookie(w, &http.Cookie{Name: "elsewhere", Value: "x", Domain: "other.example", Path: "/"})
		case "/logout":
			http.SetCookie(w, &http.Cookie{Name: "brief", Value: "", Path: "/", MaxAge: -1})
		}
		var names []string
		for _, c := range r.Cookies() {
			names = append(names, c.Name+"="+c.Value)
		}
		fmt.Fprintf(w, "cookies=%s x-team=%s auth=%s", strings.Join(names, ","), r.Header.Get("X-Team"), r.Header.Get("Authorization"))
	}))
	defer ts.Close()
	file := filepath.Join(t.TempDir(), "s.json")

	if code, out, stderr := run(t, "", "http", "--session", file, ts.URL+"/login", "X-Team:blue", "-a", "u:p"); code != 0 {
		t.Fatalf("first run: %d %q %q", code, out, stderr)
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file: %v, mode %v", err, fi.Mode().Perm())
	}
	_, out, _ := run(t, "", "http", "--session", file, ts.URL+"/next")
	if !strings.Contains(out, "sid=abc") || !strings.Contains(out, "brief=1") || strings.Contains(out, "old=") || strings.Contains(out, "elsewhere") ||
		!strings.Contains(out, "x-team=blue") || !strings.Contains(out, "auth=Basic dTpw") {
		t.Errorf("second run sent %q", out)
	}
	// A cookie the server expires is dropped.
	run(t, "", "http", "--session", file, ts.URL+"/logout")
	_, out, _ = run(t, "", "http", "--session", file, ts.URL+"/next")
	if strings.Contains(out, "brief=") || !strings.Contains(out, "sid=abc") {
		t.Errorf("after logout: %q", out)
	}
	// Read-only: used, not changed.
	before, _ := os.ReadFile(file)
	_, out, _ = run(t, "", "http", "--session-read-only", file, ts.URL+"/login", "X-New:1")
	after, _ := os.ReadFile(file)
	if string(before) != string(after) || !strings.Contains(out, "sid=abc") {
		t.Errorf("--session-read-only changed the file or did not use it: %q", out)
	}
	// A read-only session that does not exist yet is written, as HTTPie
	// writes it.
	fresh := filepath.Join(t.TempDir(), "fresh.json")
	run(t, "", "http", "--session-read-only", fresh, ts.URL+"/login")
	if b, err := os.ReadFile(fresh); err != nil || !strings.Contains(string(b), `"sid"`) {
		t.Errorf("new read-only session: %v, %s", err, b)
	}
	// The file is HTTPie's format.
	var s struct {
		Cookies []struct{ Name string } `json:"cookies"`
		Headers []struct{ Name string } `json:"headers"`
	}
	if err := json.Unmarshal(after, &s); err != nil || len(s.Cookies) != 1 || len(s.Headers) != 1 {
		t.Errorf("session file %s: %v", after, err)
	}
}

// TestHTTPRedirectCookies: with --follow, a cookie set on a redirect is
// sent on the next hop, with or without a session, and kept in the
// session; one the redirect expires is no longer sent. The command
// line's own Cookie header goes along.
func TestHTTPRedirectCookies(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/set":
			http.SetCookie(w, &http.Cookie{Name: "k", Value: "v", Path: "/"})
			http.Redirect(w, r, "/show", http.StatusFound)
			return
		case "/unset":
			http.SetCookie(w, &http.Cookie{Name: "k", Path: "/", MaxAge: -1})
			http.Redirect(w, r, "/show", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "cookie=%s", r.Header.Get("Cookie"))
	}))
	defer ts.Close()
	file := filepath.Join(t.TempDir(), "s.json")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--follow", ts.URL + "/set"}, "cookie=k=v"},
		{[]string{"--follow", ts.URL + "/set", "Cookie:mine=1"}, "cookie=mine=1; k=v"},
		{[]string{"--follow", "--session", file, ts.URL + "/set"}, "cookie=k=v"},
		{[]string{"--session", file, ts.URL + "/show"}, "cookie=k=v"}, // kept
		{[]string{"--follow", "--session", file, ts.URL + "/unset"}, "cookie="},
		{[]string{"--session", file, ts.URL + "/show"}, "cookie="},
	} {
		code, out, stderr := run(t, "", append([]string{"http"}, tt.args...)...)
		if code != 0 || out != tt.want {
			t.Errorf("%v: exit %d, %q (%s); want %q", tt.args, code, out, stderr, tt.want)
		}
	}
}
