package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"time"

	"github.com/coder/websocket"

	"github.com/netkit-dev/netkit/chat"
)

// wsConn is the chat service's end of a WebSocket connection: a net.Conn
// with deadlines (net.Pipe's), whose other end two pumps connect to the
// WebSocket, a text message for each line. net.Pipe is unbuffered, so a
// browser that stops reading stops the chat writer, whose send queue then
// drops it as a slow consumer, as it drops a TCP client.
type wsConn struct {
	net.Conn
	remote, local net.Addr
	peer          string // the verified client certificate's name, over mutual TLS
}

// PeerName returns the browser's verified client certificate's common
// name, or "": chat names a client after it (see chat's certNick).
func (c *wsConn) PeerName() string { return c.peer }

func (c *wsConn) RemoteAddr() net.Addr { return c.remote }
func (c *wsConn) LocalAddr() net.Addr  { return c.local }

// addr is a net.Addr for the HTTP request's addresses.
type addr struct{ network, s string }

func (a addr) Network() string { return a.network }
func (a addr) String() string  { return a.s }

// maxServiceLine bounds a line from the chat service to a browser: far
// over its longest (a line of chat.DefaultMaxLine bytes whose every byte
// was invalid UTF-8 and became U+FFFD, or a long /rooms), and within its
// send queue.
const maxServiceLine = 1 << 20

// pipe connects ws to a new net.Conn for the chat service and starts the
// pumps; done is closed once both have stopped and ws is closed. drop
// counts a close of the pumps' own: a message over the read limit, or a
// write that timed out.
func pipe(ws *websocket.Conn, remote, local string, writeTimeout time.Duration, jsonMode bool, drop func(reason string)) (conn net.Conn, done <-chan struct{}) {
	svc, gw := net.Pipe()
	ch := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var ev *events
	if jsonMode {
		ev = &events{room: chat.DefaultRoom}
	}
	go func() {
		// Browser to service: each message is a line.
		defer gw.Close()
		defer cancel()
		for {
			typ, msg, err := ws.Read(ctx)
			if err != nil {
				if errors.Is(err, websocket.ErrMessageTooBig) {
					drop(droppedTooBig) // the library has closed it with 1009
				}
				return
			}
			if typ != websocket.MessageText {
				ws.Close(websocket.StatusUnsupportedData, "text messages only: one line each")
				return
			}
			if ev != nil {
				line, errText := ev.fromClient(msg)
				if errText != "" {
					wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
					if err := ws.Write(wctx, websocket.MessageText, errorEvent(errText)); errors.Is(err, context.DeadlineExceeded) {
						drop(droppedWriteTimeout) // the library has closed it
					}
					wcancel()
					continue
				}
				msg = line
			}
			// A newline inside a message would split it into lines the
			// sender did not mean; it is one line, as in the TCP protocol
			// up to its first newline.
			if i := bytes.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			if _, err := gw.Write(append(msg, '\n')); err != nil {
				return
			}
		}
	}()
	go func() {
		// Service to browser: each line is a message, however long: a
		// line cut in two would reach the browser as two, and a cut inside
		// a character makes an invalid text frame, on which a browser must
		// fail the connection.
		defer close(ch)
		r := bufio.NewReaderSize(gw, 4096)
		var long []byte // a line longer than r's buffer, gathered
		for {
			line, err := r.ReadSlice('\n')
			if errors.Is(err, bufio.ErrBufferFull) {
				if len(long)+len(line) > maxServiceLine {
					// No line of the service's is this long.
					ws.Close(websocket.StatusInternalError, "line too long")
					gw.Close()
					return
				}
				long = append(long, line...)
				continue
			}
			if len(long) > 0 {
				line, long = append(long, line...), long[:0]
			}
			if len(line) > 0 {
				out := bytes.TrimSuffix(line, []byte{'\n'})
				if ev != nil {
					out = ev.toClient(out)
				}
				wctx, wcancel := context.WithTimeout(ctx, writeTimeout)
				werr := ws.Write(wctx, websocket.MessageText, out)
				wcancel()
				if werr != nil {
					if errors.Is(werr, context.DeadlineExceeded) {
						drop(droppedWriteTimeout)
					}
					gw.Close()
					ws.CloseNow()
					return
				}
			}
			if err != nil {
				ws.Close(websocket.StatusNormalClosure, "")
				return
			}
		}
	}()
	return &wsConn{Conn: svc, remote: addr{"websocket", remote}, local: addr{"websocket", local}}, ch
}
