package cli

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
)

func TestRPCCallFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    rpcCallOptions
		wantErr string
	}{
		{[]string{"127.0.0.1:7003", "add", "a:=10", "b:=32"},
			rpcCallOptions{Addr: "127.0.0.1:7003", Method: "add", Params: json.RawMessage(`{"a":10,"b":32}`), Timeout: 10 * time.Second, Dialect: "2.0"}, ""},
		{[]string{"127.0.0.1:7003", "greet", `{"name": "Python"}`, "--timeout", "2", "--json"},
			rpcCallOptions{Addr: "127.0.0.1:7003", Method: "greet", Params: json.RawMessage(`{"name": "Python"}`), Timeout: 2 * time.Second, Dialect: "2.0", JSON: true}, ""},
		{[]string{"--http", "http://127.0.0.1:9090/rpc", "echo", "[1, 2]"},
			rpcCallOptions{HTTPURL: "http://127.0.0.1:9090/rpc", Method: "echo", Params: json.RawMessage(`[1, 2]`), Timeout: 10 * time.Second, Dialect: "2.0"}, ""},
		{[]string{"h:1", "ping", "--dialect", "bare"},
			rpcCallOptions{Addr: "h:1", Method: "ping", Timeout: 10 * time.Second, Dialect: "bare"}, ""},
		// "chapter", the dialect's first name, still works.
		{[]string{"h:1", "ping", "--dialect", "chapter"},
			rpcCallOptions{Addr: "h:1", Method: "ping", Timeout: 10 * time.Second, Dialect: "bare"}, ""},
		{[]string{"h:1"}, rpcCallOptions{}, "want ADDR METHOD"},
		{[]string{"h:1", "m", "novalue"}, rpcCallOptions{}, "want key=value"},
		{[]string{"h:1", "m", "{broken"}, rpcCallOptions{}, "not valid JSON"},
		{[]string{"h:1", "m", "--dialect", "1.0"}, rpcCallOptions{}, "want 2.0 or bare"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *rpcCallOptions
			streams, _, _ := Test("")
			cmd := newRPCCallCmd(streams, func(_ context.Context, o *rpcCallOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(streams.Out)
			cmd.SetErr(streams.ErrOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Streams != streams {
				t.Errorf("options hold other streams than the command's")
			}
			got.Streams = nil
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("options mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRPCParams(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"name=Go"}, `{"name":"Go"}`},
		{[]string{"a:=1", "tags:=[1, 2]", "s=a=b", "n:=null"}, `{"a":1,"tags":[1,2],"s":"a=b","n":null}`},
		{[]string{`[1,"x"]`}, `[1,"x"]`},
		{[]string{`é=ü`}, `{"é":"ü"}`},
	}
	for _, tt := range tests {
		got, err := parseRPCParams(tt.args)
		if err != nil || string(got) != tt.want {
			t.Errorf("parseRPCParams(%q) = %s, %v; want %s", tt.args, got, err, tt.want)
		}
	}
	for _, bad := range [][]string{{"x"}, {"=1"}, {"a:=nope"}, {"[1,"}} {
		if got, err := parseRPCParams(bad); err == nil {
			t.Errorf("parseRPCParams(%q) = %s, want an error", bad, got)
		}
	}
}

// rpcTestServer serves rpcdemo's methods on loopback frames.
func rpcTestServer(t *testing.T) (*jsonrpc.Server, string) {
	t.Helper()
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	ln := testnet.Listen(t)
	testnet.Handle(t, ln, func(conn net.Conn) { s.ServeConn(t.Context(), conn) })
	return s, ln.Addr().String()
}

func TestRPCCall(t *testing.T) {
	s, addr := rpcTestServer(t)
	hs := httptest.NewServer(s)
	defer hs.Close()
	tests := []struct {
		name        string
		args        []string
		code        int
		out, errOut string
	}{
		{"add items", []string{addr, "add", "a:=10", "b:=32"}, 0, "42\n", ""},
		{"greet object", []string{addr, "greet", `{"name": "Python"}`}, 0, "\"Hello, Python!\"\n", ""},
		{"echo", []string{addr, "echo", "data:=[1, 2, 3]", "nested:={\"key\": \"value\"}"}, 0, `{"data":[1,2,3],"nested":{"key":"value"}}` + "\n", ""},
		{"positional", []string{addr, "add", "[1, 2]", "--json"}, 0, `{"result":3}` + "\n", ""},
		{"chapter dialect", []string{addr, "greet", "--dialect", "chapter"}, 0, "\"Hello, World!\"\n", ""},
		{"unknown method", []string{addr, "unknown_method"}, exitRPCError, "",
			"netkit rpc call: unknown_method: error -32601: Method not found\n"},
		{"unknown method, chapter", []string{addr, "unknown_method", "--dialect", "chapter"}, exitRPCError, "",
			"netkit rpc call: unknown_method: error -32601: Unknown method: unknown_method\n"},
		{"server's control characters escaped", []string{addr, "\x1b[2Jx", "--dialect", "chapter"}, exitRPCError, "",
			"netkit rpc call: \x1b[2Jx: error -32601: Unknown method: \\x1b[2Jx\n"},
		{"error json", []string{addr, "nope", "--json"}, exitRPCError,
			`{"error":{"code":-32601,"message":"Method not found"}}` + "\n",
			"netkit rpc call: nope: error -32601: Method not found\n"},
		{"http", []string{"--http", hs.URL + "/rpc", "add", "a:=1", "b:=2"}, 0, "3\n", ""},
		{"http error", []string{"--http", hs.URL + "/rpc", "nope"}, exitRPCError, "", "netkit rpc call: nope: error -32601: Method not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"rpc", "call"}, tt.args...)...)
			if code != tt.code || out != tt.out || errOut != tt.errOut {
				t.Errorf("netkit rpc call %q = %d, %q, %q; want %d, %q, %q", tt.args, code, out, errOut, tt.code, tt.out, tt.errOut)
			}
		})
	}
}

func TestRPCCallPrettyOnTerminal(t *testing.T) {
	_, addr := rpcTestServer(t)
	streams, out, _ := Test("")
	streams.OutTTY = true
	err := runRPCCall(context.Background(), &rpcCallOptions{Streams: streams, Addr: addr, Method: "echo", Params: json.RawMessage(`{"a":[1]}`), Dialect: "2.0"})
	if want := "{\n  \"a\": [\n    1\n  ]\n}\n"; err != nil || out.String() != want {
		t.Errorf("echo on a terminal = %q, %v; want %q", out.String(), err, want)
	}
}

func TestRPCCallUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, _, errOut := run(t, "", "rpc", "call", addr, "add")
	if code != ExitError || !strings.Contains(errOut, "refused") {
		t.Errorf("call to a closed port = %d, %q; want %d and connection refused", code, errOut, ExitError)
	}
}
