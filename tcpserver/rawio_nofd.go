//go:build !unix

package tcpserver

import "errors"

// rawFD: connections are read and written through net.Conn, as a
// descriptor here is not an int that read(2) takes.
const rawFD = false

func rawRead(int, []byte) (int, error)  { return 0, errors.ErrUnsupported }
func rawWrite(int, []byte) (int, error) { return 0, errors.ErrUnsupported }

type readProbe struct{}

func (*readProbe) readAndProbe(int, []byte) (int, bool, bool, error) {
	return 0, false, false, errors.ErrUnsupported
}
