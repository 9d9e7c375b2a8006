package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/netkit-dev/netkit/internal/ratelog"
	"github.com/prometheus/client_golang/prometheus"
)

// Auth checks a bearer token on HTTP requests: in the Authorization
// header ("Bearer TOKEN"), for scripts and scrapers, or in the session
// cookie that its login form sets, for browsers, which cannot add headers
// to a WebSocket. The cookie holds a value derived from the token, never
// the token itself. A nil *Auth lets every request through.
type Auth struct {
	token   []byte
	session string // hex HMAC of the token: the cookie's value
	Failed  atomic.Int64

	// Logger, if set, gets a line per refusal, at most once a second
	// (never the token sent).
	Logger *slog.Logger
	log    ratelog.Limiter
}

// refused counts and logs a refused request.
func (a *Auth) refused(r *http.Request, why string) {
	a.Failed.Add(1)
	a.log.Warn(a.Logger, "auth", "request refused: "+why, "remote", r.RemoteAddr, "path", r.URL.Path)
}

// CookieName is the session cookie Auth's login form sets.
const CookieName = "netkit_session"

// NewAuth returns an Auth for token; an empty token returns nil, which
// checks nothing.
func NewAuth(token string) *Auth {
	if token == "" {
		return nil
	}
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("netkit browser session"))
	return &Auth{token: []byte(token), session: hex.EncodeToString(mac.Sum(nil))}
}

// ParseBearer returns the token of an Authorization header value
// "Bearer TOKEN" (the scheme in any case, RFC 7235), or false.
func ParseBearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// equal compares in constant time, whatever the lengths: both sides are
// hashed first, so that the time says nothing of the token's length.
func equal(a, b []byte) bool {
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// Check reports whether r carries the token or the session cookie.
func (a *Auth) Check(r *http.Request) bool {
	if a == nil {
		return true
	}
	if tok, ok := ParseBearer(r.Header.Get("Authorization")); ok && equal([]byte(tok), a.token) {
		return true
	}
	if c, err := r.Cookie(CookieName); err == nil && equal([]byte(c.Value), []byte(a.session)) {
		return true
	}
	return false
}

// Require wraps h so that a request without the token is answered 401,
// and counted in Failed.
func (a *Auth) Require(h http.Handler) http.Handler {
	if a == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.Check(r) {
			a.refused(r, "no valid token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="netkit"`)
			http.Error(w, "401 unauthorized: send Authorization: Bearer TOKEN (the admin token)", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Login handles POST of a form with the field "token": the right token
// sets the session cookie and redirects to the form's "next" path (a path
// of this site only); a wrong one is 401.
func (a *Auth) Login(w http.ResponseWriter, r *http.Request) {
	if a == nil {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !equal([]byte(r.PostForm.Get("token")), a.token) {
		a.refused(r, "wrong token at sign-in")
		http.Error(w, "401 unauthorized: wrong token", http.StatusUnauthorized)
		return
	}
	next := r.PostForm.Get("next")
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		next = "/dashboard"
	}
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: a.session, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// AuthFailures is a collector of a's refusals, as
// netkit_auth_failures_total{listener=LISTENER}.
func AuthFailures(a *Auth, listener string) prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "netkit_auth_failures_total",
		Help:        "Requests refused for a missing or wrong token.",
		ConstLabels: prometheus.Labels{"listener": listener},
	}, func() float64 { return float64(a.Failed.Load()) })
}
