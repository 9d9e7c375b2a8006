package httpie_test

import (
	"fmt"

	"github.com/netkit-dev/netkit/httpie"
)

func Example() {
	method, url, args := httpie.SplitArgs([]string{"put", ":8080/users", "X-Trace:1", "name=Ada", "age:=36", "v==2"})
	fmt.Println(method, url)
	var items []httpie.Item
	for _, a := range args {
		it, err := httpie.ParseItem(a)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q %s %q\n", it.Key, it.Kind, it.Value)
		items = append(items, it)
	}
	fmt.Println(string(httpie.JSONObject(items)))
	// Output:
	// PUT http://localhost:8080/users
	// "X-Trace" : "1"
	// "name" = "Ada"
	// "age" := "36"
	// "v" == "2"
	// {"name":"Ada","age":36}
}
