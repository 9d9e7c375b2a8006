// Package jsonrpc implements JSON-RPC 2.0 over length-prefixed frames and
// over HTTP: a server with typed handlers, and a pipelined client.
//
// One server speaks two dialects on the same connection. Requests carrying
// "jsonrpc": "2.0" follow the JSON-RPC 2.0 specification
// (https://www.jsonrpc.org/specification): error objects, notifications,
// batches. Requests without a jsonrpc member follow the async chapter's
// protocol: {"id": N, "result": ...} for every request, an unknown method
// answered {"id": N, "result": {"error": "Unknown method: NAME"}}, and a
// missing id or method read as 0 or "unknown", as the chapter's server reads
// them with dict.get.
//
// A Server holds the registry (Handle, or Register for typed handlers) and
// is served three ways: TCPHandler on a tcpserver.Server (limits, timeouts,
// graceful Shutdown), ServeConn on any net.Conn, and as an http.Handler for
// POST /rpc. RegisterChapterMethods adds the chapter's add, greet and echo:
//
//	rpc := &jsonrpc.Server{}
//	jsonrpc.RegisterChapterMethods(rpc)
//	tcp := &tcpserver.Server{Handler: rpc.TCPHandler()} // serve on 127.0.0.1:7003
//	mux.Handle("POST /rpc", rpc)                        // on the admin listener
//
// A method registered with the Inline option answers at once from its
// params; on TCPHandler its calls then run on the connection's read loop,
// with no goroutine handoff, and the responses to the frames of one read
// leave in one write. The chapter's methods are Inline.
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
	// CodeServerError: a handler returned an error that is not an *Error.
	CodeServerError = -32000
	// CodeTimeout: the call did not finish within the server's CallTimeout.
	CodeTimeout = -32001
	// CodeTooLarge: a frame, body, batch or nesting depth above the limits,
	// or a response that would exceed the frame size.
	CodeTooLarge = -32002
)

// Error is a JSON-RPC error object: what a handler returns to choose the
// code, and what the client returns for an error response.
type Error struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

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
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("jsonrpc: client closed")
	// ErrConnLost: the connection broke while the call was in flight; the
	// server may or may not have run it.
	ErrConnLost = errors.New("jsonrpc: connection lost")
	// ErrBadResponse: the peer sent something that is not a JSON-RPC
	// response.
	ErrBadResponse = errors.New("jsonrpc: malformed response")
)

// Dialect selects the wire shape of a client's requests.
type Dialect int

const (
	// V2 is JSON-RPC 2.0: "jsonrpc": "2.0" in every request, errors as
	// error objects.
	V2 Dialect = iota
	// Chapter is the async chapter's protocol: {"id", "method", "params"}
	// with no jsonrpc member; every request is answered with a result, and
	// a result {"error": "..."} is how the chapter's server reports failure.
	Chapter
)

func (d Dialect) String() string {
	switch d {
	case V2:
		return "2.0"
	case Chapter:
		return "chapter"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}
