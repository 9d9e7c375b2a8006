package tcpserver

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// wait reads the first bytes of the next request. With a file descriptor it
// reads inside RawConn.Read, taking a buffer from the pool only for a read
// that returns data, so an idle connection holds no buffer; otherwise it
// reads with a buffer held while waiting.
func (c *Conn) wait() (int, error) {
	if c.rc == nil {
		n, err := c.rd.Fill(c.nc.Read)
		return max(n, 0), err
	}
	// RawRead resets the poller's readiness flag before calling f, so f
	// must try the read first; waiting first could miss an edge.
	if c.waitFn == nil {
		c.waitFn, c.fillFn = c.tryRead, c.readFd // one closure per connection, not per request
	}
	c.waitN, c.waitErr = 0, nil
	err := c.rc.Read(c.waitFn)
	n, rerr := c.waitN, c.waitErr
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, os.NewSyscallError("read", rerr)
	}
	return max(n, 0), nil
}

// tryRead is wait's RawConn.Read callback: one non-blocking read into the
// Reader's buffer (taken from the pool, and given back if nothing came); it
// reports false, to wait for readiness, on EAGAIN.
func (c *Conn) tryRead(fd uintptr) bool {
	c.ioFd = int(fd)
	for {
		c.waitN, c.waitErr = c.rd.Fill(c.fillFn)
		if c.waitErr != syscall.EINTR {
			return c.waitErr != syscall.EAGAIN
		}
	}
}

func (c *Conn) readFd(p []byte) (int, error) { return rawRead(c.ioFd, p) }

// writeRaw writes p through RawConn.Write, which waits for the socket to
// take more and applies the write deadline, with rawWrite for the system
// calls. Errors are those of net.Conn.Write.
func (c *Conn) writeRaw(p []byte) (int, error) {
	if c.writeFn == nil {
		c.writeFn = c.tryWrite
	}
	c.wbuf, c.wn, c.wErr = p, 0, nil
	err := c.rc.Write(c.writeFn)
	n, werr := c.wn, c.wErr
	c.wbuf = nil
	if err == nil && werr != nil {
		err = os.NewSyscallError("write", werr)
	}
	if err != nil {
		// RawConn says "raw-write"; callers see what net.Conn.Write says.
		var oe *net.OpError
		if errors.As(err, &oe) {
			err = oe.Err
		}
		err = &net.OpError{Op: "write", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
	}
	return n, err
}

// tryWrite is writeRaw's RawConn.Write callback: it writes until all of
// c.wbuf is written or the socket is full (false: wait until writable).
func (c *Conn) tryWrite(fd uintptr) bool {
	for c.wn < len(c.wbuf) {
		n, err := rawWrite(int(fd), c.wbuf[c.wn:])
		switch err {
		case nil:
			c.wn += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.wErr = err
			return true
		}
	}
	return true
}
