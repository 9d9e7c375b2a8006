package httpie

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Session is what HTTPie keeps between runs under --session: cookies,
// custom headers and auth. Its file is HTTPie 3's session format, so
// HTTPie can read it too.
type Session struct {
	Meta    map[string]string `json:"__meta__"`
	Auth    SessionAuth       `json:"auth"`
	Cookies []SessionCookie   `json:"cookies"`
	Headers []SessionHeader   `json:"headers"`
}

// SessionAuth is a session's credentials; empty Type means none. HTTPie
// 3 writes the type and the -a argument as it was given (RawAuth); older
// files hold Username and Password, which are still read.
type SessionAuth struct {
	Type     *string `json:"type"`
	RawAuth  *string `json:"raw_auth,omitempty"`
	Username *string `json:"username,omitempty"`
	Password *string `json:"password,omitempty"`
}

// MarshalJSON writes HTTPie 3's form: type and raw_auth when set, and
// the nulls of a new HTTPie session when not.
func (a SessionAuth) MarshalJSON() ([]byte, error) {
	if a.Type == nil || *a.Type == "" {
		return []byte(`{"type": null, "username": null, "password": null}`), nil
	}
	type plain SessionAuth // without this method
	return json.Marshal(plain(a))
}

// Credentials returns the session's auth type (basic, bearer or digest)
// and its -a argument, USER:PASSWORD or the token; ok is false when the
// session holds none.
func (a SessionAuth) Credentials() (typ, raw string, ok bool) {
	if a.Type == nil || *a.Type == "" {
		return "", "", false
	}
	switch {
	case a.RawAuth != nil:
		raw = *a.RawAuth
	case a.Username != nil:
		raw = *a.Username
		if a.Password != nil {
			raw += ":" + *a.Password
		}
	default:
		return "", "", false
	}
	return *a.Type, raw, true
}

// SessionCookie is a stored cookie. Expires is Unix seconds, nil for a
// session cookie (kept, as HTTPie keeps it, until the server drops it).
type SessionCookie struct {
	Name    string   `json:"name"`
	Value   string   `json:"value"`
	Domain  string   `json:"domain"`
	Path    string   `json:"path"`
	Secure  bool     `json:"secure"`
	Expires *float64 `json:"expires"`
}

// SessionHeader is a stored request header.
type SessionHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaxSession bounds a session file.
const MaxSession = 1 << 20

// SessionPath is where a session lives: NAME under dir (the user's
// netkit sessions folder), in a folder for the host as HTTPie does, or
// PATH itself when the argument is a path (it holds a / or ends .json).
func SessionPath(dir, arg, host string) string {
	if strings.ContainsRune(arg, os.PathSeparator) || strings.HasSuffix(arg, ".json") {
		return arg
	}
	h := strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(host)
	return filepath.Join(dir, h, arg+".json")
}

// LoadSession reads a session file; a missing file is a new session.
func LoadSession(file string) (*Session, error) {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return &Session{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSession+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSession {
		return nil, fmt.Errorf("session %s is over %d KiB", file, MaxSession>>10)
	}
	return ParseSession(b)
}

// ParseSession reads a session file's content.
func ParseSession(b []byte) (*Session, error) {
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	for _, c := range s.Cookies {
		if c.Name == "" {
			return nil, errors.New("session: a cookie without a name")
		}
	}
	return &s, nil
}

// Save writes the session atomically (a new file renamed over the old)
// with mode 0600: it holds credentials and cookies.
func (s *Session) Save(file string) error {
	s.Meta = map[string]string{"about": "HTTPie session file", "help": "https://httpie.io/docs#sessions", "httpie": "3.2.1"}
	if s.Cookies == nil {
		s.Cookies = []SessionCookie{}
	}
	if s.Headers == nil {
		s.Headers = []SessionHeader{}
	}
	b, err := json.MarshalIndent(s, "", "    ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".session-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // once renamed, there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}

// Apply adds the session's headers (those the request does not set
// itself), its auth, and the cookies that match u to h.
func (s *Session) Apply(h http.Header, u *url.URL, now time.Time) {
	for _, sh := range s.Headers {
		if h.Get(sh.Name) == "" {
			h.Set(sh.Name, sh.Value)
		}
	}
	if typ, raw, ok := s.Auth.Credentials(); ok && h.Get("Authorization") == "" {
		// Digest needs a challenge first: the caller answers it.
		switch typ {
		case "basic":
			user, pass, _ := SplitAuth(raw)
			h.Set("Authorization", BasicAuth(user, pass))
		case "bearer":
			h.Set("Authorization", "Bearer "+raw)
		}
	}
	if pairs := s.CookiePairs(u, now); len(pairs) > 0 {
		if old := h.Get("Cookie"); old != "" {
			pairs = append([]string{old}, pairs...)
		}
		h.Set("Cookie", strings.Join(pairs, "; "))
	}
}

// CookiePairs returns the name=value pairs of the cookies to send to u.
func (s *Session) CookiePairs(u *url.URL, now time.Time) []string {
	var pairs []string
	for _, c := range s.Cookies {
		if c.matches(u, now) {
			pairs = append(pairs, c.Name+"="+c.Value)
		}
	}
	return pairs
}

func (c SessionCookie) expired(now time.Time) bool {
	return c.Expires != nil && *c.Expires <= float64(now.Unix())
}

// matches is RFC 6265's rule for sending a cookie to u (section 5.4).
func (c SessionCookie) matches(u *url.URL, now time.Time) bool {
	if c.expired(now) || (c.Secure && u.Scheme != "https") {
		return false
	}
	if d := strings.ToLower(strings.TrimPrefix(c.Domain, ".")); d != "" && !domainMatch(strings.ToLower(u.Hostname()), d) {
		return false
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	cp := c.Path
	if cp == "" {
		cp = "/"
	}
	return p == cp || strings.HasPrefix(p, strings.TrimSuffix(cp, "/")+"/")
}

// Update stores what a response to u sets: its cookies (an expired one
// removes the stored cookie), and the request's custom headers and
// auth. Headers about one request's body or conditions are not kept, as
// in HTTPie.
func (s *Session) Update(reqHeader http.Header, respHeader http.Header, u *url.URL, now time.Time) {
	s.UpdateHeaders(reqHeader)
	s.SetCookies(respHeader, u, now)
}

// UpdateHeaders stores the request's custom headers, leaving aside those
// about one request's body or conditions, and its cookies and auth, as
// HTTPie does.
func (s *Session) UpdateHeaders(reqHeader http.Header) {
	for name, values := range reqHeader {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "content-") || strings.HasPrefix(lower, "if-") || lower == "cookie" ||
			lower == "authorization" || lower == "user-agent" || lower == "host" || lower == "accept-encoding" {
			continue
		}
		s.setHeader(name, values[len(values)-1])
	}
}

// SetCookies stores the cookies a response to u sets (an expired one
// removes the stored cookie) and drops those expired since they were
// stored. Each response of a redirect chain goes through it, so that a
// cookie set on a redirect is sent on the next hop and kept.
func (s *Session) SetCookies(respHeader http.Header, u *url.URL, now time.Time) {
	for _, hc := range (&http.Response{Header: respHeader}).Cookies() {
		c := SessionCookie{Name: hc.Name, Value: hc.Value, Domain: hc.Domain, Path: hc.Path, Secure: hc.Secure}
		if c.Path == "" || !strings.HasPrefix(c.Path, "/") {
			c.Path = defaultPath(u.Path)
		}
		if c.Domain == "" {
			// A host-only cookie: kept for the host that set it, so that a
			// session file used with another host does not send it there.
			c.Domain = u.Hostname()
		} else if d := strings.ToLower(strings.TrimPrefix(c.Domain, ".")); !domainMatch(strings.ToLower(u.Hostname()), d) {
			continue // a cookie for a domain the server is not in: refused (RFC 6265, 5.3)
		}
		switch {
		case hc.MaxAge < 0:
			past := float64(0)
			c.Expires = &past
		case hc.MaxAge > 0:
			e := float64(now.Unix() + int64(hc.MaxAge))
			c.Expires = &e
		case !hc.Expires.IsZero():
			e := float64(hc.Expires.Unix())
			c.Expires = &e
		}
		s.setCookie(c, now)
	}
	s.DropExpired(now)
}

// DropExpired removes the cookies expired by now.
func (s *Session) DropExpired(now time.Time) {
	kept := s.Cookies[:0]
	for _, c := range s.Cookies {
		if !c.expired(now) {
			kept = append(kept, c)
		}
	}
	s.Cookies = kept
}

func (s *Session) setHeader(name, value string) {
	for i, h := range s.Headers {
		if strings.EqualFold(h.Name, name) {
			s.Headers[i].Value = value
			return
		}
	}
	s.Headers = append(s.Headers, SessionHeader{Name: name, Value: value})
}

func (s *Session) setCookie(c SessionCookie, now time.Time) {
	for i, old := range s.Cookies {
		if old.Name == c.Name && strings.EqualFold(old.Domain, c.Domain) && old.Path == c.Path {
			s.Cookies[i] = c
			return
		}
	}
	s.Cookies = append(s.Cookies, c)
}

// SetAuth stores credentials in the session as HTTPie does: the auth
// type (basic, bearer or digest) and the -a argument as given.
func (s *Session) SetAuth(typ, raw string) {
	s.Auth = SessionAuth{Type: &typ, RawAuth: &raw}
}

// defaultPath is a cookie's path when the server gives none (RFC 6265,
// section 5.1.4): the request path's directory.
func defaultPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.Count(p, "/") == 1 {
		return "/"
	}
	return path.Dir(p)
}

// domainMatch is RFC 6265's domain-match of host and domain (5.1.3).
func domainMatch(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}
