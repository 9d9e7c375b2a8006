package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
)

// httpSession is the session of one netkit http run.
type httpSession struct {
	s        *httpie.Session
	file     string
	readOnly bool
}

// openSession loads --session or --session-read-only and applies it to
// req: its cookies for req's URL, its headers and its auth (which -a
// then overrides). nil without either flag.
func (o *httpOptions) openSession(req *httpclient.Request) (*httpSession, error) {
	arg, readOnly := o.Session, false
	if arg == "" {
		arg, readOnly = o.SessionRO, true
	}
	if arg == "" {
		return nil, nil
	}
	if o.Session != "" && o.SessionRO != "" {
		return nil, fmt.Errorf("--session and --session-read-only exclude each other")
	}
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("--session: %w", err)
	}
	file := httpie.SessionPath(filepath.Join(dir, "netkit", "sessions"), arg, u.Host)
	_, statErr := os.Stat(file)
	if readOnly && errors.Is(statErr, fs.ErrNotExist) {
		// HTTPie writes a read-only session that does not exist yet: the
		// first run creates it, later ones leave it as it is.
		readOnly = false
	}
	s, err := httpie.LoadSession(file)
	if err != nil {
		return nil, err
	}
	if typ, raw, ok := s.Auth.Credentials(); ok && o.Auth == "" && req.Header.Get("Authorization") == "" {
		// The session's credentials, as if given with -a and -A: digest
		// among them, which needs its transport.
		o.Auth, o.AuthType = raw, typ
	}
	s.Apply(req.Header, u, time.Now())
	return &httpSession{s: s, file: file, readOnly: readOnly || o.Offline}, nil
}

// save stores what the exchange set, unless the session is read-only:
// the cookies of every response, redirects included (cookieTransport
// has put them in the session as they came), and the headers the
// command line gave (not the defaults netkit added).
func (hs *httpSession) save(items []string) error {
	if hs.readOnly {
		return nil
	}
	given := http.Header{}
	for _, s := range items {
		if it, err := httpie.ParseItem(s); err == nil && it.Kind == httpie.Header {
			given.Set(it.Key, it.Value)
		}
	}
	hs.s.UpdateHeaders(given)
	hs.s.DropExpired(time.Now())
	if err := hs.s.Save(hs.file); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	return nil
}

// cookieTransport carries cookies across the hops of a redirect chain,
// as HTTPie's requests session does: each response's Set-Cookie goes
// into jar (the run's session, or one kept in memory), and each request
// sent carries jar's cookies for its URL. net/http copies the first
// request's Cookie header to every hop, so it is rebuilt on each: the
// command line's own cookies, then jar's.
type cookieTransport struct {
	base http.RoundTripper
	user string // the Cookie header the command line gave

	mu  sync.Mutex
	jar *httpie.Session
}

func (t *cookieTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.mu.Lock()
	pairs := t.jar.CookiePairs(r.URL, time.Now())
	t.mu.Unlock()
	var cookie []string
	// net/http drops the Cookie header on a redirect to another domain;
	// the command line's cookies stay dropped then.
	if t.user != "" && r.Header.Get("Cookie") != "" {
		cookie = append(cookie, t.user)
	}
	cookie = append(cookie, pairs...)
	if got := r.Header.Get("Cookie"); got != strings.Join(cookie, "; ") {
		r = r.Clone(r.Context()) // a RoundTripper must not change its request
		if len(cookie) == 0 {
			r.Header.Del("Cookie")
		} else {
			r.Header.Set("Cookie", strings.Join(cookie, "; "))
		}
	}
	resp, err := t.base.RoundTrip(r)
	if resp != nil && len(resp.Header.Values("Set-Cookie")) > 0 {
		t.mu.Lock()
		t.jar.SetCookies(resp.Header, r.URL, time.Now())
		t.mu.Unlock()
	}
	return resp, err
}

// wrapTransport puts under c what applies to every exchange of a
// redirect chain: --max-headers, and a cookieTransport with jar, the
// session's or a fresh one when the run has none. user is the Cookie
// header the command line gave, before the session added its cookies.
func (o *httpOptions) wrapTransport(c *httpclient.Client, sess *httpSession, user string) {
	jar := &httpie.Session{}
	if sess != nil {
		jar = sess.s
	}
	var base http.RoundTripper = &headerLimit{base: transportOf(c), max: o.MaxHeaders}
	c.Transport = &cookieTransport{base: base, user: user, jar: jar}
}
