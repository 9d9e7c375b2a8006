package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/jsonrpc"
)

// The browser tests drive headless Chromium (Debian's chromium package,
// or the browser NETKIT_CHROMIUM names) against a real `netkit serve`
// process. Set NETKIT_SCREENSHOTS to a directory to keep the screenshots
// the README shows.

// chromiumPath returns the browser to drive, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NETKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (install Debian's chromium package, or set NETKIT_CHROMIUM): skipping the browser tests")
	return ""
}

// chromium is the one browser of the package's tests, started by the
// first test that needs it and stopped by TestMain: one start instead of
// one per test, since a start is the slowest and least reliable step.
var chromium struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chromium.cancel != nil {
		chromium.cancel()
	}
	os.Exit(code)
}

// startBrowser starts Chromium at path, trying three times: on a loaded
// machine a start now and then dies before it answers.
func startBrowser(path string) (context.Context, context.CancelFunc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // as root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 1000),
	)
	var err error
	for range 3 {
		dir, derr := os.MkdirTemp("", "netkit-chromium-")
		if derr != nil {
			return nil, nil, derr
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, chromedp.UserDataDir(dir))...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		// The first run starts the browser, which lives as long as the
		// context of that run: no timeout on it.
		if err = chromedp.Do(ctx); err == nil {
			return ctx, func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }, nil
		}
		cancel()
		cancelAlloc()
		os.RemoveAll(dir)
	}
	return nil, nil, err
}

// newBrowser returns a new tab of the shared Chromium, in a browser
// context of its own (its own storage and cookies, as another person's
// browser), closed when the test ends; chromedp.NewContext on it opens
// more tabs in the same browser context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	chromium.once.Do(func() { chromium.ctx, chromium.cancel, chromium.err = startBrowser(path) })
	if chromium.err != nil {
		t.Fatalf("starting %s: %v", path, chromium.err)
	}
	return newTab(t, chromium.ctx)
}

// newTab opens a tab in a new browser context of parent's browser.
func newTab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab, which lives as long as that run's
	// context: no timeout on it either.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return tab
}

// browse runs actions in tab within a deadline.
func browse(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		// What the page showed, for the failure's reader.
		dctx, dcancel := context.WithTimeout(tab, 5*time.Second)
		defer dcancel()
		text, _ := chromedp.Run(dctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v; the page shows:\n%s", what, err, text)
	}
}

// until polls a JavaScript condition in the page for up to 30 s.
func until(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(30*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))
}

// pageShows is the condition that the chat page's messages contain text.
func pageShows(text string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`document.getElementById("messages").innerText.includes(%q)`, text))
}

// screenshot saves the page as name in NETKIT_SCREENSHOTS, if set.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("NETKIT_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// serveProcess runs `netkit serve` with every listener on a free port and
// extra args, and returns its listeners' addresses by service.
func serveProcess(t *testing.T, bin string, extra ...string) map[string]string {
	t.Helper()
	logs := &testnet.Buffer{}
	args := append([]string{"serve", "--echo-addr", "127.0.0.1:0", "--chat-addr", "127.0.0.1:0", "--rpc-addr", "127.0.0.1:0",
		"--admin-addr", "127.0.0.1:0", "--web-addr", "127.0.0.1:0", "--log-format", "json"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	var addrs map[string]string
	if !testnet.Eventually(30*time.Second, func() bool { addrs = listenAddrs(logs.String()); return addrs["web"] != "" && addrs["chat"] != "" }) {
		t.Fatalf("netkit serve did not start; logs:\n%s", logs.String())
	}
	return addrs
}

// chatProcess is a `netkit chat` process: lines go to its stdin, and
// what it prints arrives on lines.
type chatProcess struct {
	in    io.WriteCloser
	lines chan string
}

func startChat(t *testing.T, bin, addr string, args ...string) *chatProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"chat", addr}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &chatProcess{in: in, lines: make(chan string, 1000)}
	go func() {
		defer close(p.lines)
		s := bufio.NewScanner(out)
		for s.Scan() {
			p.lines <- s.Text()
		}
	}()
	t.Cleanup(func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return p
}

// waitFor returns the first line printed containing text, within 30 s.
func (p *chatProcess) waitFor(t *testing.T, text string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("netkit chat ended before printing %q", text)
			}
			if strings.Contains(line, text) {
				return line
			}
		case <-deadline:
			t.Fatalf("netkit chat did not print %q within 30 s", text)
		}
	}
}

func (p *chatProcess) say(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		t.Fatal(err)
	}
}

// sayInPage types line into a chat page and sends it.
func sayInPage(line string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitEnabled(chromedp.CSS("#input")),
		chromedp.SetValue(chromedp.CSS("#input"), line),
		chromedp.Click(chromedp.CSS("#send")),
	)
}

// TestBrowserChat: two browser pages and a TCP `netkit chat` client in
// one room each see the other two's lines, and the pages list all three
// members.
func TestBrowserChat(t *testing.T) {
	bin := netkitBinary(t)
	browser := newBrowser(t)
	addrs := serveProcess(t, bin)
	web := "http://" + addrs["web"]

	tcp := startChat(t, bin, addrs["chat"], "--nick", "carol", "--room", "dev")
	tcp.waitFor(t, "carol joined dev")

	ann := browser
	bob := newBrowser(t) // another person's browser
	browse(t, ann, "open ann's page", chromedp.Navigate(web+"/?nick=ann&room=dev"), pageShows("ann joined dev"))
	browse(t, bob, "open bob's page", chromedp.Navigate(web+"/?nick=bob&room=dev"), pageShows("bob joined dev"))
	tcp.waitFor(t, "bob joined dev")

	browse(t, ann, "ann says hello", sayInPage("hello from ann"))
	browse(t, bob, "bob says hello", sayInPage("hello from bob"))
	tcp.say(t, "hello from carol")

	browse(t, ann, "ann sees the others", pageShows("bob: hello from bob"), pageShows("carol: hello from carol"))
	browse(t, bob, "bob sees the others", pageShows("ann: hello from ann"), pageShows("carol: hello from carol"))
	tcp.waitFor(t, "ann: hello from ann")
	tcp.waitFor(t, "bob: hello from bob")

	// The member list follows joins: all three, on both pages.
	members := `Array.from(document.querySelectorAll("#members li")).map(li => li.textContent).sort().join(",") === "ann,bob,carol"`
	browse(t, ann, "ann's member list", until(members))
	browse(t, bob, "bob's member list", until(members))
	screenshot(t, ann, "chat.png")
}

// TestBrowserHistory: the chat page shows the room's history after a
// reload, having kept its nick and room.
func TestBrowserHistory(t *testing.T) {
	bin := netkitBinary(t)
	browser := newBrowser(t)
	addrs := serveProcess(t, bin)
	web := "http://" + addrs["web"]

	browse(t, browser, "join through the form",
		chromedp.Navigate(web+"/"),
		chromedp.WaitVisible(chromedp.CSS("#nick")),
		chromedp.SetValue(chromedp.CSS("#nick"), "dora"),
		chromedp.SetValue(chromedp.CSS("#room"), "notes"),
		chromedp.Click(chromedp.CSS("#join")),
		pageShows("dora joined notes"),
		sayInPage("remember this line"),
		pageShows("dora: remember this line"),
	)
	browse(t, browser, "reload",
		chromedp.Reload(),
		// The page was emptied by the reload; the line is back from the
		// room's history, and the page rejoined the room as dora.
		pageShows("dora: remember this line"),
		until(`document.getElementById("room-name").textContent === "notes"`),
		until(`document.getElementById("status").textContent === "connected as dora"`),
	)

	// A line in another room, from a TCP client, before dora is there.
	tc, err := net.DialTimeout("tcp", addrs["chat"], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprint(tc, "/nick eve\n/join attic\nleft a note\n")
	br := bufio.NewReader(tc)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("the TCP client's line was not echoed: %v", err)
		}
		if strings.Contains(line, "eve: left a note") {
			break // in the room's history now
		}
	}
	browse(t, browser, "join by typing /join",
		sayInPage("/join attic"),
		until(`document.getElementById("room-name").textContent === "attic"`),
		pageShows("eve: left a note"),
	)
}

// TestBrowserDashboard: the dashboard's connection count rises while 100
// TCP connections are open and falls after they close.
func TestBrowserDashboard(t *testing.T) {
	bin := netkitBinary(t)
	browser := newBrowser(t)
	addrs := serveProcess(t, bin)
	web := "http://" + addrs["web"]

	count := func() int {
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#total-connections")))
		if err != nil {
			t.Fatalf("read the connection count: %v", err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("connection count %q: %v", s, err)
		}
		return n
	}
	browse(t, browser, "open the dashboard", chromedp.Navigate(web+"/dashboard"),
		until(`/^\d+$/.test(document.getElementById("total-connections").textContent)`),
		// The dashboard's own WebSocket is one of the connections.
		until(`document.querySelector("#svc-web-rpc .connections")?.textContent === "1"`))
	before := count()

	conns := make([]net.Conn, 0, 100)
	for range 100 {
		c, err := net.DialTimeout("tcp", addrs["echo"], 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	browse(t, browser, "the count rises by 100",
		until(fmt.Sprintf(`Number(document.getElementById("total-connections").textContent) >= %d`, before+100)),
		until(`document.querySelector("#svc-echo .connections").textContent === "100"`))

	// Traffic for the rates and charts, until the dashboard has drawn ten
	// more samples: echo lines on every connection, JSON-RPC calls, and a
	// chat room.
	samples := func() int {
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.samples`))
		if err != nil {
			t.Fatalf("read the samples drawn: %v", err)
		}
		v, _ := strconv.Atoi(n)
		return v
	}
	stop := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		rpc, err := jsonrpc.Dial(context.Background(), addrs["rpc"], nil)
		if err != nil {
			return
		}
		defer rpc.Close()
		chat, err := net.Dial("tcp", addrs["chat"])
		if err != nil {
			return
		}
		defer chat.Close()
		go io.Copy(io.Discard, chat)
		fmt.Fprint(chat, "/nick watcher\n/join ops\n")
		buf := make([]byte, 64)
		for i := 0; i < 10000; i++ { // bounded; the test stops it sooner
			select {
			case <-stop:
				return
			default:
			}
			for _, c := range conns {
				fmt.Fprintf(c, "line %d\n", i)
				c.Read(buf)
			}
			var sum int
			for range 20 {
				rpc.Call(context.Background(), "add", []int{i, 1}, &sum)
			}
			if i%50 == 0 { // within chat's flood limit
				fmt.Fprintf(chat, "status %d\n", i)
			}
		}
	}()
	first := samples()
	browse(t, browser, "ten samples with traffic",
		until(fmt.Sprintf(`Number(document.body.dataset.samples) >= %d`, first+10)))
	close(stop)
	<-loadDone
	screenshot(t, browser, "dashboard.png")
	for _, c := range conns {
		c.Close()
	}
	browse(t, browser, "the count falls back",
		until(fmt.Sprintf(`Number(document.getElementById("total-connections").textContent) <= %d`, before)),
		until(`document.querySelector("#svc-echo .connections").textContent === "0"`))
}

// TestBrowserAcrossNodes: with the NATS backplane, a browser on node 1
// and a TCP `netkit chat` client on node 2 share a room.
func TestBrowserAcrossNodes(t *testing.T) {
	bin := netkitBinary(t)
	browser := newBrowser(t)
	n1 := serveProcess(t, bin, "--nats-listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--node", "n1")
	n2 := serveProcess(t, bin, "--nats", "nats://"+n1["nats-server"], "--node", "n2")

	browse(t, browser, "open the page on node 1", chromedp.Navigate("http://"+n1["web"]+"/?nick=ann&room=ops"), pageShows("ann joined ops"))
	tcp := startChat(t, bin, n2["chat"], "--nick", "bob", "--room", "ops")
	tcp.waitFor(t, "bob joined ops")

	// Bob's line crosses the bus to node 1; he repeats it until the page
	// shows it, in case the room's subscription is still on its way.
	shown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(browser, 30*time.Second)
		defer cancel()
		shown <- chromedp.Do(ctx, pageShows("bob: hello from node 2"))
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-shown:
			if err != nil {
				t.Fatalf("node 1's page never showed node 2's line: %v", err)
			}
			break wait
		case <-tick.C:
			tcp.say(t, "hello from node 2")
		}
	}
	browse(t, browser, "ann answers", sayInPage("hello from node 1"))
	tcp.waitFor(t, "ann: hello from node 1")
	// Both are in the room's member list, counted across the nodes.
	browse(t, browser, "the member list spans the nodes",
		until(`Array.from(document.querySelectorAll("#members li")).map(li => li.textContent).sort().join(",") === "ann,bob"`))
}
