package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/internal/testnet"
)

// netkitBinary builds cmd/netkit into the test's temporary directory and
// returns its path.
func netkitBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "netkit")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/netkit-dev/netkit/cmd/netkit").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// httpGetQuiet is httpGet for polling: a failed request is status 0.
func httpGetQuiet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeNATSFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"--nats", "nats://127.0.0.1:4222"}, true},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-cluster-listen", "127.0.0.1:0", "--nats-routes", "nats://127.0.0.1:1"}, true},
		{[]string{"--nats", "nats://x:1", "--nats-listen", "127.0.0.1:0"}, false},
		{[]string{"--nats-cluster-listen", "127.0.0.1:0"}, false},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-routes", "nats://127.0.0.1:1"}, false},
	}
	for _, tt := range tests {
		var got *serveOptions
		cmd := newServeCmd(&IOStreams{}, func(_ context.Context, o *serveOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if (err == nil) != tt.ok {
			t.Errorf("serve %q: error %v, want ok=%v", tt.args, err, tt.ok)
		}
		if !tt.ok && !errors.Is(err, errNATSFlags) {
			t.Errorf("serve %q: error %v does not wrap errNATSFlags", tt.args, err)
		}
		if tt.ok && got == nil {
			t.Errorf("serve %q: run was not called", tt.args)
		}
	}
}

// TestServeEmbeddedCluster runs three `netkit serve` processes whose
// embedded NATS servers form one cluster, and checks that a chat line sent
// on node 1 reaches a client of node 3.
func TestServeEmbeddedCluster(t *testing.T) {
	bin := netkitBinary(t)
	// Every node lists the whole cluster's routes before it starts, so the
	// cluster ports are chosen first.
	var cluster, routes []string
	for range 3 {
		a := testnet.RefusedAddr(t)
		cluster = append(cluster, a)
		routes = append(routes, "nats://"+a)
	}
	type node struct {
		cmd  *exec.Cmd
		logs *testnet.Buffer
	}
	nodes := make([]node, 3)
	for i := range nodes {
		logs := &testnet.Buffer{}
		cmd := exec.Command(bin, "serve", "--echo-addr", "off", "--rpc-addr", "off",
			"--chat-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--web-addr", "off", "--log-format", "json",
			"--nats-listen", "127.0.0.1:0", "--nats-cluster-listen", cluster[i], "--nats-routes", strings.Join(routes, ","),
			"--data-dir", t.TempDir(), "--node", fmt.Sprintf("n%d", i+1),
			// The last node standing has no JetStream quorum, so its
			// clean-up waits out its request timeouts; under the race
			// detector on two cores that can pass the default 10 s.
			"--grace", "30s")
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		nodes[i] = node{cmd, logs}
	}
	addrs := make([]map[string]string, 3)
	for i, n := range nodes {
		if !testnet.Eventually(20*time.Second, func() bool { addrs[i] = listenAddrs(n.logs.String()); return addrs[i]["chat"] != "" }) {
			t.Fatalf("node %d did not start; logs:\n%s", i+1, n.logs.String())
		}
	}
	for i := range nodes {
		if !testnet.Eventually(20*time.Second, func() bool { code, _ := httpGetQuiet("http://" + addrs[i]["admin"] + "/readyz"); return code == 200 }) {
			t.Errorf("node %d never became ready; logs:\n%s", i+1, nodes[i].logs.String())
		}
	}
	c1 := testnet.Dial(t, addrs[0]["chat"])
	c3 := testnet.Dial(t, addrs[2]["chat"])
	c3.SetReadDeadline(time.Now().Add(90 * time.Second))
	r3 := bufio.NewReader(c3)
	if line, err := r3.ReadString('\n'); err != nil || !strings.HasPrefix(line, "Welcome!") {
		t.Fatalf("node 3 welcome = %q, %v", line, err)
	}
	// Interest in the room crosses the routes asynchronously: node 1's
	// client repeats its line until node 3's client reads one.
	got := make(chan string, 1)
	go func() {
		for {
			line, err := r3.ReadString('\n')
			if err != nil {
				close(got)
				return
			}
			if strings.Contains(line, "hello from node 1") {
				got <- line
				return
			}
		}
	}()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case line, ok := <-got:
			if !ok {
				t.Fatal("node 3's client lost its connection")
			}
			t.Logf("node 3 read %q", strings.TrimSpace(line))
			break wait
		case <-tick.C:
			fmt.Fprint(c1, "hello from node 1\n")
		case <-deadline:
			t.Fatalf("no line crossed from node 1 to node 3; logs of node 1:\n%s", nodes[0].logs.String())
		}
	}
	// Names are unique across the cluster, and /who counts every node.
	r1 := bufio.NewReader(c1)
	c1.SetReadDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprint(c1, "/nick alice\n")
	testnet.ReadUntil(t, r1, "is now known as alice")
	fmt.Fprint(c3, "/nick ALICE\n")
	testnet.ReadUntil(t, r3, "! nickname ALICE is taken")
	fmt.Fprint(c3, "/nick bob\n")
	testnet.ReadUntil(t, r3, "is now known as bob")
	var who string
	if !testnet.EventuallyEvery(10*time.Second, 200*time.Millisecond, func() bool {
		fmt.Fprint(c3, "/who\n")
		who = testnet.ReadUntil(t, r3, "lobby (")
		return strings.HasSuffix(who, "lobby (2): alice, bob; by node: n3 1, n1 1")
	}) {
		t.Errorf("/who on node 3 = %q, want alice and bob", who)
	}

	// Node 1 dies without a word: the clients of nodes 2 and 3 keep
	// chatting and lose no line, and alice's name is free again within
	// the directory's 30 s.
	c2 := testnet.Dial(t, addrs[1]["chat"])
	c2.SetReadDeadline(time.Now().Add(90 * time.Second))
	r2 := bufio.NewReader(c2)
	testnet.ReadUntil(t, r2, "Welcome!")
	// Node 3 publishes until node 2 has joined the room on the bus.
	if !testnet.EventuallyEvery(20*time.Second, 200*time.Millisecond, func() bool {
		fmt.Fprint(c3, "/who\n")
		return strings.Contains(testnet.ReadUntil(t, r3, "lobby ("), "lobby (3)")
	}) {
		t.Fatal("node 2's client never showed in /who")
	}
	nodes[0].cmd.Process.Kill()
	nodes[0].cmd.Wait()
	killed := time.Now()
	// Fewer lines than chat's flood burst (20), which would drop the rest.
	const afterKill = 15
	for i := range afterKill {
		fmt.Fprintf(c3, "after the kill %d\n", i)
	}
	for i := range afterKill {
		testnet.ReadUntil(t, r2, fmt.Sprintf("bob: after the kill %d", i))
	}
	if !testnet.EventuallyEvery(45*time.Second, 500*time.Millisecond, func() bool {
		fmt.Fprint(c3, "/nick alice\n")
		line := testnet.ReadUntil(t, r3, "alice")
		return strings.Contains(line, "is now known as alice")
	}) {
		t.Fatal("node 1's nickname was never freed")
	}
	t.Logf("the killed node's nickname was free again after %v", time.Since(killed).Round(time.Second))
	nodes = nodes[1:]

	for i, n := range nodes {
		n.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- n.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("node %d after SIGTERM: %v; logs:\n%s", i+1, err, n.logs.String())
			}
		case <-time.After(40 * time.Second):
			t.Errorf("node %d did not exit after SIGTERM", i+1)
		}
	}
}
