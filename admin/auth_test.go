package admin_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/netkit-dev/netkit/admin"
)

func TestParseBearer(t *testing.T) {
	for _, tt := range []struct {
		in, tok string
		ok      bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc", "abc", true},
		{"BEARER   abc  ", "abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Bearer a b", "", false},
		{"", "", false},
		{"abc", "", false},
	} {
		tok, ok := admin.ParseBearer(tt.in)
		if tok != tt.tok || ok != tt.ok {
			t.Errorf("ParseBearer(%q) = %q, %v; want %q, %v", tt.in, tok, ok, tt.tok, tt.ok)
		}
	}
}

// FuzzParseBearer: a token it returns is what followed the scheme, with
// no blanks, and parsing never panics.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x ", "Basic Zm9v", "", "Bearer a\tb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		tok, ok := admin.ParseBearer(header)
		if !ok {
			if tok != "" {
				t.Fatalf("ParseBearer(%q) = %q with false", header, tok)
			}
			return
		}
		if tok == "" || strings.ContainsAny(tok, " \t") || !strings.Contains(header, tok) {
			t.Fatalf("ParseBearer(%q) = %q", header, tok)
		}
	})
}

func TestAuthRequire(t *testing.T) {
	a := admin.NewAuth("tok")
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	for _, tt := range []struct {
		header string
		want   int
	}{
		{"", 401}, {"Bearer nope", 401}, {"Bearer tokx", 401}, {"Bearer tok", 200}, {"bearer tok", 200},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("Authorization %q: %d, want %d", tt.header, rec.Code, tt.want)
		}
	}
	if a.Failed.Load() != 3 {
		t.Errorf("Failed = %d, want 3", a.Failed.Load())
	}
	if admin.NewAuth("") != nil {
		t.Error("NewAuth(\"\") is not nil")
	}
	var none *admin.Auth
	if !none.Check(httptest.NewRequest("GET", "/", nil)) {
		t.Error("a nil Auth refused a request")
	}
}
