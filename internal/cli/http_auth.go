package cli

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
)

// applyAuth sets the request's credentials as HTTPie does: -a with -A
// basic (the default), bearer or digest; without -a, the .netrc entry of
// the host unless --ignore-netrc.
func (o *httpOptions) applyAuth(req *httpclient.Request, c *httpclient.Client) error {
	typ := strings.ToLower(o.AuthType)
	if typ != "basic" && typ != "bearer" && typ != "digest" {
		return fmt.Errorf("--auth-type %q: want basic, bearer or digest", o.AuthType)
	}
	if o.Auth == "" {
		if o.IgnoreNetrc || req.Header.Get("Authorization") != "" {
			return nil
		}
		u, err := url.Parse(req.URL)
		if err != nil {
			return nil
		}
		if login, pass, ok := httpie.Netrc(netrcPath(), u.Hostname()); ok {
			req.Header.Set("Authorization", httpie.BasicAuth(login, pass))
		}
		return nil
	}
	if typ == "bearer" {
		req.Header.Set("Authorization", "Bearer "+o.Auth)
		return nil
	}
	user, pass, hasPass := httpie.SplitAuth(o.Auth)
	if !hasPass {
		if o.Streams.ReadPassword == nil {
			return fmt.Errorf("-a %s has no password and there is no terminal to ask for it on: give -a %s:PASSWORD", user, user)
		}
		var err error
		if pass, err = o.Streams.ReadPassword(fmt.Sprintf("http: password for %s: ", user)); err != nil {
			return fmt.Errorf("reading the password: %w", err)
		}
	}
	if typ == "basic" {
		req.Header.Set("Authorization", httpie.BasicAuth(user, pass))
		return nil
	}
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	c.Transport = &httpie.DigestTransport{Base: base, User: user, Pass: pass}
	return nil
}

// netrcPath is $NETRC, else ~/.netrc.
func netrcPath() string {
	if p := os.Getenv("NETRC"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".netrc")
}
