package jsonrpc

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
)

// WebSocketOptions configures WebSocketHandler.
type WebSocketOptions struct {
	// OriginPatterns lists the host patterns of other origins whose pages
	// may open the WebSocket (coder/websocket's AcceptOptions); a page of
	// the server's own origin always may, and any other gets 403.
	OriginPatterns []string
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
func (s *Server) WebSocketHandler(opts WebSocketOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: opts.OriginPatterns})
		if err != nil {
			return // Accept has answered the request
		}
		defer c.CloseNow()
		c.SetReadLimit(int64(s.maxFrame()))
		writeTimeout := durDefault(s.WriteTimeout, DefaultWriteTimeout)
		p := newPeer(r.Context(), func(ctx context.Context, msg []byte) error {
			if writeTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, writeTimeout)
				defer cancel()
			}
			return c.Write(ctx, websocket.MessageText, msg)
		})
		defer p.close()
		ctx := withPeer(r.Context(), p)
		lim := s.callLimiter()
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				if r.Context().Err() != nil {
					c.Close(websocket.StatusGoingAway, "server shutting down")
				}
				return
			}
			if typ != websocket.MessageText {
				c.Close(websocket.StatusUnsupportedData, "text messages only")
				return
			}
			resp := s.HandleMessage(limited(ctx, lim), msg)
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
