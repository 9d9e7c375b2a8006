package echo

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"time"

	"github.com/netkit-dev/netkit/stream"
)

// ErrNewline is returned by Client.Echo for a message with a newline, which
// the line protocol cannot carry.
var ErrNewline = errors.New("echo: message contains a newline")

// Client is a connection to an echo server. It is not safe for concurrent use.
type Client struct {
	conn net.Conn
	r    *stream.Reader
}

// Dial connects to the echo server at addr.
func Dial(ctx context.Context, addr string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return NewClient(conn), nil
}

// NewClient returns a client on an established connection.
func NewClient(conn net.Conn) *Client {
	return &Client{conn: conn, r: stream.NewReader(conn, 0)}
}

// Echo sends msg as one line and returns the server's reply without its
// newline ("ECHO: msg"). ctx bounds the exchange.
func (c *Client) Echo(ctx context.Context, msg string) (string, error) {
	if strings.ContainsAny(msg, "\n") {
		return "", ErrNewline
	}
	dl, _ := ctx.Deadline()
	c.conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := c.conn.Write([]byte(msg + "\n")); err != nil {
		return "", c.ctxErr(ctx, err)
	}
	line, err := c.r.ReadLine()
	if err != nil {
		return "", c.ctxErr(ctx, err)
	}
	return strings.TrimSuffix(string(line), "\n"), nil
}

// ctxErr prefers the context's error when the context ended the exchange.
func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The connection's deadline, copied from ctx's, may fire a moment
	// before ctx's own timer does.
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return err
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Addr returns the server's address.
func (c *Client) Addr() net.Addr { return c.conn.RemoteAddr() }
