package httpclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/urlparse"
)

// TestContentTypeAgainstChapter runs the chapter's ContentType parser on
// the same headers as ParseContentType. Where the chapter's split on ";"
// is right they agree field for field; where it is not (case, quoted
// separators, +json suffixes) they must differ, and Go's answer is the
// RFC's.
func TestContentTypeAgainstChapter(t *testing.T) {
	py := testnet.Python(t)
	tests := []struct {
		header string
		same   bool // the chapter's parser is right on this one
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"text/html; charset=iso-8859-1", true},
		{`multipart/form-data; boundary="----WebKitFormBoundary"`, true},
		{"application/x-www-form-urlencoded", true},
		{"text/plain", true},
		{"application/ld+json", true},
		{"text/csv;charset=windows-1252", true},
		{"application/octet-stream", true},
		{"text/html; CHARSET=utf-8", true},
		{"Text/HTML; charset=utf-8", false},                         // media types are case-insensitive (RFC 9110, 8.3.1)
		{"application/problem+json", false},                         // the +json suffix (RFC 6839)
		{`multipart/mixed; boundary="a;b=c"`, false},                // a quoted ";" is not a separator
		{`text/plain; charset="utf-8"; format="x\"y"`, true},        // agree: the escape is in another parameter
		{`text/plain; title="charset=utf-16"; charset=ascii`, true}, // both take the real parameter
	}
	var in strings.Builder
	for _, tt := range tests {
		in.WriteString(tt.header + "\n")
	}
	cmd := exec.Command(py, filepath.Join("..", "bench", "python", "content_type.py"))
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("content_type.py: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	type view struct {
		MediaType string `json:"media_type"`
		Charset   string `json:"charset"`
		Boundary  string `json:"boundary"`
		Effective string `json:"effective"`
		IsJSON    bool   `json:"is_json"`
		IsText    bool   `json:"is_text"`
	}
	for _, tt := range tests {
		if !sc.Scan() {
			t.Fatalf("content_type.py printed too few lines: %s", out)
		}
		var chapter view
		if err := json.Unmarshal(sc.Bytes(), &chapter); err != nil {
			t.Fatalf("content_type.py line %q: %v", sc.Text(), err)
		}
		ct, err := ParseContentType(tt.header)
		if err != nil {
			t.Errorf("ParseContentType(%q): %v", tt.header, err)
			continue
		}
		got := view{ct.MediaType, ct.Charset, ct.Boundary, ct.EffectiveCharset(), ct.IsJSON(), ct.IsText()}
		diff := cmp.Diff(chapter, got)
		if tt.same && diff != "" {
			t.Errorf("ParseContentType(%q) differs from the chapter's parser (-chapter +go):\n%s", tt.header, diff)
		}
		if !tt.same && diff == "" {
			t.Errorf("ParseContentType(%q) = %+v, the same as the chapter's parser, which is wrong here", tt.header, got)
		}
	}
}

// TestRequestsAgainstChapter sends the chapter's three urllib requests from
// Python and the same requests from Client to one local server, and
// compares what arrived.
func TestRequestsAgainstChapter(t *testing.T) {
	py := testnet.Python(t)
	type seen struct {
		Method, URI, Accept, Authorization, MediaType string
		Form                                          string
		JSON                                          any
	}
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		ct, _ := ParseContentType(r.Header.Get("Content-Type"))
		s := seen{Method: r.Method, URI: r.RequestURI, Accept: r.Header.Get("Accept"), Authorization: r.Header.Get("Authorization"), MediaType: ct.MediaType}
		if ct.IsJSON() {
			json.Unmarshal(b, &s.JSON)
		} else {
			s.Form = string(b)
		}
		mu.Lock()
		reqs = append(reqs, s)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	cmd := exec.Command(py, filepath.Join("..", "bench", "python", "http_requests.py"), srv.URL)
	// urllib would send loopback requests to a proxy from the environment.
	cmd.Env = append(os.Environ(), "no_proxy=*", "NO_PROXY=*")
	out, err := cmd.Output()
	if err != nil || string(out) != "204\n204\n204\n" {
		t.Fatalf("http_requests.py = %q, %v", out, err)
	}

	c := &Client{BaseURL: srv.URL}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	get := NewRequest("GET", "/v2/users")
	get.Query = urlparse.Query{{Key: "page", Value: "1"}}
	get.Header.Set("Accept", "application/json")
	get.Header.Set("Authorization", "Bearer token123")
	get.Header.Set("User-Agent", "PythonClient/1.0")
	post := NewRequest("POST", "/v2/users")
	post.SetJSON(struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Age   int    `json:"age"`
	}{"Alice", "alice@example.com", 30})
	post.Header.Set("Accept", "application/json")
	form := NewRequest("POST", "/login")
	form.SetForm(urlparse.Query{{Key: "username", Value: "alice"}, {Key: "password", Value: "secret123"}})
	for _, r := range []*Request{get, post, form} {
		if _, err := c.Do(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 6 {
		t.Fatalf("server saw %d requests, want 3 from Python and 3 from Go", len(reqs))
	}
	if diff := cmp.Diff(reqs[:3], reqs[3:]); diff != "" {
		t.Errorf("requests from Go differ from the chapter's (-python +go):\n%s", diff)
	}
}
