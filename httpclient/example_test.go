package httpclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
	"github.com/netkit-dev/netkit/urlparse"
)

// The method table and the status-code classes, both data in the package.
func ExampleMethods() {
	fmt.Println("=== HTTP Methods ===")
	fmt.Printf("%-8s %-12s %-6s %-6s Description\n", "Method", "Idempotent", "Safe", "Body")
	fmt.Println(strings.Repeat("-", 70))
	py := func(b bool) string { return map[bool]string{true: "True", false: "False"}[b] }
	for _, name := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		m, _ := httpclient.LookupMethod(name)
		fmt.Printf("%-8s %-12s %-6s %-6s %s\n", m.Name, py(m.Idempotent), py(m.Safe), py(m.HasBody), m.Description)
	}

	fmt.Println("\n=== HTTP Status Code Categories ===")
	codes := []int{200, 201, 204, 301, 304, 400, 401, 403, 404, 405, 409, 422, 429, 500, 502, 503, 504}
	classes := []httpclient.StatusClass{httpclient.StatusSuccess, httpclient.StatusRedirect, httpclient.StatusClientError, httpclient.StatusServerError}
	for _, class := range classes {
		fmt.Printf("\n  %s:\n", class)
		for _, code := range codes {
			if httpclient.StatusClassOf(code) == class {
				name := strings.ToUpper(strings.ReplaceAll(http.StatusText(code), " ", "_"))
				fmt.Printf("    %d %s\n", code, name)
			}
		}
	}
	// Output:
	// === HTTP Methods ===
	// Method   Idempotent   Safe   Body   Description
	// ----------------------------------------------------------------------
	// GET      True         True   False  Retrieve a resource
	// HEAD     True         True   False  Like GET but returns headers only
	// POST     False        False  True   Create a new resource or trigger an action
	// PUT      True         False  True   Replace a resource entirely
	// PATCH    False        False  True   Partially update a resource
	// DELETE   True         False  False  Remove a resource
	//
	// === HTTP Status Code Categories ===
	//
	//   2xx Success:
	//     200 OK
	//     201 CREATED
	//     204 NO_CONTENT
	//
	//   3xx Redirect:
	//     301 MOVED_PERMANENTLY
	//     304 NOT_MODIFIED
	//
	//   4xx Client Error:
	//     400 BAD_REQUEST
	//     401 UNAUTHORIZED
	//     403 FORBIDDEN
	//     404 NOT_FOUND
	//     405 METHOD_NOT_ALLOWED
	//     409 CONFLICT
	//     422 UNPROCESSABLE_ENTITY
	//     429 TOO_MANY_REQUESTS
	//
	//   5xx Server Error:
	//     500 INTERNAL_SERVER_ERROR
	//     502 BAD_GATEWAY
	//     503 SERVICE_UNAVAILABLE
	//     504 GATEWAY_TIMEOUT
}

// headerDict prints headers as Python prints dict(request.headers), in
// sorted order since Go's http.Header is a map.
func headerDict(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("'%s': '%s'", k, h.Get(k))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func body(r *http.Request) string {
	if r.GetBody == nil {
		return ""
	}
	rc, _ := r.GetBody()
	b, _ := io.ReadAll(rc)
	return "b'" + string(b) + "'"
}

// GET, JSON POST and form POST requests built and printed, not sent (what
// netkit http --offline does), as urllib.request builds them. Go's JSON
// has no spaces after separators, and headers are in canonical form.
func ExampleClient_Prepare() {
	c := &httpclient.Client{}
	ctx := context.Background()

	get := httpclient.NewRequest("GET", "https://api.example.com/v2/users?page=1")
	get.Header.Set("Accept", "application/json")
	get.Header.Set("Authorization", "Bearer token123")
	get.Header.Set("User-Agent", "PythonClient/1.0")
	req, _ := c.Prepare(ctx, get)
	fmt.Println("=== GET Request ===")
	fmt.Printf("  URL:     %s\n", req.URL)
	fmt.Printf("  Method:  %s\n", req.Method)
	fmt.Printf("  Headers: %s\n", headerDict(req.Header))

	post := httpclient.NewRequest("POST", "https://api.example.com/v2/users")
	post.SetJSON(struct {
		Name  string `json:"name"`
		Email string `json:"email"`
		Age   int    `json:"age"`
	}{"Alice", "alice@example.com", 30})
	post.Header.Set("Accept", "application/json")
	req, _ = c.Prepare(ctx, post)
	fmt.Println("\n=== POST Request ===")
	fmt.Printf("  URL:     %s\n", req.URL)
	fmt.Printf("  Method:  %s\n", req.Method)
	fmt.Printf("  Headers: %s\n", headerDict(req.Header))
	fmt.Printf("  Body:    %s\n", body(req))

	form := httpclient.NewRequest("POST", "https://api.example.com/login")
	form.SetForm(urlparse.Query{{Key: "username", Value: "alice"}, {Key: "password", Value: "secret123"}})
	req, _ = c.Prepare(ctx, form)
	fmt.Println("\n=== Form-Encoded POST ===")
	fmt.Printf("  URL:  %s\n", req.URL)
	fmt.Printf("  Body: %s\n", body(req))

	fmt.Println("\n(These requests are ready for Client.Do -- no live calls made)")
	// Output:
	// === GET Request ===
	//   URL:     https://api.example.com/v2/users?page=1
	//   Method:  GET
	//   Headers: {'Accept': 'application/json', 'Authorization': 'Bearer token123', 'User-Agent': 'PythonClient/1.0'}
	//
	// === POST Request ===
	//   URL:     https://api.example.com/v2/users
	//   Method:  POST
	//   Headers: {'Accept': 'application/json', 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'netkit/0.1.0-dev'}
	//   Body:    b'{"name":"Alice","email":"alice@example.com","age":30}'
	//
	// === Form-Encoded POST ===
	//   URL:  https://api.example.com/login
	//   Body: b'username=alice&password=secret123'
	//
	// (These requests are ready for Client.Do -- no live calls made)
}

// JSON over HTTP, sent for real to a local server that answers 201 with
// the created user: the request body is UTF-8 JSON, the response is
// decoded with the charset of its Content-Type.
func ExampleClient_PostJSON() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id": 42, "name": %q, "email": %q, "roles": ["admin", "user"], "created_at": "2024-01-15T10:30:00Z"}`, in["name"], in["email"])
	}))
	defer srv.Close()
	c := &httpclient.Client{BaseURL: srv.URL}
	defer c.CloseIdleConnections()

	fmt.Println("=== JSON Request ===")
	req := httpclient.NewRequest("POST", "/v2/users")
	req.Header.Set("Accept", "application/json")
	req.SetJSON(struct {
		Name  string   `json:"name"`
		Email string   `json:"email"`
		Roles []string `json:"roles"`
	}{"Alice", "alice@example.com", []string{"admin", "user"}})
	fmt.Printf("  Method: %s\n", req.Method)
	fmt.Printf("  URL:    %s\n", req.URL)
	fmt.Printf("  Body bytes: b'%s'\n", req.Body)
	fmt.Printf("  Body size:  %d bytes\n", len(req.Body))

	fmt.Println("\n=== JSON Response ===")
	resp, err := c.Do(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	text, _ := resp.Text()
	var pretty bytes.Buffer
	json.Indent(&pretty, []byte(text), "", "  ")
	fmt.Printf("  Status: %d\n", resp.StatusCode)
	fmt.Printf("  Body:   %s\n", pretty.String())
	// Output:
	// === JSON Request ===
	//   Method: POST
	//   URL:    /v2/users
	//   Body bytes: b'{"name":"Alice","email":"alice@example.com","roles":["admin","user"]}'
	//   Body size:  69 bytes
	//
	// === JSON Response ===
	//   Status: 201
	//   Body:   {
	//   "id": 42,
	//   "name": "Alice",
	//   "email": "alice@example.com",
	//   "roles": [
	//     "admin",
	//     "user"
	//   ],
	//   "created_at": "2024-01-15T10:30:00Z"
	// }
}

// Content-Type headers parsed into media type, charset and boundary, and
// bodies decoded with the charset their header gives.
func ExampleParseContentType() {
	repr := func(s string) string {
		if s == "" {
			return "None"
		}
		return "'" + s + "'"
	}
	py := func(b bool) string { return map[bool]string{true: "True", false: "False"}[b] }
	fmt.Println("=== Parsing Content-Type Headers ===")
	for _, header := range []string{
		"application/json",
		"application/json; charset=utf-8",
		"text/html; charset=iso-8859-1",
		`multipart/form-data; boundary="----WebKitFormBoundary"`,
		"application/x-www-form-urlencoded",
		"text/plain",
	} {
		ct, err := httpclient.ParseContentType(header)
		if err != nil {
			fmt.Println(err)
			continue
		}
		if strings.Contains(header, `"`) {
			fmt.Printf("\n  Header: %s\n", "'"+header+"'")
		} else {
			fmt.Printf("\n  Header: %s\n", repr(header))
		}
		fmt.Printf("    media_type: %s\n", repr(ct.MediaType))
		fmt.Printf("    charset:    %s\n", repr(ct.Charset))
		fmt.Printf("    effective:  %s\n", repr(ct.EffectiveCharset()))
		if ct.Boundary != "" {
			fmt.Printf("    boundary:   %s\n", repr(ct.Boundary))
		}
		fmt.Printf("    is_json:    %s\n", py(ct.IsJSON()))
		fmt.Printf("    is_text:    %s\n", py(ct.IsText()))
	}

	fmt.Println("\n=== Decoding with Correct Charset ===")
	decode := func(raw []byte, header string) string {
		ct, _ := httpclient.ParseContentType(header)
		s, err := httpclient.DecodeText(raw, ct.EffectiveCharset())
		if err != nil {
			return err.Error()
		}
		return s
	}
	fmt.Printf("  UTF-8 JSON: %s\n", decode([]byte(`{"message": "café"}`), "application/json; charset=utf-8"))
	fmt.Printf("  Latin-1 text: %s\n", decode([]byte("R\xe9sum\xe9"), "text/plain; charset=iso-8859-1"))
	// Output:
	// === Parsing Content-Type Headers ===
	//
	//   Header: 'application/json'
	//     media_type: 'application/json'
	//     charset:    None
	//     effective:  'utf-8'
	//     is_json:    True
	//     is_text:    False
	//
	//   Header: 'application/json; charset=utf-8'
	//     media_type: 'application/json'
	//     charset:    'utf-8'
	//     effective:  'utf-8'
	//     is_json:    True
	//     is_text:    False
	//
	//   Header: 'text/html; charset=iso-8859-1'
	//     media_type: 'text/html'
	//     charset:    'iso-8859-1'
	//     effective:  'iso-8859-1'
	//     is_json:    False
	//     is_text:    True
	//
	//   Header: 'multipart/form-data; boundary="----WebKitFormBoundary"'
	//     media_type: 'multipart/form-data'
	//     charset:    None
	//     effective:  'utf-8'
	//     boundary:   '----WebKitFormBoundary'
	//     is_json:    False
	//     is_text:    False
	//
	//   Header: 'application/x-www-form-urlencoded'
	//     media_type: 'application/x-www-form-urlencoded'
	//     charset:    None
	//     effective:  'utf-8'
	//     is_json:    False
	//     is_text:    False
	//
	//   Header: 'text/plain'
	//     media_type: 'text/plain'
	//     charset:    None
	//     effective:  'iso-8859-1'
	//     is_json:    False
	//     is_text:    True
	//
	// === Decoding with Correct Charset ===
	//   UTF-8 JSON: {"message": "café"}
	//   Latin-1 text: Résumé
}

// Error handling for network requests: real failures from local servers,
// each with its netclass class and whether the client would retry it (the
// DNS failure is the error Go's resolver returns for a name that does not
// exist). "no such host" is not retried: asking again gets the same
// answer.
func Example_errorClasses() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/users/999":
			http.Error(w, "no user", http.StatusNotFound)
		case "/search":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "/health":
			http.Error(w, "down", http.StatusServiceUnavailable)
		case "/slow":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String()
	ln.Close()

	c := &httpclient.Client{BaseURL: srv.URL, Retry: retry.Policy{MaxAttempts: 1}}
	defer c.CloseIdleConnections()
	dnsErr := &httpclient.Error{Op: "GET", URL: "https://api.example.invalid/", Class: netclass.DNS, Attempts: 1,
		Err: &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}}

	fmt.Println("=== Error Classification ===")
	for _, sc := range []struct{ scenario, url string }{
		{"404 Not Found", "/users/999"},
		{"429 Rate Limited", "/search"},
		{"503 Unavailable", "/health"},
		{"DNS Failure", ""},
		{"Connection Refused", refused},
		{"Timeout", "/slow"},
	} {
		var err error = dnsErr
		if sc.url != "" {
			// The caller's deadline: /slow never answers.
			timeout := 10 * time.Second
			if sc.url == "/slow" {
				timeout = 100 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			_, err = c.Get(ctx, sc.url, nil)
			cancel()
		}
		var e *httpclient.Error
		if !errors.As(err, &e) {
			fmt.Println(sc.scenario, "unexpected:", err)
			continue
		}
		label, status, msg := "FAIL", "", string(e.Class)
		if e.Retryable() {
			label = "RETRY"
		}
		var se *httpclient.StatusError
		var de *net.DNSError
		switch {
		case errors.As(err, &se):
			status, msg = fmt.Sprintf(" [%d]", se.StatusCode), se.Error()
		case errors.As(err, &de):
			msg = de.Err
		case e.Class == netclass.Refused:
			msg = "connection refused"
		case e.Class == netclass.Timeout:
			msg = "request timed out"
		}
		fmt.Printf("  [%s] %s:%s %s -- %s\n", label, sc.scenario, status, e.Class, msg)
	}
	// Output:
	// === Error Classification ===
	//   [FAIL] 404 Not Found: [404] http-4xx -- HTTP 404: Not Found
	//   [RETRY] 429 Rate Limited: [429] http-4xx -- HTTP 429: Too Many Requests
	//   [RETRY] 503 Unavailable: [503] http-5xx -- HTTP 503: Service Unavailable
	//   [FAIL] DNS Failure: dns -- no such host
	//   [RETRY] Connection Refused: refused -- connection refused
	//   [RETRY] Timeout: timeout -- request timed out
}

// Retries over HTTP: a server that fails twice with 503 then answers, and
// one that always fails, until the attempts run out. The policy's sleeper
// does not wait, so the example is instant.
func ExampleClient_Do_retry() {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" || hits.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"status": "ok", "data": "success!"}`)
	}))
	defer srv.Close()
	c := &httpclient.Client{BaseURL: srv.URL, Retry: retry.Policy{
		MaxAttempts: 4,
		Jitter:      retry.NoJitter,
		Sleep:       func(context.Context, time.Duration) error { return nil },
		OnRetry: func(a retry.Attempt) {
			fmt.Printf("  Attempt %d failed: %v\n  Retrying in %.2fs...\n", a.Number, a.Err, a.Delay.Seconds())
		},
	}}
	defer c.CloseIdleConnections()

	fmt.Println("=== Retry with Exponential Backoff ===")
	resp, err := c.Get(context.Background(), "/flaky", nil)
	if err == nil {
		fmt.Printf("  Final result: %s\n  Total attempts: %d\n", resp.Body, resp.Attempts)
	}
	fmt.Println("\n=== Retry Exhaustion ===")
	c.Retry.MaxAttempts = 3
	resp, err = c.Get(context.Background(), "/down", nil)
	var e *httpclient.Error
	if errors.As(err, &e) {
		fmt.Printf("  All retries exhausted after %d attempts: last response %s\n", e.Attempts, resp.Status)
	}
	// Output:
	// === Retry with Exponential Backoff ===
	//   Attempt 1 failed: HTTP 503: Service Unavailable
	//   Retrying in 0.10s...
	//   Attempt 2 failed: HTTP 503: Service Unavailable
	//   Retrying in 0.20s...
	//   Final result: {"status": "ok", "data": "success!"}
	//   Total attempts: 3
	//
	// === Retry Exhaustion ===
	//   Attempt 1 failed: HTTP 503: Service Unavailable
	//   Retrying in 0.10s...
	//   Attempt 2 failed: HTTP 503: Service Unavailable
	//   Retrying in 0.20s...
	//   All retries exhausted after 3 attempts: last response 503 Service Unavailable
}

// endpointServer answers /NAME?delay=D after D seconds, or when the client
// gives up: an API endpoint of known latency.
func endpointServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("delay") + "s")
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintf(w, "%s completed in %ss", r.URL.Query().Get("name"), r.URL.Query().Get("delay"))
		case <-r.Context().Done():
		}
	}))
}

// gatherServer answers after ?delay= seconds and records how many requests
// it held at once. A request with ?together=N first waits (at most 10 s)
// until N such requests have arrived, so a concurrent batch shows its
// concurrency as a count rather than as a timing.
type gatherServer struct {
	*httptest.Server
	mu       sync.Mutex
	inFlight int
	peak     int
	arrived  int
	all      chan struct{}
}

func newGatherServer() *gatherServer {
	g := &gatherServer{all: make(chan struct{})}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.inFlight++
		g.peak = max(g.peak, g.inFlight)
		together, _ := strconv.Atoi(r.URL.Query().Get("together"))
		if together > 0 {
			if g.arrived++; g.arrived == together {
				close(g.all)
			}
		}
		g.mu.Unlock()
		defer func() { g.mu.Lock(); g.inFlight--; g.mu.Unlock() }()
		if together > 0 {
			select {
			case <-g.all:
			case <-time.After(10 * time.Second):
				http.Error(w, "the batch never arrived together", http.StatusGatewayTimeout)
				return
			}
		}
		d, _ := time.ParseDuration(r.URL.Query().Get("delay") + "s")
		time.Sleep(d)
	}))
	return g
}

// takePeak returns the most requests held at once since the last call.
func (g *gatherServer) takePeak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.peak
	g.peak = 0
	return p
}

// Concurrent requests, as asyncio.gather() runs them: five endpoints with
// different latencies, fetched one after the other and then all at once
// with Batch.GetAll. Timings vary from run to run, so the example prints
// the facts that do not: the results in input order and how many requests
// the server held at once (the concurrent batch must reach the server
// together, or it is answered 504).
func ExampleBatch_GetAll() {
	srv := newGatherServer()
	defer srv.Close()
	c := &httpclient.Client{}
	defer c.CloseIdleConnections()
	endpoints := []struct {
		path  string
		delay string
	}{{"/api/users", "0.03"}, {"/api/products", "0.05"}, {"/api/orders", "0.02"}, {"/api/inventory", "0.04"}, {"/api/analytics", "0.06"}}

	fmt.Println("=== Sequential Requests ===")
	for _, ep := range endpoints {
		resp, err := c.Get(context.Background(), srv.URL+ep.path+"?delay="+ep.delay, nil)
		if err == nil {
			fmt.Printf("  %s: %d\n", ep.path, resp.StatusCode)
		}
	}
	fmt.Printf("  Most requests in flight at once: %d\n", srv.takePeak())

	fmt.Println("\n=== Concurrent Requests (Batch.GetAll) ===")
	var urls []string
	for _, ep := range endpoints {
		urls = append(urls, fmt.Sprintf("%s%s?delay=%s&together=%d", srv.URL, ep.path, ep.delay, len(endpoints)))
	}
	b := &httpclient.Batch{Client: c, Concurrency: len(urls)}
	for i, r := range b.GetAll(context.Background(), urls, nil) {
		if r.Err == nil {
			fmt.Printf("  %s: %d\n", endpoints[i].path, r.Response.StatusCode)
		}
	}
	fmt.Printf("  Most requests in flight at once: %d\n", srv.takePeak())
	// Output:
	// === Sequential Requests ===
	//   /api/users: 200
	//   /api/products: 200
	//   /api/orders: 200
	//   /api/inventory: 200
	//   /api/analytics: 200
	//   Most requests in flight at once: 1
	//
	// === Concurrent Requests (Batch.GetAll) ===
	//   /api/users: 200
	//   /api/products: 200
	//   /api/orders: 200
	//   /api/inventory: 200
	//   /api/analytics: 200
	//   Most requests in flight at once: 5
}

// Timeouts, as asyncio.wait_for() sets them: one per call (the context of
// each request), then one on the whole batch. The delays are fractions of
// a second, and the timeouts generous where a call is meant to succeed.
func ExampleBatch_GetAll_timeouts() {
	srv := endpointServer()
	defer srv.Close()
	c := &httpclient.Client{Retry: retry.Policy{MaxAttempts: 1}}
	defer c.CloseIdleConnections()
	get := func(ctx context.Context, name, delay string) (string, error) {
		resp, err := c.Get(ctx, srv.URL, urlparse.Query{{Key: "name", Value: name}, {Key: "delay", Value: delay}})
		if err != nil {
			return "", err
		}
		return string(resp.Body), nil
	}

	fmt.Println("=== Individual Timeouts ===")
	for _, tt := range []struct {
		name, delay string
		timeout     time.Duration
	}{
		{"Fast API", "0.01", time.Second},
		{"Medium API", "0.05", time.Second},
		{"Slow API", "0.2", 50 * time.Millisecond},
		{"Dead API", "1", 30 * time.Millisecond},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
		text, err := get(ctx, tt.name, tt.delay)
		cancel()
		if netclass.Of(err) == netclass.Timeout {
			fmt.Printf("  [TIMEOUT] %s TIMED OUT after %v (needed %ss)\n", tt.name, tt.timeout, tt.delay)
		} else if err == nil {
			fmt.Printf("  [OK] %s\n", text)
		}
	}

	fmt.Println("\n=== Timeout on Entire Batch ===")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	b := &httpclient.Batch{Client: c}
	urls := []string{srv.URL + "?name=A&delay=0.01", srv.URL + "?name=B&delay=0.02", srv.URL + "?name=C&delay=0.5"}
	timedOut := false
	for _, r := range b.GetAll(ctx, urls, nil) {
		timedOut = timedOut || netclass.Of(r.Err) == netclass.Timeout
	}
	if timedOut {
		fmt.Println("  Entire batch timed out (one slow call held up the group)")
	}
	// Output:
	// === Individual Timeouts ===
	//   [OK] Fast API completed in 0.01s
	//   [OK] Medium API completed in 0.05s
	//   [TIMEOUT] Slow API TIMED OUT after 50ms (needed 0.2s)
	//   [TIMEOUT] Dead API TIMED OUT after 30ms (needed 1s)
	//
	// === Timeout on Entire Batch ===
	//   Entire batch timed out (one slow call held up the group)
}
