package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/netkit-dev/netkit/admin"
)

// authOptions are netkit serve's admin token flags.
type authOptions struct {
	Token         string // --admin-token
	TokenFile     string // --admin-token-file
	PublicMetrics bool   // --admin-public-metrics
}

// tokenEnv is the environment variable that gives the admin token, the
// way that keeps it out of the process list.
const tokenEnv = "NETKIT_ADMIN_TOKEN"

func (o *authOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Token, "admin-token", "", "bearer token for the admin listener, the dashboard and /ws/rpc (visible to ps: prefer --admin-token-file or "+tokenEnv+")")
	f.StringVar(&o.TokenFile, "admin-token-file", "", "read the admin token from this file")
	f.BoolVar(&o.PublicMetrics, "admin-public-metrics", false, "leave /metrics open without the token, for scrapers")
}

// token returns the admin token: the flag (or NETKIT_ADMIN_TOKEN, which
// the configuration sets it from), else the file; "" when none is set.
func (o *authOptions) token() (string, error) {
	if o.Token != "" && o.TokenFile != "" {
		return "", errors.New("--admin-token and --admin-token-file exclude each other")
	}
	tok := o.Token
	if o.TokenFile != "" {
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("--admin-token-file: %w", err)
		}
		tok = strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("--admin-token-file: %s is empty", o.TokenFile)
		}
	}
	tok = strings.TrimSpace(tok)
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", errors.New("the admin token must not contain spaces")
	}
	return tok, nil
}

// errProtected is protected mode's refusal: a listener that can change
// state, reachable from other machines, without a token.
var errProtected = errors.New("protected mode")

// protect applies protected mode to the admin listener: on an address
// other machines can reach, it needs a token, or netkit serve refuses to
// start.
func protect(adminAddr string, auth *admin.Auth) error {
	if adminAddr == "off" || adminAddr == "" || auth != nil || loopbackAddr(adminAddr) {
		return nil
	}
	return fmt.Errorf("%w: refusing to serve the admin listener on %s, which other machines can reach, without a token: set --admin-token-file, %s or --admin-token, or bind it to 127.0.0.1",
		errProtected, adminAddr, tokenEnv)
}

// loopbackAddr reports whether addr (HOST:PORT) binds only loopback:
// "localhost" or a loopback IP. An empty host, 0.0.0.0 and :: bind every
// interface; other names are taken as reachable.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
