//go:build !linux

package loadgen

import "syscall"

// bindNoPort is nil where IP_BIND_ADDRESS_NO_PORT does not exist.
var bindNoPort func(network, address string, c syscall.RawConn) error
