// Package tcpserver is the TCP server core that netkit's services (echo,
// chat, JSON-RPC) run on: an accept loop with a connection limit, idle, read
// and write timeouts, TCP keep-alive, per-connection panic recovery, stats,
// and a graceful Shutdown with net/http's contract plus cancelled handler
// contexts.
//
// # Handlers and the request cycle
//
// A Handler serves one connection in its own goroutine. It reads through
// c.Reader() (a bounded stream.Reader) and writes with c.Write. To let the
// server tell an idle connection from a busy one, a handler that serves
// requests calls c.Next before each request:
//
//	func serveLines(ctx context.Context, c *tcpserver.Conn) error {
//		r := c.Reader()
//		for c.Next() { // idle until the first byte of a request arrives
//			line, err := r.ReadLine() // busy: read and answer one request
//			if err != nil {
//				return err
//			}
//			if _, err := c.Write(line); err != nil {
//				return err
//			}
//		}
//		return c.Err() // nil after end of stream or shutdown
//	}
//
// Next marks the connection idle, gives the read buffer back to a pool, and
// waits (at most IdleTimeout) for data; it returns true, marking the
// connection busy, as soon as a byte is read or already buffered (pipelined
// requests), and false on end of stream, timeout, error, or shutdown. While
// busy, reads are bounded by ReadTimeout from the first byte of the request
// and by the Reader's maximum (MaxRequest); each Write by WriteTimeout.
// One sweeper goroutine per server enforces the three timeouts (checking
// every eighth of the shortest, 10 ms to 1 s) instead of per-request
// deadlines, so the request path makes no timer calls.
//
// Protocols plug in through the Reader: lines (ReadLine), separators
// (ReadUntil), length-prefixed frames (ReadExactly of the header, then of the
// payload). A service with its own writer goroutine (chat fan-out) may call
// c.Write from it concurrently with the handler's reads; the handler must
// stop that goroutine before it returns. A handler that never calls Next is
// busy for its whole life: Shutdown waits for it until its context's
// deadline, so it should watch ctx.
//
// A handler whose requests can be answered from the bytes at hand without
// blocking (echo's lines) may also implement BytesHandler. The server then
// runs the request cycle itself, in one loop around the socket that makes
// one read and one write per batch of requests and no read that only
// finds nothing, and hands the connection to ServeConn for anything
// ServeBytes cannot answer. The states, timeouts and Shutdown are the same.
//
// # Shutdown
//
// Shutdown(ctx) closes the listeners at once, cancels the context passed to
// handlers, closes idle connections (those waiting in Next), lets busy ones
// finish the request they already read (Next then returns false), and waits
// for every handler to return; at ctx's deadline it closes the remaining
// connections and returns ctx.Err(). Close closes everything at once. When
// the server closes a connection that the client has not closed, it sends
// FIN first and reads briefly (Linger) until the client's FIN, so that a
// client that had a request in flight reads a clean end of stream rather
// than a reset. Connections still in the kernel's accept queue when the
// listener closes are reset by the kernel, as with any server.
//
// # Memory per connection
//
// An idle connection waiting in Next holds no read buffer (buffers come
// from a pool when data arrives) but does hold its goroutine, whose stack
// is 2 to 8 KiB once it has served requests. With ParkIdle set, a stateless
// handler's idle connections wait in an epoll set of the server's own
// instead, with no goroutine at all: 1.4 to 2 KiB of resident memory each
// on Linux (see docs/BENCHMARKS.md).
//
// # Limits
//
// A connection beyond MaxConns is accepted and closed at once, before any
// goroutine or buffer is created for it: the client reads end of stream (or
// a reset if it had already sent data), and Stats().Rejected counts it.
package tcpserver
