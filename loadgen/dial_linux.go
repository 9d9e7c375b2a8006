package loadgen

import (
	"syscall"
)

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT (Linux 4.2, <linux/in.h>).
const ipBindAddressNoPort = 24

// bindNoPort asks the kernel to pick the source port of a socket bound to
// a source address at connect time rather than at bind time: the port then
// only has to be unique per destination, and ports in TIME_WAIT can be
// reused, as for an unbound socket. Without it each bound socket holds a
// port of the source address for itself, and a few tens of thousands of
// connections (or the TIME_WAIT left by the previous run) exhaust it with
// EADDRINUSE.
func bindNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) { serr = setBindNoPort(int(fd)) })
	if err != nil {
		return err
	}
	return serr
}

// setBindNoPort sets IP_BIND_ADDRESS_NO_PORT on fd (see bindNoPort).
func setBindNoPort(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
}
