package urlparse

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors of Split, Parse and Join (Python raises ValueError for each).
var (
	// ErrInvalidIPv6 reports a netloc with "[" but no "]" or the reverse
	// (Python: "Invalid IPv6 URL").
	ErrInvalidIPv6 = errors.New("urlparse: invalid IPv6 URL")
	// ErrInvalidHost reports a bracketed host that is neither an IPv6
	// address nor an IPvFuture literal (RFC 3986 section 3.2.2), or that is
	// an IPv4 address, which must not be bracketed.
	ErrInvalidHost = errors.New("urlparse: invalid bracketed host")
	// ErrNetlocNFKC reports a non-ASCII netloc whose NFKC normalization
	// introduces one of "/?#@:", such as U+2100 ACCOUNT OF, which becomes
	// "a/c" and would change the host a resolver sees (CVE-2019-9636).
	ErrNetlocNFKC = errors.New("urlparse: netloc contains invalid characters under NFKC normalization")
)

// Errors of Port.
var (
	// ErrInvalidPort reports a port that is not all ASCII digits.
	ErrInvalidPort = errors.New("urlparse: port could not be cast to integer value")
	// ErrPortRange reports a port above 65535.
	ErrPortRange = errors.New("urlparse: port out of range 0-65535")
)

// Error records a failed Split, Parse, Join or Defrag and the input that
// failed.
type Error struct {
	Op  string // "split", "parse", "join" or "defrag"
	URL string // the URL that failed (for Join, base or ref)
	Err error  // the cause; errors.Is finds ErrInvalidIPv6, ErrInvalidHost or ErrNetlocNFKC
}

// Error returns the operation, the URL quoted, and the cause.
func (e *Error) Error() string { return e.Op + " " + strconv.Quote(e.URL) + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// PortError is the error of Port for a port Python's .port rejects.
type PortError struct {
	Port string // the port text after the host
	Err  error  // ErrInvalidPort or ErrPortRange
}

// Error says which port text is not a valid port.
func (e *PortError) Error() string {
	if e.Err == ErrInvalidPort {
		return e.Err.Error() + " as " + pyRepr(e.Port)
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *PortError) Unwrap() error { return e.Err }

// Scheme classes of urllib.parse. They decide which schemes have a netloc
// when unsplitting, which take ;params, and which resolve relative
// references in Join. The empty scheme belongs to each.
func usesRelative(scheme string) bool {
	switch scheme {
	case "", "ftp", "http", "gopher", "nntp", "imap", "wais", "file", "https", "shttp", "mms",
		"prospero", "rtsp", "rtsps", "rtspu", "sftp", "svn", "svn+ssh", "ws", "wss":
		return true
	}
	return false
}

func usesNetloc(scheme string) bool {
	switch scheme {
	case "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
		"snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh",
		"ws", "wss":
		return true
	}
	return false
}

func usesParams(scheme string) bool {
	switch scheme {
	case "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu", "sip",
		"sips", "mms", "sftp", "tel":
		return true
	}
	return false
}

// SplitResult is Python's SplitResult: the five components of
// scheme://netloc/path?query#fragment, still percent-encoded.
type SplitResult struct {
	Scheme, Netloc, Path, Query, Fragment string
}

// ParseResult is Python's ParseResult: SplitResult with the ;params of the
// last path segment split from Path (RFC 2396 section 3.3).
type ParseResult struct {
	Scheme, Netloc, Path, Params, Query, Fragment string
}

// Options are the optional arguments of urlsplit, urlparse and urljoin. The
// zero value is Python's defaults.
type Options struct {
	// Scheme is the scheme of a URL that has none (scheme=...). Default "".
	Scheme string
	// NoFragments keeps "#" in the path or query instead of splitting off
	// a fragment (allow_fragments=False).
	NoFragments bool
}

// Split is Python's urlsplit(rawURL).
func Split(rawURL string) (SplitResult, error) { return Options{}.Split(rawURL) }

// Parse is Python's urlparse(rawURL).
func Parse(rawURL string) (ParseResult, error) { return Options{}.Parse(rawURL) }

// isC0OrSpace reports the characters WHATWG's URL parser strips from both
// ends; Python 3.11 strips them from the start only, so that trailing spaces
// some applications rely on survive (bpo-43882).
func isC0OrSpace(c byte) bool { return c <= ' ' }

// removeUnsafe drops tab, CR and LF anywhere in s, as WHATWG and Python
// 3.11 do, so that "java\tscript:" cannot hide a scheme.
func removeUnsafe(s string) string {
	if strings.IndexAny(s, "\t\r\n") < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && c != '\r' && c != '\n' {
			b = append(b, c)
		}
	}
	return string(b)
}

func isSchemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

// Split is Python's urlsplit(rawURL, scheme=o.Scheme,
// allow_fragments=not o.NoFragments).
func (o Options) Split(rawURL string) (SplitResult, error) {
	u := rawURL
	for len(u) > 0 && isC0OrSpace(u[0]) {
		u = u[1:]
	}
	scheme := o.Scheme
	for len(scheme) > 0 && isC0OrSpace(scheme[0]) {
		scheme = scheme[1:]
	}
	for len(scheme) > 0 && isC0OrSpace(scheme[len(scheme)-1]) {
		scheme = scheme[:len(scheme)-1]
	}
	u = removeUnsafe(u)
	scheme = removeUnsafe(scheme)

	var r SplitResult
	if i := strings.IndexByte(u, ':'); i > 0 && ('a' <= u[0]|0x20 && u[0]|0x20 <= 'z') {
		ok := true
		for j := 0; j < i; j++ {
			if !isSchemeChar(u[j]) {
				ok = false
				break
			}
		}
		if ok {
			scheme, u = lowerASCII(u[:i]), u[i+1:]
		}
	}
	r.Scheme = scheme
	if strings.HasPrefix(u, "//") {
		end := len(u)
		if i := strings.IndexAny(u[2:], "/?#"); i >= 0 {
			end = i + 2
		}
		r.Netloc, u = u[2:end], u[end:]
		open, closed := strings.IndexByte(r.Netloc, '['), strings.IndexByte(r.Netloc, ']')
		if (open >= 0) != (closed >= 0) {
			return SplitResult{}, &Error{Op: "split", URL: rawURL, Err: ErrInvalidIPv6}
		}
		if open >= 0 {
			host := r.Netloc[open+1:]
			if k := strings.IndexByte(host, ']'); k >= 0 {
				host = host[:k]
			}
			if err := checkBracketedHost(host); err != nil {
				return SplitResult{}, &Error{Op: "split", URL: rawURL, Err: err}
			}
		}
	}
	if !o.NoFragments {
		if i := strings.IndexByte(u, '#'); i >= 0 {
			u, r.Fragment = u[:i], u[i+1:]
		}
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u, r.Query = u[:i], u[i+1:]
	}
	r.Path = u
	if err := checkNetloc(r.Netloc); err != nil {
		return SplitResult{}, &Error{Op: "split", URL: rawURL, Err: err}
	}
	return r, nil
}

// lowerASCII lower-cases s, which holds only ASCII, without allocating when
// it is already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// checkNetloc is Python's _checknetloc: a non-ASCII netloc must not gain
// any of "/?#@:" under NFKC, the normalization IDNA applies.
func checkNetloc(netloc string) error {
	if isASCII(netloc) {
		return nil
	}
	n := strings.NewReplacer("@", "", ":", "", "#", "", "?", "").Replace(netloc)
	n2 := norm.NFKC.String(n)
	if n == n2 {
		return nil
	}
	if strings.ContainsAny(n2, "/?#@:") {
		return ErrNetlocNFKC
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Parse is Python's urlparse(rawURL, scheme=o.Scheme,
// allow_fragments=not o.NoFragments).
func (o Options) Parse(rawURL string) (ParseResult, error) {
	s, err := o.Split(rawURL)
	if err != nil {
		err.(*Error).Op = "parse"
		return ParseResult{}, err
	}
	return s.parse(), nil
}

// parse splits the ;params off the last path segment for the schemes that
// use them.
func (s SplitResult) parse() ParseResult {
	r := ParseResult{Scheme: s.Scheme, Netloc: s.Netloc, Path: s.Path, Query: s.Query, Fragment: s.Fragment}
	if usesParams(s.Scheme) && strings.IndexByte(s.Path, ';') >= 0 {
		i := strings.IndexByte(s.Path[strings.LastIndexByte(s.Path, '/')+1:], ';')
		if i >= 0 {
			i += strings.LastIndexByte(s.Path, '/') + 1
			r.Path, r.Params = s.Path[:i], s.Path[i+1:]
		}
	}
	return r
}

// Unsplit is Python's urlunsplit((scheme, netloc, path, query, fragment)).
// It may differ from the parsed text in redundant delimiters, such as a "?"
// with an empty query, which RFC 3986 treats as equivalent.
func Unsplit(scheme, netloc, path, query, fragment string) string {
	n := len(scheme) + len(netloc) + len(path) + len(query) + len(fragment) + 6
	var b strings.Builder
	b.Grow(n)
	if scheme != "" {
		b.WriteString(scheme)
		b.WriteByte(':')
	}
	if netloc != "" || (scheme != "" && usesNetloc(scheme) && !strings.HasPrefix(path, "//")) {
		b.WriteString("//")
		b.WriteString(netloc)
		if path != "" && path[0] != '/' {
			b.WriteByte('/')
		}
	}
	b.WriteString(path)
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	if fragment != "" {
		b.WriteByte('#')
		b.WriteString(fragment)
	}
	return b.String()
}

// Unparse is Python's urlunparse((scheme, netloc, path, params, query,
// fragment)).
func Unparse(scheme, netloc, path, params, query, fragment string) string {
	if params != "" {
		path = path + ";" + params
	}
	return Unsplit(scheme, netloc, path, query, fragment)
}

// String is Python's geturl(): urlunsplit of the components.
func (s SplitResult) String() string {
	return Unsplit(s.Scheme, s.Netloc, s.Path, s.Query, s.Fragment)
}

// String is Python's geturl(): urlunparse of the components.
func (p ParseResult) String() string {
	return Unparse(p.Scheme, p.Netloc, p.Path, p.Params, p.Query, p.Fragment)
}

// Split returns the five-component form, with ;params put back on the path.
func (p ParseResult) Split() SplitResult {
	path := p.Path
	if p.Params != "" {
		path += ";" + p.Params
	}
	return SplitResult{Scheme: p.Scheme, Netloc: p.Netloc, Path: path, Query: p.Query, Fragment: p.Fragment}
}

// Username is Python's .username: the userinfo before the last "@" of the
// netloc up to its first ":"; ok is false when there is no "@" (None).
func (s SplitResult) Username() (username string, ok bool) { return netlocUsername(s.Netloc) }

// Password is Python's .password: the userinfo after its first ":"; ok is
// false without "@" or ":" (None).
func (s SplitResult) Password() (password string, ok bool) { return netlocPassword(s.Netloc) }

// Hostname is Python's .hostname: the host lower-cased, without IPv6
// brackets or port, an IPv6 zone kept as written; "" where Python gives None.
func (s SplitResult) Hostname() string { return netlocHostname(s.Netloc) }

// Port is Python's .port: ok is false when the netloc has no port (None);
// err wraps ErrInvalidPort or ErrPortRange where Python raises ValueError.
func (s SplitResult) Port() (port int, ok bool, err error) { return netlocPort(s.Netloc) }

// Username is Python's .username; see SplitResult.Username.
func (p ParseResult) Username() (string, bool) { return netlocUsername(p.Netloc) }

// Password is Python's .password; see SplitResult.Password.
func (p ParseResult) Password() (string, bool) { return netlocPassword(p.Netloc) }

// Hostname is Python's .hostname; see SplitResult.Hostname.
func (p ParseResult) Hostname() string { return netlocHostname(p.Netloc) }

// Port is Python's .port; see SplitResult.Port.
func (p ParseResult) Port() (int, bool, error) { return netlocPort(p.Netloc) }

func netlocUsername(netloc string) (string, bool) {
	i := strings.LastIndexByte(netloc, '@')
	if i < 0 {
		return "", false
	}
	user, _, _ := strings.Cut(netloc[:i], ":")
	return user, true
}

func netlocPassword(netloc string) (string, bool) {
	i := strings.LastIndexByte(netloc, '@')
	if i < 0 {
		return "", false
	}
	_, pass, ok := strings.Cut(netloc[:i], ":")
	return pass, ok
}

// hostinfo is Python's _hostinfo: the host and port text after the last
// "@"; a bracketed host ends at the first "]" and its port follows the next
// ":".
func hostinfo(netloc string) (host, port string) {
	hi := netloc[strings.LastIndexByte(netloc, '@')+1:]
	if _, bracketed, ok := strings.Cut(hi, "["); ok {
		host, rest, _ := strings.Cut(bracketed, "]")
		_, port, _ = strings.Cut(rest, ":")
		return host, port
	}
	host, port, _ = strings.Cut(hi, ":")
	return host, port
}

func netlocHostname(netloc string) string {
	host, _ := hostinfo(netloc)
	if host == "" {
		return ""
	}
	// A scoped IPv6 address keeps its zone as written (RFC 6874):
	// http://[fe80::1%tESt]/ has the hostname fe80::1%tESt.
	h, zone, ok := strings.Cut(host, "%")
	h = pyLower(h)
	if ok {
		return h + "%" + zone
	}
	return h
}

func netlocPort(netloc string) (int, bool, error) {
	_, port := hostinfo(netloc)
	if port == "" {
		return 0, false, nil
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return 0, false, &PortError{Port: port, Err: ErrInvalidPort}
		}
	}
	// Python reads any number of digits ("0080" is 80) before the range check.
	p := strings.TrimLeft(port, "0")
	if len(p) > 5 {
		return 0, false, &PortError{Port: port, Err: ErrPortRange}
	}
	n, _ := strconv.Atoi("0" + p)
	if n > 65535 {
		return 0, false, &PortError{Port: port, Err: ErrPortRange}
	}
	return n, true, nil
}

// URL converts s to a net/url URL by parsing its text with url.Parse, which
// rejects some URLs Python accepts (a space in the host, for one).
func (s SplitResult) URL() (*url.URL, error) { return url.Parse(s.String()) }

// URL converts p to a net/url URL; see SplitResult.URL.
func (p ParseResult) URL() (*url.URL, error) { return url.Parse(p.String()) }

// FromURL returns the components of u as urlsplit gives them for u's text:
// the path, query and fragment in their escaped forms, an opaque URL's
// opaque part as the path.
func FromURL(u *url.URL) SplitResult {
	s := SplitResult{Scheme: u.Scheme, Query: u.RawQuery, Fragment: u.EscapedFragment()}
	if u.Opaque != "" {
		s.Path = u.Opaque
		return s
	}
	if u.User != nil {
		s.Netloc = u.User.String() + "@"
	}
	s.Netloc += u.Host
	s.Path = u.EscapedPath()
	return s
}
