package jsonrpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
	"github.com/netkit-dev/netkit/tcpserver"
)

// pyDumps formats compact JSON as Python's json.dumps does by default: a
// space after each comma and colon outside strings.
func pyDumps(b []byte) string {
	var sb strings.Builder
	inString, escaped := false, false
	for _, c := range b {
		sb.WriteByte(c)
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == ',' || c == ':'):
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}

// A length-prefixed JSON server with add, greet and echo, and the four
// requests a Python asyncio client sends, each answered in the bare
// dialect (no jsonrpc member), as Server.AcceptBare allows.
func Example_demoJSONProtocol() {
	srv := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(srv)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			srv.ServeConn(context.Background(), conn)
		}
	}()
	fmt.Print("JSON-RPC server on port PORT\n\n")

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	w, r := frame.NewWriter(conn, 0), frame.NewReader(conn, 0)

	requests := []string{
		`{"id":1,"method":"add","params":{"a":10,"b":32}}`,
		`{"id":2,"method":"greet","params":{"name":"Python"}}`,
		`{"id":3,"method":"echo","params":{"data":[1,2,3],"nested":{"key":"value"}}}`,
		`{"id":4,"method":"unknown_method","params":{}}`,
	}
	for _, req := range requests {
		if err := w.WriteFrame([]byte(req)); err != nil {
			fmt.Println(err)
			return
		}
		resp, err := r.ReadFrame()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("  Request:  %s\n", pyDumps([]byte(req)))
		fmt.Printf("  Response: %s\n\n", pyDumps(resp))
	}
	// Output:
	// JSON-RPC server on port PORT
	//
	//   Request:  {"id": 1, "method": "add", "params": {"a": 10, "b": 32}}
	//   Response: {"id": 1, "result": 42}
	//
	//   Request:  {"id": 2, "method": "greet", "params": {"name": "Python"}}
	//   Response: {"id": 2, "result": "Hello, Python!"}
	//
	//   Request:  {"id": 3, "method": "echo", "params": {"data": [1, 2, 3], "nested": {"key": "value"}}}
	//   Response: {"id": 3, "result": {"data": [1, 2, 3], "nested": {"key": "value"}}}
	//
	//   Request:  {"id": 4, "method": "unknown_method", "params": {}}
	//   Response: {"id": 4, "result": {"error": "Unknown method: unknown_method"}}
}

// A typed handler: params decoded by name or by position, the result
// encoded, errors as JSON-RPC error objects.
func ExampleRegister() {
	srv := &jsonrpc.Server{}
	type divParams struct {
		X float64 `json:"x"`
		Y float64 `json:"y"`
	}
	jsonrpc.Register(srv, "div", func(_ context.Context, p divParams) (float64, error) {
		if p.Y == 0 {
			return 0, jsonrpc.NewError(1, "division by zero", p)
		}
		return p.X / p.Y, nil
	})
	ctx := context.Background()
	for _, req := range []string{
		`{"jsonrpc": "2.0", "method": "div", "params": {"x": 1, "y": 4}, "id": 1}`,
		`{"jsonrpc": "2.0", "method": "div", "params": [3, 4], "id": 2}`,
		`{"jsonrpc": "2.0", "method": "div", "params": [1, 0], "id": 3}`,
		`{"jsonrpc": "2.0", "method": "div", "params": {"x": "one"}, "id": 4}`,
		`{"jsonrpc": "2.0", "method": "div", "params": [1, 2], "id": 5`,
	} {
		fmt.Printf("%s\n", srv.HandleMessage(ctx, []byte(req)))
	}
	// Output:
	// {"jsonrpc":"2.0","result":0.25,"id":1}
	// {"jsonrpc":"2.0","result":0.75,"id":2}
	// {"jsonrpc":"2.0","error":{"code":1,"message":"division by zero","data":{"x":1,"y":0}},"id":3}
	// {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"json: cannot unmarshal string into Go struct field divParams.x of type float64"},"id":4}
	// {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}
}

// The pipelined client: concurrent calls share one connection.
func ExampleClient_Call() {
	srv := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			srv.ServeConn(context.Background(), conn)
		}
	}()

	ctx := context.Background()
	c, err := jsonrpc.Dial(ctx, ln.Addr().String(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	var sum int
	if err := c.Call(ctx, "add", map[string]int{"a": 10, "b": 32}, &sum); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("add:", sum)
	var greeting string
	c.Call(ctx, "greet", []string{"Go"}, &greeting)
	fmt.Println("greet:", greeting)
	var echoed json.RawMessage
	c.Call(ctx, "echo", map[string]any{"nested": map[string]string{"key": "value"}}, &echoed)
	fmt.Println("echo:", string(echoed))

	err = c.Call(ctx, "unknown_method", nil, nil)
	var e *jsonrpc.Error
	if errors.As(err, &e) {
		fmt.Println("error:", e.Code, e.Message)
	}
	// Output:
	// add: 42
	// greet: Hello, Go!
	// echo: {"nested":{"key":"value"}}
	// error: -32601 Method not found
}

// Serving on tcpserver, as netkit serve does on 127.0.0.1:7003: the
// server's limits, timeouts and graceful Shutdown, which lets the calls
// already read finish and answers them.
func ExampleServer_TCPHandler() {
	rpc := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(rpc)
	srv := &tcpserver.Server{Handler: rpc.TCPHandler()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	ctx := context.Background()
	c, err := jsonrpc.Dial(ctx, ln.Addr().String(), &jsonrpc.ClientOptions{Dialect: jsonrpc.Bare})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	var greeting string
	err = c.Call(ctx, "greet", map[string]string{"name": "Python"}, &greeting)
	fmt.Println(greeting, err)
	// Output:
	// Hello, Python! <nil>
}

// The same registry over HTTP, as POST /rpc on the admin listener.
func ExampleServer_ServeHTTP() {
	rpc := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(rpc)
	mux := http.NewServeMux()
	mux.Handle("POST /rpc", rpc)
	ts := httptest.NewServer(mux)
	defer ts.Close()

	c := &jsonrpc.HTTPClient{URL: ts.URL + "/rpc"}
	var sum int
	err := c.Call(context.Background(), "add", map[string]int{"a": 10, "b": 32}, &sum)
	fmt.Println(sum, err)

	resp, err := http.Post(ts.URL+"/rpc", "application/json", strings.NewReader(`[]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 42 <nil>
	// 200 OK {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}
}
