package testnet

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Python returns the path of python3, skipping the test when there is
// none: the Python peers under bench/python are the other side of the interoperability
// tests, and the rest of the suite runs without it.
func Python(t testing.TB) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: skipping the interoperability test with the Python peer")
	}
	return py
}

// StartPython runs python3 with args (a server script and its arguments),
// waits up to 20 s for the first line of its standard output that names its
// port ("PORT 12345" or "12345"), and returns 127.0.0.1:PORT. The rest of
// its output is drained so that a chatty server never blocks on a full
// pipe; the process is killed when the test ends.
func StartPython(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(Python(t), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		defer close(ready)
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			port := strings.TrimSpace(strings.TrimPrefix(lines.Text(), "PORT "))
			if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
				ready <- port
				io.Copy(io.Discard, out)
				return
			}
		}
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			t.Fatalf("%v exited before printing its port", args)
		}
		return net.JoinHostPort("127.0.0.1", port)
	case <-time.After(20 * time.Second):
		t.Fatalf("%v did not print its port within 20 s", args)
	}
	return ""
}

// Python311 returns the path of python3 when it is CPython 3.11, whose
// urllib.parse the urlparse package follows, and skips the test
// otherwise: the golden tables cover CPython without it.
func Python311(t testing.TB) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the golden tables cover CPython without it")
	}
	out, err := exec.Command(py, "-c", "import sys; print(sys.version_info[:2] == (3, 11))").Output()
	if err != nil || strings.TrimSpace(string(out)) != "True" {
		t.Skip("python3 is not CPython 3.11, whose urllib.parse the urlparse package follows")
	}
	return py
}
