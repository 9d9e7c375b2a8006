package jsonrpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/netkit-dev/netkit/frame"
)

// ServeHTTP serves JSON-RPC over HTTP: a POST whose body is a request or a
// batch, answered 200 with the response as application/json, or 204 No
// Content when there is nothing to answer (notifications). Bodies above
// MaxFrameSize get 413 with a CodeTooLarge error; other methods get 405.
// Calls run with the request's context, so they stop when the client goes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "JSON-RPC takes POST requests", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.maxFrame())))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge,
				errorResponse(nil, NewError(CodeTooLarge, "Request too large", "body above "+strconv.Itoa(s.maxFrame())+" bytes")))
			return
		}
		http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	resp := s.HandleMessage(r.Context(), body)
	if resp == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}

var _ http.Handler = (*Server)(nil)

// HTTPClient calls a JSON-RPC server over HTTP (POST URL). The zero value
// needs only URL.
type HTTPClient struct {
	// URL is the endpoint, such as http://127.0.0.1:9090/rpc.
	URL string

	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client

	// MaxResponseSize bounds a response body. 0 means
	// frame.DefaultMaxSize (4 MiB).
	MaxResponseSize int

	// CallTimeout bounds a call whose context has no earlier deadline.
	// 0 means DefaultClientCallTimeout (30s); negative means no limit.
	CallTimeout time.Duration

	mu     sync.Mutex
	nextID uint64
}

// Call posts a JSON-RPC 2.0 request for method with params and decodes the
// result into result (unless nil). An error response is returned as an
// *Error.
func (c *HTTPClient) Call(ctx context.Context, method string, params, result any) error {
	if t := durDefault(c.CallTimeout, DefaultClientCallTimeout); t > 0 {
		if dl, ok := ctx.Deadline(); !ok || time.Until(dl) > t {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t)
			defer cancel()
		}
	}
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.mu.Unlock()
	body, err := encodeRequest(nil, V2, method, params, id, true)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("jsonrpc: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("jsonrpc: %w", err)
	}
	defer resp.Body.Close()
	max := c.MaxResponseSize
	if max <= 0 {
		max = frame.DefaultMaxSize
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return fmt.Errorf("jsonrpc: reading response: %w", err)
	}
	if len(data) > max {
		return fmt.Errorf("jsonrpc: response body above %d bytes: %w", max, frame.ErrTooLarge)
	}
	var r wireResponse
	if firstByte(data) != '{' || json.Unmarshal(data, &r) != nil {
		return fmt.Errorf("%w: HTTP %s, %d bytes of %s", ErrBadResponse, resp.Status, len(data), resp.Header.Get("Content-Type"))
	}
	if r.Error != nil {
		return r.Error
	}
	if r.Result == nil {
		return fmt.Errorf("%w: neither result nor error", ErrBadResponse)
	}
	return decodeResult(response{result: r.Result}, V2, result)
}
