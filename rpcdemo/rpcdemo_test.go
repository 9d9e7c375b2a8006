package rpcdemo_test

import (
	"context"
	"strings"
	"testing"

	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
)

// TestMethods pins add, greet and echo on a server of both dialects, as
// netkit serve runs them: the results a Python server of the same methods
// gives, with Python's integers and defaults.
func TestMethods(t *testing.T) {
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	tests := []struct {
		name, req, want string
	}{
		{"add", `{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":10,"b":32}}`, `{"jsonrpc":"2.0","result":42,"id":1}`},
		{"add positional", `{"jsonrpc":"2.0","id":1,"method":"add","params":[10,32]}`, `{"jsonrpc":"2.0","result":42,"id":1}`},
		{"bare add big", `{"id": 1, "method": "add", "params": {"a": 18446744073709551615, "b": 1}}`, `{"id":1,"result":18446744073709551616}`},
		{"add past int64 below", `{"jsonrpc":"2.0","id":1,"method":"add","params":[-9223372036854775808,-1]}`, `{"jsonrpc":"2.0","result":-9223372036854775809,"id":1}`},
		{"add 4300 digits", `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,` + strings.Repeat("9", 4300) + `]}`, `{"jsonrpc":"2.0","result":1` + strings.Repeat("0", 4300) + `,"id":1}`},
		{"v2 add too many digits", `{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1` + strings.Repeat("0", 4300) + `]}`, `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"numbers are limited to 4300 digits"},"id":1}`},
		{"bare add float", `{"id": 1, "method": "add", "params": {"a": 0.5, "b": 2}}`, `{"id":1,"result":2.5}`},
		{"bare add default", `{"id": 1, "method": "add", "params": {"b": 2}}`, `{"id":1,"result":2}`},
		{"add no params", `{"jsonrpc":"2.0","id":1,"method":"add"}`, `{"jsonrpc":"2.0","result":0,"id":1}`},
		{"add null operand", `{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":null,"b":3}}`, `{"jsonrpc":"2.0","result":3,"id":1}`},
		{"add not a number", `{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":"1","b":2}}`, `{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"a: not a number: \"1\""},"id":1}`},
		{"bare greet default", `{"id": 2, "method": "greet"}`, `{"id":2,"result":"Hello, World!"}`},
		{"greet", `{"jsonrpc":"2.0","id":2,"method":"greet","params":{"name":"Python"}}`, `{"jsonrpc":"2.0","result":"Hello, Python!","id":2}`},
		{"greet positional", `{"jsonrpc":"2.0","id":2,"method":"greet","params":["Go"]}`, `{"jsonrpc":"2.0","result":"Hello, Go!","id":2}`},
		{"greet not a string", `{"jsonrpc":"2.0","id":2,"method":"greet","params":{"name":[1, 2]}}`, `{"jsonrpc":"2.0","result":"Hello, [1, 2]!","id":2}`},
		{"bare echo default", `{"id": 3, "method": "echo"}`, `{"id":3,"result":{}}`},
		{"echo", `{"jsonrpc":"2.0","id":3,"method":"echo","params":{"data":[1,2,3],"nested":{"key":"value"}}}`, `{"jsonrpc":"2.0","result":{"data":[1,2,3],"nested":{"key":"value"}},"id":3}`},
		{"echo array", `{"jsonrpc":"2.0","id":3,"method":"echo","params":[1, "x"]}`, `{"jsonrpc":"2.0","result":[1, "x"],"id":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(s.HandleMessage(context.Background(), []byte(tt.req))); got != tt.want {
				t.Errorf("HandleMessage(%.200s)\n got %.200s\nwant %.200s", tt.req, got, tt.want)
			}
		})
	}
}
