package chat

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/stream"
)

// ErrNewline is returned by Client.Send for text with a newline, which one
// protocol line cannot carry.
var ErrNewline = errors.New("chat: text contains a newline")

// Client is a connection to a chat server: ReadLine in one goroutine and Send in another may run at
// the same time.
type Client struct {
	conn net.Conn
	r    *stream.Reader
	wmu  sync.Mutex
}

// Dial connects to the chat server at addr.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient returns a client on an established connection. Lines it reads
// are at most stream.DefaultMax (64 KiB).
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, r: stream.NewReader(conn, 0)}
}

// ReadLine returns the next line from the server without its newline. At
// the end of the stream it returns io.EOF (a last line without a newline is
// returned first). Close interrupts it.
func (c *Client) ReadLine() (string, error) {
	line, err := c.r.ReadLine()
	if err != nil {
		var ie *stream.IncompleteError
		if errors.As(err, &ie) {
			return string(ie.Partial), nil
		}
		return "", err
	}
	return strings.TrimSuffix(string(line[:len(line)-1]), "\r"), nil
}

// Send sends text as one line: a message, or a command such as "/nick
// alice". ctx bounds the write.
func (c *Client) Send(ctx context.Context, text string) error {
	if strings.ContainsAny(text, "\n") {
		return ErrNewline
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	dl, _ := ctx.Deadline()
	c.conn.SetWriteDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.conn.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	_, err := c.conn.Write([]byte(text + "\n"))
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// CloseWrite tells the server that nothing more will be sent (TCP FIN);
// the server ends the session and closes the connection.
func (c *Client) CloseWrite() error { return stream.CloseWrite(c.conn) }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// LocalAddr returns the client's address, the name the server knows it by
// until it takes a nickname.
func (c *Client) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the server's address.
func (c *Client) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }
