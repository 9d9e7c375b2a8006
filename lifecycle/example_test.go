package lifecycle_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/netkit-dev/netkit/lifecycle"
)

// A program is a Group of components: each starts once the one before it
// is ready, and they stop in reverse order within one deadline.
func Example() {
	web := &lifecycle.Listener{
		Addr:   "127.0.0.1:0",
		Server: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })},
		Closed: http.ErrServerClosed,
	}
	var g lifecycle.Group
	g.Add("web", web)
	if err := g.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("ready:", g.Ready() == nil)

	resp, err := http.Get("http://" + web.BoundAddr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", g.Shutdown(ctx))
	fmt.Println("ready:", g.Ready())
	// Output:
	// ready: true
	// hello
	// shutdown: <nil>
	// ready: lifecycle: not started
}
