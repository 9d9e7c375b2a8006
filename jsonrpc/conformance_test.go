package jsonrpc_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/tcpserver"
)

// specServer registers the methods the examples of the JSON-RPC 2.0
// specification (section 7) call, each with opts (Inline or none), on a
// server that answers the bare dialect when acceptBare is set.
func specServer(acceptBare bool, opts ...jsonrpc.MethodOption) *jsonrpc.Server {
	s := &jsonrpc.Server{MaxInFlight: 1, AcceptBare: acceptBare} // in order, so "no response" is observable
	type subtractParams struct {
		Minuend    float64 `json:"minuend"`
		Subtrahend float64 `json:"subtrahend"`
	}
	jsonrpc.Register(s, "subtract", func(_ context.Context, p subtractParams) (float64, error) {
		return p.Minuend - p.Subtrahend, nil
	}, opts...)
	jsonrpc.Register(s, "sum", func(_ context.Context, p []float64) (float64, error) {
		var t float64
		for _, v := range p {
			t += v
		}
		return t, nil
	}, opts...)
	noop := func(context.Context, json.RawMessage) (any, error) { return nil, nil }
	s.Handle("update", noop, opts...)
	s.Handle("notify_hello", noop, opts...)
	s.Handle("notify_sum", noop, opts...)
	s.Handle("get_data", func(context.Context, json.RawMessage) (any, error) {
		return []any{"hello", 5}, nil
	}, opts...)
	return s
}

// example is a request and its response; an empty want means no
// response at all.
type example struct {
	name, req, want string
}

// specExamples are the request and response pairs of section 7 of the
// specification, verbatim.
var specExamples = []example{
	{"positional params", `{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}`,
		`{"jsonrpc": "2.0", "result": 19, "id": 1}`},
	{"positional params reversed", `{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}`,
		`{"jsonrpc": "2.0", "result": -19, "id": 2}`},
	{"named params", `{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}`,
		`{"jsonrpc": "2.0", "result": 19, "id": 3}`},
	{"named params reordered", `{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}`,
		`{"jsonrpc": "2.0", "result": 19, "id": 4}`},
	{"notification", `{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}`, ``},
	{"notification of unknown method", `{"jsonrpc": "2.0", "method": "foobar"}`, ``},
	{"non-existent method", `{"jsonrpc": "2.0", "method": "foobar", "id": "1"}`,
		`{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}`},
	{"invalid JSON", `{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]`,
		`{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}`},
	{"invalid request object", `{"jsonrpc": "2.0", "method": 1, "params": "bar"}`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`},
	{"batch, invalid JSON", `[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]`, `{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}`},
	{"empty array", `[]`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`},
	{"invalid batch, not empty", `[1]`,
		`[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]`},
	{"invalid batch", `[1,2,3]`, `[
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
]`},
	{"mixed batch", `[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
  {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
  {"foo": "boo"},
  {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
  {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
]`, `[
  {"jsonrpc": "2.0", "result": 7, "id": "1"},
  {"jsonrpc": "2.0", "result": 19, "id": "2"},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
  {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
]`},
	{"batch of notifications", `[
  {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
  {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
]`, ``},
}

// bareExamples are requests of the bare dialect (no jsonrpc member) and
// the responses of a server with AcceptBare: every request answered with
// a result, failures included, and a missing id or method read as 0 or
// "unknown". Batches are JSON-RPC 2.0 only.
var bareExamples = []example{
	{"positional params", `{"id": 1, "method": "subtract", "params": [42, 23]}`,
		`{"id": 1, "result": 19}`},
	{"named params", `{"id": "a", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}}`,
		`{"id": "a", "result": 19}`},
	{"no params", `{"id": 2, "method": "get_data"}`,
		`{"id": 2, "result": ["hello", 5]}`},
	{"null result", `{"id": 3, "method": "update", "params": [1, 2]}`,
		`{"id": 3, "result": null}`},
	{"no id", `{"method": "sum", "params": [1, 2, 4]}`,
		`{"id": 0, "result": 7}`},
	{"no method", `{"id": 4}`,
		`{"id": 4, "result": {"error": "Unknown method: unknown"}}`},
	{"unknown method", `{"id": 5, "method": "foobar"}`,
		`{"id": 5, "result": {"error": "Unknown method: foobar"}}`},
	{"method not a string", `{"id": 6, "method": 5}`,
		`{"id": 6, "result": {"error": "Unknown method: 5"}}`},
	{"invalid params", `{"id": 7, "method": "subtract", "params": {"minuend": "x"}}`,
		`{"id": 7, "result": {"error": "Invalid params"}}`},
	{"in a batch", `[
  {"id": 8, "method": "get_data"},
  {"jsonrpc": "2.0", "method": "get_data", "id": 9}
]`, `[
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 8},
  {"jsonrpc": "2.0", "result": ["hello", 5], "id": 9}
]`},
}

// bareRefused are requests of the bare dialect to a server without
// AcceptBare: each is an Invalid Request (section 5.1), with its id when
// valid, and answered even without an id, not being a valid notification.
var bareRefused = []example{
	{"with id", `{"id": 1, "method": "subtract", "params": [42, 23]}`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 1}`},
	{"no id", `{"method": "sum", "params": [1, 2, 4]}`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`},
	{"invalid id", `{"id": {"n": 1}, "method": "get_data"}`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}`},
	{"no method", `{"id": 2}`,
		`{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 2}`},
}

// conformanceSuites are the tables every transport runs, each on a
// specServer with or without AcceptBare. The specification's examples run
// both ways: accepting the bare dialect changes nothing for JSON-RPC 2.0.
var conformanceSuites = []struct {
	name       string
	acceptBare bool
	examples   []example
}{
	{"JSON-RPC 2.0", false, specExamples},
	{"JSON-RPC 2.0 with AcceptBare", true, specExamples},
	{"bare with AcceptBare", true, bareExamples},
	{"bare without AcceptBare", false, bareRefused},
}

// equalJSON compares two JSON texts as parsed values.
func equalJSON(t *testing.T, name string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Errorf("%s: response %q is not JSON: %v", name, got, err)
		return
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: bad expectation %q: %v", name, want, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("%s: response mismatch (-want +got):\n%s", name, diff)
	}
}

// TestConformanceFrames runs the tables over frames: with ServeConn,
// and with TCPHandler on tcpserver, where Inline methods are answered on
// the read loop and the batches hand the connection to the worker path.
func TestConformanceFrames(t *testing.T) {
	transports := []struct {
		name  string
		serve func(t *testing.T, acceptBare bool) string
	}{
		{"ServeConn", func(t *testing.T, acceptBare bool) string { return serveFrames(t, specServer(acceptBare)) }},
		{"TCPHandler", func(t *testing.T, acceptBare bool) string {
			return testnet.Serve(t, &tcpserver.Server{Handler: specServer(acceptBare).TCPHandler()})
		}},
		{"TCPHandler, Inline methods", func(t *testing.T, acceptBare bool) string {
			return testnet.Serve(t, &tcpserver.Server{Handler: specServer(acceptBare, jsonrpc.Inline()).TCPHandler()})
		}},
	}
	for _, suite := range conformanceSuites {
		for _, tr := range transports {
			t.Run(suite.name+"/"+tr.name, func(t *testing.T) {
				conn := testnet.Dial(t, tr.serve(t, suite.acceptBare))
				conformanceOverFrames(t, conn, suite.examples)
			})
		}
	}
}

func conformanceOverFrames(t *testing.T, conn net.Conn, examples []example) {
	r, w := frame.NewReader(conn, 0), frame.NewWriter(conn, 0)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	for _, ex := range examples {
		if err := w.WriteFrame([]byte(ex.req)); err != nil {
			t.Fatalf("%s: write: %v", ex.name, err)
		}
		// A marker request after each example: when the example gets no
		// response, the marker's response comes first.
		if err := w.WriteFrame([]byte(`{"jsonrpc":"2.0","method":"get_data","id":"marker"}`)); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("%s: read: %v", ex.name, err)
		}
		if ex.want != "" {
			equalJSON(t, ex.name, got, []byte(ex.want))
			if got, err = r.ReadFrame(); err != nil {
				t.Fatalf("%s: read marker: %v", ex.name, err)
			}
		}
		equalJSON(t, ex.name+" (marker)", got, []byte(`{"jsonrpc":"2.0","result":["hello",5],"id":"marker"}`))
	}
}

func TestConformanceHTTP(t *testing.T) {
	for _, suite := range conformanceSuites {
		t.Run(suite.name, func(t *testing.T) {
			ts := httptest.NewServer(specServer(suite.acceptBare))
			defer ts.Close()
			conformanceOverHTTP(t, ts.URL, suite.examples)
		})
	}
}

func conformanceOverHTTP(t *testing.T, url string, examples []example) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			resp, err := http.Post(url, "application/json", strings.NewReader(ex.req))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if ex.want == "" {
				if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
					t.Errorf("POST %s = %s with %q, want 204 and no body", ex.req, resp.Status, body)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("POST = %s, %s; want 200 OK, application/json", resp.Status, resp.Header.Get("Content-Type"))
			}
			equalJSON(t, ex.name, body, []byte(ex.want))
		})
	}
}

// TestConformanceWebSocket runs the tables over WebSocketHandler: one
// request or batch per text message, no message for notifications.
func TestConformanceWebSocket(t *testing.T) {
	for _, suite := range conformanceSuites {
		t.Run(suite.name, func(t *testing.T) {
			ts := httptest.NewServer(specServer(suite.acceptBare).WebSocketHandler(jsonrpc.WebSocketOptions{}))
			defer ts.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			conformanceOverWebSocket(t, ctx, c, suite.examples)
			// A message over MaxFrameSize closes with 1009.
			big := `{"jsonrpc":"2.0","method":"sum","params":[` + strings.Repeat("1,", 3<<20) + `1],"id":1}`
			c.Write(ctx, websocket.MessageText, []byte(big))
			_, _, err = c.Read(ctx)
			if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
				t.Errorf("over-size message: %v (status %v), want 1009", err, got)
			}
		})
	}
}

func conformanceOverWebSocket(t *testing.T, ctx context.Context, c *websocket.Conn, examples []example) {
	read := func() []byte {
		_, msg, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return msg
	}
	for _, ex := range examples {
		if err := c.Write(ctx, websocket.MessageText, []byte(ex.req)); err != nil {
			t.Fatalf("%s: write: %v", ex.name, err)
		}
		// The marker after each example, as over frames.
		if err := c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","method":"get_data","id":"marker"}`)); err != nil {
			t.Fatal(err)
		}
		got := read()
		if ex.want != "" {
			equalJSON(t, ex.name, got, []byte(ex.want))
			got = read()
		}
		equalJSON(t, ex.name+" (marker)", got, []byte(`{"jsonrpc":"2.0","result":["hello",5],"id":"marker"}`))
	}
}
