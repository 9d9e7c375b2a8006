package rpcdemo_test

import (
	"context"
	"fmt"

	"github.com/netkit-dev/netkit/jsonrpc"
	"github.com/netkit-dev/netkit/rpcdemo"
)

func ExampleRegister() {
	s := &jsonrpc.Server{AcceptBare: true}
	rpcdemo.Register(s)
	for _, req := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":10,"b":32}}`,
		`{"jsonrpc":"2.0","id":2,"method":"add","params":[18446744073709551615,1]}`,
		`{"jsonrpc":"2.0","id":3,"method":"greet","params":["Go"]}`,
		`{"id":4,"method":"echo","params":{"data":[1,2,3]}}`,
		`{"id":5,"method":"greet"}`,
	} {
		fmt.Println(string(s.HandleMessage(context.Background(), []byte(req))))
	}
	// Output:
	// {"jsonrpc":"2.0","result":42,"id":1}
	// {"jsonrpc":"2.0","result":18446744073709551616,"id":2}
	// {"jsonrpc":"2.0","result":"Hello, Go!","id":3}
	// {"id":4,"result":{"data":[1,2,3]}}
	// {"id":5,"result":"Hello, World!"}
}
