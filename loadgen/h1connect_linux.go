package loadgen

import (
	"errors"
	"net"
	"syscall"
)

// The event loop's reconnects. A connection that the server closes (with
// "Connection: close", on an error, or when it ends an idle one) is
// opened again by the loop, and a blocking dial there would stall every
// other connection of the loop for the dial's time: a round trip on a
// network, a second or more for a lost SYN. The loop connects without
// blocking instead, as wrk does: connect returns EINPROGRESS, and the
// socket's first writability says how it went.

// connectAddr returns the socket address the loop connects to, learned
// from the run's first connection (the set-up dials resolve the origin
// with Go's resolver, and every later connection goes where they went),
// or nil before one has opened. Each loop has its own: connect writes
// into a socket address as it converts it.
func (l *h1Loop) connectAddr() syscall.Sockaddr {
	if l.sa == nil {
		if a := l.eng.raddr.Load(); a != nil {
			l.sa = sockaddr(a.IP, a.Port)
		}
	}
	return l.sa
}

// learnAddr keeps the address a set-up connection reached.
func (e *h1Engine) learnAddr(c net.Conn) {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok && e.raddr.Load() == nil {
		e.raddr.CompareAndSwap(nil, a)
	}
}

// sockaddr converts an IP and port to a socket address; nil for an IP of
// neither family.
func sockaddr(ip net.IP, port int) syscall.Sockaddr {
	if ip4 := ip.To4(); ip4 != nil {
		sa := &syscall.SockaddrInet4{Port: port}
		copy(sa.Addr[:], ip4)
		return sa
	}
	if ip16 := ip.To16(); ip16 != nil {
		sa := &syscall.SockaddrInet6{Port: port}
		copy(sa.Addr[:], ip16)
		return sa
	}
	return nil
}

// connect opens a non-blocking socket to sa, from the dialer's next
// source address, and starts connecting. It returns the descriptor and
// whether the connection is already made (as on loopback it can be).
func (l *h1Loop) connect(sa syscall.Sockaddr) (fd int, done bool, err error) {
	family := syscall.AF_INET
	if _, ok := sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err = syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return -1, false, err
	}
	nd := l.d.pick()
	if err = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1); err == nil && nd.LocalAddr != nil {
		// Bound to a source address as the dialer's sockets are, the
		// port left to connect.
		local := nd.LocalAddr.(*net.TCPAddr)
		if err = setBindNoPort(fd); err == nil {
			if lsa := sockaddr(local.IP, 0); lsa != nil {
				err = syscall.Bind(fd, lsa)
			}
		}
	}
	if err == nil {
		err = syscall.Connect(fd, sa)
	}
	switch {
	case err == nil:
		return fd, true, nil
	case errors.Is(err, syscall.EINPROGRESS):
		return fd, false, nil
	}
	syscall.Close(fd)
	return -1, false, err
}

// connectResult returns how a connection in progress on fd ended: nil
// once it is made.
func connectResult(fd int) error {
	v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
	if err != nil {
		return err
	}
	if v != 0 {
		return syscall.Errno(v)
	}
	return nil
}
