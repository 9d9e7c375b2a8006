package echo_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netkit-dev/netkit/echo"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serve(t *testing.T, srv *tcpserver.Server) string {
	t.Helper()
	if srv.Handler == nil {
		srv.Handler = echo.Handler{}
	}
	return testnet.Serve(t, srv)
}

func TestStrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello\n", "hello"},
		{"  spaced out \t\r\n", "spaced out"},
		{"\x1c\x1fsep\x1e", "sep"},
		{"\u00a0nbsp\u3000", "nbsp"},
		{"\u200bzero width\u200b", "\u200bzero width\u200b"}, // not whitespace in Python
		{"\xffbad\xfe \n", "\xffbad\xfe"},
		{"inner  space", "inner  space"},
		{"", ""},
		{" \n", ""},
	}
	for _, tt := range tests {
		if got := string(echo.Strip([]byte(tt.in))); got != tt.want {
			t.Errorf("Strip(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPipelinedOneWrite(t *testing.T) {
	srv := &tcpserver.Server{}
	addr := serve(t, srv)
	c := testnet.Dial(t, addr)
	io.WriteString(c, "a\n b \nc\n")
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if want := "ECHO: a\nECHO: b\nECHO: c\n"; string(got) != want || err != nil {
		t.Errorf("replies = %q, %v; want %q", got, err, want)
	}
	if st := srv.Stats(); st.Requests != 1 {
		// The three lines arrived in one segment: one request cycle, one write.
		t.Logf("requests = %d (lines arrived in several reads)", st.Requests)
	}
}

func TestLastLineWithoutNewline(t *testing.T) {
	addr := serve(t, &tcpserver.Server{})
	c := testnet.Dial(t, addr)
	io.WriteString(c, "x\ntail")
	c.(*net.TCPConn).CloseWrite()
	got, _ := io.ReadAll(c)
	if want := "ECHO: x\nECHO: tail\n"; string(got) != want {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

func TestTooLong(t *testing.T) {
	addr := serve(t, &tcpserver.Server{MaxRequest: 16})
	c := testnet.Dial(t, addr)
	io.WriteString(c, "short\n"+strings.Repeat("y", 40)+"\n")
	got, _ := io.ReadAll(c)
	if want := "ECHO: short\nERR line too long\n"; string(got) != want {
		t.Errorf("replies = %q, want %q", got, want)
	}
}

func TestClient(t *testing.T) {
	addr := serve(t, &tcpserver.Server{})
	ctx := context.Background()
	cl, err := echo.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, msg := range []string{"Hello async!", "  padded  ", "ünïcödé", ""} {
		got, err := cl.Echo(ctx, msg)
		if want := "ECHO: " + strings.TrimSpace(msg); got != want || err != nil {
			t.Errorf("Echo(%q) = %q, %v; want %q", msg, got, err, want)
		}
	}
	if _, err := cl.Echo(ctx, "two\nlines"); !errors.Is(err, echo.ErrNewline) {
		t.Errorf("Echo with a newline = %v, want ErrNewline", err)
	}
}

func TestClientTimeout(t *testing.T) {
	// A server that accepts and never answers.
	ln := testnet.Listen(t)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	cl, err := echo.Dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := cl.Echo(ctx, "anyone?"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Echo to a silent server = %v, want DeadlineExceeded", err)
	}
}

func TestManyClients(t *testing.T) {
	addr := serve(t, &tcpserver.Server{})
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for j := 0; j < 20; j++ {
				io.WriteString(c, "ping\n")
				if got, err := br.ReadString('\n'); got != "ECHO: ping\n" || err != nil {
					errs <- errors.New("bad reply " + got)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < 50; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
