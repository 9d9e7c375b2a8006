package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
	s, err := httpie.LoadSession(file)
	if err != nil {
		return nil, err
	}
	s.Apply(req.Header, u, time.Now())
	return &httpSession{s: s, file: file, readOnly: readOnly || o.Offline}, nil
}

// save stores what the exchange set, unless the session is read-only:
// the response's cookies, and the headers the command line gave (not the
// defaults netkit added).
func (hs *httpSession) save(items []string, resp *httpclient.Response) error {
	if hs.readOnly {
		return nil
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		return err
	}
	given := http.Header{}
	for _, s := range items {
		if it, err := httpie.ParseItem(s); err == nil && it.Kind == httpie.Header {
			given.Set(it.Key, it.Value)
		}
	}
	hs.s.Update(given, resp.Header, u, time.Now())
	if err := hs.s.Save(hs.file); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	return nil
}
