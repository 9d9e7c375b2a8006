package chat_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
	"github.com/netkit-dev/netkit/tcpserver"
	"github.com/netkit-dev/netkit/tlsconf"
)

// TestCertificateNick: over mutual TLS a client is named after its
// certificate, cannot change the name, and a second client with the same
// name is refused.
func TestCertificateNick(t *testing.T) {
	ca := testnet.NewCA(t)
	cert, key := ca.Server("server")
	conf, err := tlsconf.NewServer(tlsconf.ServerOptions{CertFile: cert, KeyFile: key, ClientCAFile: ca.CAFile})
	if err != nil {
		t.Fatal(err)
	}
	addr := testnet.Serve(t, &tcpserver.Server{Handler: chat.NewServer(chat.Config{}), TLSConfig: conf.Config(), IdleTimeout: -1})
	aliceCert, aliceKey := ca.Client("alice")
	pair, err := tls.LoadX509KeyPair(aliceCert, aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	dial := func() (*tls.Conn, *bufio.Reader) {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{pair}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return c, bufio.NewReader(c)
	}
	c, r := dial()
	io.WriteString(c, "/who\n")
	testnet.ReadUntil(t, r, "lobby (1): alice")
	io.WriteString(c, "/nick mallory\n")
	testnet.ReadUntil(t, r, "your nickname is your certificate's name, alice")
	io.WriteString(c, "hi\n")
	testnet.ReadUntil(t, r, "alice: hi")

	_, r2 := dial()
	if line := testnet.ReadUntil(t, r2, "in use"); !strings.Contains(line, "nickname alice (your certificate's) is in use") {
		t.Errorf("second alice: %q", line)
	}
}
