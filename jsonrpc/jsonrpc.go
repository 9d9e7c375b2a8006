// Package jsonrpc implements JSON-RPC 2.0 (https://www.jsonrpc.org/specification)
// over length-prefixed frames, HTTP and WebSocket: a server with typed
// handlers, and a pipelined client.
//
// A Server holds the registry (Handle, or Register for typed handlers) and
// is served four ways: TCPHandler on a tcpserver.Server (limits, timeouts,
// graceful Shutdown), ServeConn on any net.Conn, as an http.Handler for
// POST requests, and with WebSocketHandler:
//
//	rpc := &jsonrpc.Server{}
//	jsonrpc.Register(rpc, "add", add, jsonrpc.Inline())
//	tcp := &tcpserver.Server{Handler: rpc.TCPHandler()}
//	mux.Handle("POST /rpc", rpc)
//
// # Dialects
//
// The server speaks JSON-RPC 2.0: every request carries "jsonrpc": "2.0";
// failures are error objects with the codes of section 5.1; a request
// without an id is a notification, run and not answered; batches are
// arrays of requests.
//
// With Server.AcceptBare it also answers the bare dialect, on the same
// connection or endpoint: a request that is a bare {"id", "method",
// "params"} object, without the "jsonrpc" member, as simple Python
// servers speak it. The bare dialect answers every request with
// {"id": ID, "result": ...}: a failure is the result {"error": MESSAGE},
// an unknown method the result {"error": "Unknown method: NAME"}, and a
// missing id or method reads as 0 or "unknown". It has no notifications
// and no batches. Without AcceptBare, such a request is answered as
// JSON-RPC 2.0 answers an invalid one: a -32600 Invalid Request error.
//
// The client speaks either, chosen by ClientOptions.Dialect (V2 or Bare).
//
// # Inline methods
//
// A method registered with the Inline option answers at once from its
// params; on TCPHandler its calls then run on the connection's read loop,
// with no goroutine handoff, and the responses to the frames of one read
// leave in one write.
//
// Everything read from a peer is bounded: frame and body size, batch length,
// JSON nesting depth, calls in flight per connection and time per call.
package jsonrpc

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Error codes of the JSON-RPC 2.0 specification, section 5.1.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
)

// Implementation-defined codes, in the range the specification reserves for
// servers (-32000 to -32099).
const (
	// CodeServerError is the code of a handler's error that is not an
	// *Error.
	CodeServerError = -32000
	// CodeTimeout is the code of a call that did not finish within the
	// server's CallTimeout.
	CodeTimeout = -32001
	// CodeTooLarge is the code of a frame, body, batch or nesting depth
	// above the limits, or of a response that would exceed the frame size.
	CodeTooLarge = -32002
)

// Error is a JSON-RPC error object: what a handler returns to choose the
// code, and what the client returns for an error response.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// Error returns the code, the message and, when present, the data.
func (e *Error) Error() string {
	if len(e.Data) > 0 {
		return fmt.Sprintf("jsonrpc: error %d: %s (%s)", e.Code, e.Message, e.Data)
	}
	return fmt.Sprintf("jsonrpc: error %d: %s", e.Code, e.Message)
}

// NewError returns an *Error whose data member is data encoded as JSON
// (none when data is nil).
func NewError(code int, message string, data any) *Error {
	e := &Error{Code: code, Message: message}
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			e.Data = b
		}
	}
	return e
}

// Errors of the client and the connection server.
var (
	// ErrClosed is returned by calls on a client that was closed.
	ErrClosed = errors.New("jsonrpc: client closed")
	// ErrConnLost is returned by a call whose connection broke while it
	// was in flight; the server may or may not have run it.
	ErrConnLost = errors.New("jsonrpc: connection lost")
	// ErrBadResponse is returned when the peer sent something that is not
	// a JSON-RPC response.
	ErrBadResponse = errors.New("jsonrpc: malformed response")
)

// Dialect selects the wire shape of a client's requests.
type Dialect int

const (
	// V2 is JSON-RPC 2.0: "jsonrpc": "2.0" in every request, errors as
	// error objects.
	V2 Dialect = iota
	// Bare is the dialect without a version: {"id", "method", "params"}
	// with no jsonrpc member; every request is answered with a result, and
	// a result {"error": "..."} is how such a server reports failure (see
	// Server.AcceptBare).
	Bare
)

// String returns "2.0" or "bare".
func (d Dialect) String() string {
	switch d {
	case V2:
		return "2.0"
	case Bare:
		return "bare"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}
