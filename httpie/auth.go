package httpie

import (
	"bufio"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"
)

// SplitAuth reads -a USER[:PASSWORD], split at the first colon as HTTPie
// does; hasPass is false when there is no colon (HTTPie then asks).
func SplitAuth(s string) (user, pass string, hasPass bool) {
	return strings.Cut(s, ":")
}

// BasicAuth is the Authorization value of HTTP basic auth.
func BasicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// MaxNetrc bounds the .netrc file read.
const MaxNetrc = 1 << 20

// Netrc looks host up in the .netrc file at path, as Python's netrc
// module (and so HTTPie) and curl do: the first "machine HOST" entry,
// else "default". ok is false when the file has no entry for host (or
// cannot be read).
func Netrc(path, host string) (login, password string, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", false
	}
	defer f.Close()
	return parseNetrc(io.LimitReader(f, MaxNetrc), host)
}

func parseNetrc(r io.Reader, host string) (login, password string, ok bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), MaxNetrc)
	var tokens []string
	inMacro := false
	for sc.Scan() {
		line := sc.Text()
		if inMacro {
			// A macro definition runs to the first empty line.
			if strings.TrimSpace(line) == "" {
				inMacro = false
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		fields := strings.Fields(line)
		for i, f := range fields {
			if f == "macdef" {
				inMacro = true
				tokens = append(tokens, fields[:i]...)
				fields = nil
				break
			}
		}
		for _, f := range fields {
			// Python's netrc reads a quoted token without its quotes.
			if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
				f = f[1 : len(f)-1]
			}
			tokens = append(tokens, f)
		}
	}
	type entry struct{ login, password string }
	var found, def *entry
	var cur *entry
	curHost, isDefault := "", false
	finish := func() {
		if cur == nil {
			return
		}
		if isDefault && def == nil {
			def = cur
		} else if !isDefault && found == nil && strings.EqualFold(curHost, host) {
			found = cur
		}
	}
	for i := 0; i < len(tokens); i++ {
		switch tokens[i] {
		case "machine":
			finish()
			cur, isDefault, curHost = &entry{}, false, ""
			if i+1 < len(tokens) {
				curHost = tokens[i+1]
				i++
			}
		case "default":
			finish()
			cur, isDefault = &entry{}, true
		case "login", "password", "account":
			if cur != nil && i+1 < len(tokens) {
				switch tokens[i] {
				case "login":
					cur.login = tokens[i+1]
				case "password":
					cur.password = tokens[i+1]
				}
				i++
			}
		}
	}
	finish()
	if found == nil {
		found = def
	}
	if found == nil {
		return "", "", false
	}
	return found.login, found.password, true
}

// DigestTransport answers a server's Digest challenge (RFC 7616): it
// sends the request, and on a 401 with a Digest WWW-Authenticate sends
// it again with the computed Authorization. Algorithms MD5 and SHA-256,
// qop auth.
type DigestTransport struct {
	Base       http.RoundTripper // nil means http.DefaultTransport
	User, Pass string
}

// RoundTrip implements http.RoundTripper.
func (t *DigestTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	ch, ok := parseDigestChallenge(resp.Header.Values("WWW-Authenticate"))
	if !ok || (req.Body != nil && req.GetBody == nil) {
		return resp, nil
	}
	auth, err := ch.authorize(req.Method, req.URL.RequestURI(), t.User, t.Pass)
	if err != nil {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	again.Header.Set("Authorization", auth)
	return base.RoundTrip(again)
}

type digestChallenge struct {
	realm, nonce, opaque, algorithm, qop string
}

// parseDigestChallenge reads the first Digest challenge of the headers.
func parseDigestChallenge(values []string) (digestChallenge, bool) {
	for _, v := range values {
		rest, ok := strings.CutPrefix(strings.TrimSpace(v), "Digest ")
		if !ok {
			continue
		}
		var c digestChallenge
		for _, p := range splitParams(rest) {
			k, val, _ := strings.Cut(p, "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "realm":
				c.realm = val
			case "nonce":
				c.nonce = val
			case "opaque":
				c.opaque = val
			case "algorithm":
				c.algorithm = val
			case "qop":
				c.qop = val
			}
		}
		return c, c.nonce != ""
	}
	return digestChallenge{}, false
}

// splitParams splits a challenge's parameters at the commas outside
// quotes.
func splitParams(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

var errDigestAlgorithm = errors.New("httpie: unsupported digest algorithm")

func (c digestChallenge) authorize(method, uri, user, pass string) (string, error) {
	var newHash func() hash.Hash
	switch strings.ToUpper(c.algorithm) {
	case "", "MD5":
		newHash = md5.New
	case "SHA-256":
		newHash = sha256.New
	default:
		return "", errDigestAlgorithm
	}
	h := func(s string) string {
		x := newHash()
		io.WriteString(x, s)
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := h(user + ":" + c.realm + ":" + pass)
	ha2 := h(method + ":" + uri)
	var b [8]byte
	rand.Read(b[:])
	cnonce := hex.EncodeToString(b[:])
	const nc = "00000001"
	qop := ""
	for _, q := range strings.Split(c.qop, ",") {
		if strings.TrimSpace(q) == "auth" {
			qop = "auth"
		}
	}
	var response string
	if qop != "" {
		response = h(ha1 + ":" + c.nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2)
	} else {
		response = h(ha1 + ":" + c.nonce + ":" + ha2)
	}
	v := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s"`, user, c.realm, c.nonce, uri, response)
	if c.algorithm != "" {
		v += ", algorithm=" + c.algorithm
	}
	if c.opaque != "" {
		v += fmt.Sprintf(`, opaque="%s"`, c.opaque)
	}
	if qop != "" {
		v += fmt.Sprintf(", qop=%s, nc=%s, cnonce=\"%s\"", qop, nc, cnonce)
	}
	return v, nil
}
