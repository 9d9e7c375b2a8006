package jsonrpc

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// WebSocketOptions configures WebSocketHandler.
type WebSocketOptions struct {
	// OriginPatterns lists the host patterns of other origins whose pages
	// may open the WebSocket (coder/websocket's AcceptOptions); a page of
	// the server's own origin always may, and any other gets 403.
	OriginPatterns []string

	// KeepAlive, if set, runs for the life of each connection in a
	// goroutine of its own, beside the connection's reading: it may ping
	// the client (the pong is read by that reading) and close c when the
	// client has gone. Its context ends when the connection does, and the
	// handler returns only after KeepAlive has. Nil sends no pings.
	KeepAlive func(ctx context.Context, c *websocket.Conn)

	// Closed, if set, is called as each connection ends, with the cause:
	// the first failed write (one wrapping context.DeadlineExceeded when
	// the client read too slowly), else the error that ended the reading
	// (one wrapping websocket.ErrMessageTooBig for a message over
	// MaxFrameSize), or nil when the server ended it for a binary message.
	// It lets the caller count closes by cause.
	Closed func(cause error)
}

// WebSocketHandler returns a handler that upgrades a request to a WebSocket
// and serves JSON-RPC on it: each text message is one request or batch, as
// a frame is on TCP, and each response is one text message. Calls on one
// connection run one after another, in order. A message over MaxFrameSize
// closes the connection with status 1009, and a binary message with 1003.
// The connection carries subscriptions (HandleSubscription): their
// notifications are text messages too, and they end with the connection.
// The connection ends when the request's context does: serve the handler
// with an http.Server whose BaseContext is cancelled at shutdown to close
// such connections, which http.Server.Shutdown does not track.
//
// The connection is read while a call runs, so that a pong arrives however
// long the call takes; one message read ahead waits for the call, and the
// reading waits for that one, which bounds what a client can queue.
func (s *Server) WebSocketHandler(opts WebSocketOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: opts.OriginPatterns})
		if err != nil {
			return // Accept has answered the request
		}
		defer c.CloseNow()
		c.SetReadLimit(int64(s.maxFrame()))
		writeTimeout := durDefault(s.WriteTimeout, DefaultWriteTimeout)
		var (
			writeMu  sync.Mutex
			writeErr error // the first failed write, the connection's end
		)
		p := newPeer(r.Context(), func(ctx context.Context, msg []byte) error {
			if writeTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, writeTimeout)
				defer cancel()
			}
			err := c.Write(ctx, websocket.MessageText, msg)
			if err != nil {
				writeMu.Lock()
				if writeErr == nil {
					writeErr = err
				}
				writeMu.Unlock()
			}
			return err
		})
		ctx := withPeer(r.Context(), p)

		// The connection's helpers end before the handler returns: the
		// deferred calls run last to first, so the connection is closed
		// (ending the reader and KeepAlive), then they are waited for, then
		// the subscriptions end.
		defer p.close()
		var helpers sync.WaitGroup
		defer helpers.Wait()
		connCtx, endConn := context.WithCancel(r.Context())
		defer endConn()
		defer c.CloseNow()
		if opts.KeepAlive != nil {
			helpers.Add(1)
			go func() {
				defer helpers.Done()
				opts.KeepAlive(connCtx, c)
			}()
		}
		type message struct {
			typ websocket.MessageType
			msg []byte
			err error
		}
		msgs := make(chan message)
		helpers.Add(1)
		go func() {
			defer helpers.Done()
			for {
				typ, msg, err := c.Read(connCtx)
				select {
				case msgs <- message{typ, msg, err}:
				case <-connCtx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}()

		var cause error
		if opts.Closed != nil {
			defer func() {
				writeMu.Lock()
				if writeErr != nil {
					cause = writeErr
				}
				writeMu.Unlock()
				opts.Closed(cause)
			}()
		}
		lim := s.callLimiter()
		for {
			var m message
			select {
			case m = <-msgs:
			case <-connCtx.Done():
				c.Close(websocket.StatusGoingAway, "server shutting down")
				cause = connCtx.Err()
				return
			}
			if m.err != nil {
				cause = m.err
				if r.Context().Err() != nil {
					c.Close(websocket.StatusGoingAway, "server shutting down")
				}
				return
			}
			if m.typ != websocket.MessageText {
				c.Close(websocket.StatusUnsupportedData, "text messages only")
				return
			}
			resp := s.HandleMessage(limited(ctx, lim), m.msg)
			if resp == nil {
				continue // notifications are not answered
			}
			if err := p.send(ctx, resp); err != nil {
				if s.Logger != nil {
					s.Logger.Debug("jsonrpc: websocket write failed", "remote", r.RemoteAddr, "err", err)
				}
				return
			}
		}
	})
}
