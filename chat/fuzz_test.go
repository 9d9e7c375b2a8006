package chat_test

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/tcpserver"
)

// FuzzSession sends arbitrary bytes, in two writes split at an arbitrary
// point, to a real server: the client reads the welcome first, then only
// lines of the protocol's shapes, then the end of the stream; the server
// keeps serving the next input.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"Hello!\nHow is everyone?\n",
		"/nick alice\n/join dev\n/who\n/rooms\n/me waves\n/help\n/quit bye\n",
		"/nick 1bad\n/join a/b\n/frob\n//slash\n",
		"no newline at the end",
		"\x00\xff\x1b[31m\r\n\n\n",
		strings.Repeat("x", 300) + "\n" + strings.Repeat("y", 5000) + "\n",
		strings.Repeat("/who\n", 40),
	} {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	addr, _, _ := start(f, chat.Config{MaxLine: 256}, &tcpserver.Server{MaxRequest: 1024})
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		cut := min(int(split), len(data))
		conn.Write(data[:cut])
		conn.Write(data[cut:])
		conn.(*net.TCPConn).CloseWrite()

		br := bufio.NewReader(conn)
		first := true
		for {
			s, err := br.ReadString('\n')
			if err == io.EOF && s == "" || err != nil && isReset(err) {
				break
			}
			if err != nil {
				t.Fatalf("read: %v after %q", err, s)
			}
			l := chat.ParseLine(s)
			if first && l.Kind != chat.KindWelcome || !first && (l.Kind == chat.KindWelcome || l.Kind == chat.KindOther) {
				t.Fatalf("unexpected line %q (%s)", s, l.Kind)
			}
			first = false
		}
		if first {
			t.Fatal("no welcome line")
		}
	})
}
