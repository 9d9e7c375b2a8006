package tcpserver

import (
	"syscall"
	"unsafe"
)

// rawFD: connections are read and written on their descriptors.
const rawFD = true

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket,
// made without the runtime's system-call bookkeeping (RawSyscall). They
// never block, which is the one condition for that. A system call entered
// the usual way wakes the runtime's monitor thread (sysmon) if it is in its
// deep sleep, and on a server that falls idle between requests it is there
// every time: each request then cost a thread wake-up and some 20 µs
// sleeps of the monitor, a quarter of the server's CPU time per request on
// one connection (measured with perf, docs/BENCHMARKS.md).
func rawRead(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_READ, fd, p) }

func rawWrite(fd int, p []byte) (int, error) { return rawIO(syscall.SYS_WRITE, fd, p) }

func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := syscall.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
}

// readProbe holds the recvmmsg arguments of one connection, allocated
// once.
type readProbe struct {
	msgs [2]mmsghdr
	iovs [2]syscall.Iovec
}

// probeTail is the room the probe's second message reads into.
const probeTail = 64

// readAndProbe reads like read(2) and, in the same system call, tries a
// second read: recvmmsg with two messages. A stream socket fills the first
// until it is drained, so the second tells what a second read(2) would
// have: EAGAIN (nothing more), more data (kept, after the first), or end
// of stream, which a short read alone never shows (eof). drained reports
// that the socket held nothing more, so that waiting for the poller's next
// edge loses nothing: data or a FIN that arrived during the call made an
// edge of its own. (One thing it cannot tell from EAGAIN is an error the
// probe met, a reset right after the data; the next read reports it, and
// until then the server's timeouts bound the wait.) n == 0 with no error
// is end of stream.
func (pr *readProbe) readAndProbe(fd int, p []byte) (n int, drained, eof bool, err error) {
	if len(p) < 2*probeTail {
		n, err = rawRead(fd, p)
		return n, false, false, err
	}
	first, tail := p[:len(p)-probeTail], p[len(p)-probeTail:]
	pr.iovs[0] = syscall.Iovec{Base: &first[0]}
	pr.iovs[0].SetLen(len(first))
	pr.iovs[1] = syscall.Iovec{Base: &tail[0]}
	pr.iovs[1].SetLen(len(tail))
	for i := range pr.msgs {
		pr.msgs[i] = mmsghdr{}
		pr.msgs[i].hdr.Iov = &pr.iovs[i]
		pr.msgs[i].hdr.Iovlen = 1
	}
	r, _, e := syscall.RawSyscall6(syscall.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&pr.msgs[0])), 2, syscall.MSG_DONTWAIT, 0, 0)
	if e != 0 {
		return 0, false, false, e
	}
	n = int(pr.msgs[0].len)
	if n == 0 {
		return 0, false, true, nil
	}
	if r < 2 {
		return n, true, false, nil
	}
	more := int(pr.msgs[1].len)
	if more == 0 {
		return n, false, true, nil
	}
	if n < len(first) {
		copy(p[n:], tail[:more]) // the first was short: close the gap
	}
	return n + more, n+more < len(p), false, nil
}
