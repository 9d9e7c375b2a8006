package stream

import (
	"errors"
	"net"
)

// ErrNoHalfClose is returned by CloseWrite for connections that cannot shut
// down their sending side alone.
var ErrNoHalfClose = errors.New("stream: connection has no half-close")

// CloseWrite shuts down the sending side of c (a TCP FIN, like asyncio's
// write_eof) so the peer reads end of stream while c can still read the
// peer's reply. It works with *net.TCPConn, *net.UnixConn, *tls.Conn and
// any other conn with a CloseWrite method.
func CloseWrite(c net.Conn) error {
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		return &net.OpError{Op: "closewrite", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: ErrNoHalfClose}
	}
	return cw.CloseWrite()
}
