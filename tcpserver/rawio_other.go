//go:build unix && !linux

package tcpserver

import "syscall"

// rawFD: connections are read and written on their descriptors.
const rawFD = true

func rawRead(fd int, p []byte) (int, error)  { return syscall.Read(fd, p) }
func rawWrite(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

type readProbe struct{}

func (*readProbe) readAndProbe(fd int, p []byte) (int, bool, bool, error) {
	n, err := rawRead(fd, p)
	return n, false, false, err
}
