package chat_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/tcpserver"
)

// A chat server with three clients, Alice, Bob and Carol, each sending two
// messages. Every client reads every message of its room, its own included,
// as the clients of Python's asyncio chat server (the interoperability
// peer) do. The clock is injected (one second a line) and each client's
// ephemeral port is rewritten to a stable one, so the output is the same on
// every run; the clients take turns so that every reader sees the same
// order.
func Example() {
	var mu sync.Mutex
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	srv := &tcpserver.Server{Handler: chat.NewServer(chat.Config{Now: clock})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)

	type client struct {
		name     string
		messages []string
		conn     net.Conn
		r        *bufio.Reader
	}
	clients := []*client{
		{name: "Alice", messages: []string{"Hello!", "How is everyone?"}},
		{name: "Bob", messages: []string{"Hi there!", "Doing great!"}},
		{name: "Carol", messages: []string{"Hey!", "Good to be here!"}},
	}
	var stable []string // real address, stable address pairs
	rewrite := func(s string) string { return strings.NewReplacer(stable...).Replace(s) }
	read := func(c *client, prefix string) {
		line, err := c.r.ReadString('\n')
		if err != nil {
			panic(err)
		}
		fmt.Printf("  [%s] %s%s\n", c.name, prefix, rewrite(strings.TrimSpace(line)))
	}

	for i, c := range clients {
		c.conn, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		c.r = bufio.NewReader(c.conn)
		stable = append(stable, c.conn.LocalAddr().String(), fmt.Sprintf("127.0.0.1:5000%d", i+1))
		read(c, "") // the welcome
		for _, earlier := range clients[:i] {
			read(earlier, "Got: ") // the newcomer's join notice
		}
	}
	total := 0
	for round := range 2 {
		for _, sender := range clients {
			fmt.Fprintf(sender.conn, "%s\n", sender.messages[round])
			for _, c := range clients {
				read(c, "Got: ")
				total++
			}
		}
	}
	fmt.Printf("\nTotal messages delivered: %d\n", total)

	for _, c := range clients {
		c.conn.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	// Output:
	// [Alice] Welcome! You are 127.0.0.1:50001. 1 client(s) connected.
	//   [Bob] Welcome! You are 127.0.0.1:50002. 2 client(s) connected.
	//   [Alice] Got: [09:00:02] * 127.0.0.1:50002 joined lobby
	//   [Carol] Welcome! You are 127.0.0.1:50003. 3 client(s) connected.
	//   [Alice] Got: [09:00:03] * 127.0.0.1:50003 joined lobby
	//   [Bob] Got: [09:00:03] * 127.0.0.1:50003 joined lobby
	//   [Alice] Got: [09:00:04] 127.0.0.1:50001: Hello!
	//   [Bob] Got: [09:00:04] 127.0.0.1:50001: Hello!
	//   [Carol] Got: [09:00:04] 127.0.0.1:50001: Hello!
	//   [Alice] Got: [09:00:05] 127.0.0.1:50002: Hi there!
	//   [Bob] Got: [09:00:05] 127.0.0.1:50002: Hi there!
	//   [Carol] Got: [09:00:05] 127.0.0.1:50002: Hi there!
	//   [Alice] Got: [09:00:06] 127.0.0.1:50003: Hey!
	//   [Bob] Got: [09:00:06] 127.0.0.1:50003: Hey!
	//   [Carol] Got: [09:00:06] 127.0.0.1:50003: Hey!
	//   [Alice] Got: [09:00:07] 127.0.0.1:50001: How is everyone?
	//   [Bob] Got: [09:00:07] 127.0.0.1:50001: How is everyone?
	//   [Carol] Got: [09:00:07] 127.0.0.1:50001: How is everyone?
	//   [Alice] Got: [09:00:08] 127.0.0.1:50002: Doing great!
	//   [Bob] Got: [09:00:08] 127.0.0.1:50002: Doing great!
	//   [Carol] Got: [09:00:08] 127.0.0.1:50002: Doing great!
	//   [Alice] Got: [09:00:09] 127.0.0.1:50003: Good to be here!
	//   [Bob] Got: [09:00:09] 127.0.0.1:50003: Good to be here!
	//   [Carol] Got: [09:00:09] 127.0.0.1:50003: Good to be here!
	//
	// Total messages delivered: 18
}

// The commands: a nickname, another room, who is there, an action, and
// leaving. Lines are read back in the order the server sends them.
func Example_commands() {
	at := time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)
	srv := &tcpserver.Server{Handler: chat.NewServer(chat.Config{Now: func() time.Time { return at }})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := chat.Dial(ctx, ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.ReadLine() // the welcome
	for _, cmd := range []string{"/nick ada", "/nick 9lives", "/join #Engines", "/who", "/rooms", "/me computes", "//etc", "/frob", "/quit done"} {
		c.Send(ctx, cmd)
	}
	// The server closes the connection after "bye"; should it not, closing
	// it when ctx expires ends the loop instead of hanging the example.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	for {
		line, err := c.ReadLine()
		if err != nil {
			break
		}
		fmt.Println(strings.Replace(line, c.LocalAddr().String(), "127.0.0.1:50001", 1))
	}
	// Output:
	// [09:30:00] * 127.0.0.1:50001 is now known as ada
	// [09:30:00] ! invalid nickname "9lives": a letter, then letters, digits, - or _, at most 24
	// [09:30:00] * ada joined engines
	// [09:30:00] * engines (1): ada
	// [09:30:00] * rooms: engines (1)
	// [09:30:00] * ada computes
	// [09:30:00] ada: /etc
	// [09:30:00] ! unknown command /frob; try /help
	// [09:30:00] * bye
}
