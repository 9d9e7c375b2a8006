package tcpserver

import (
	"syscall"
	"unsafe"
)

// rawRead and rawWrite are read(2) and write(2) on a non-blocking socket,
// made without the runtime's system-call bookkeeping (RawSyscall). They
// never block, which is the one condition for that. A system call entered
// the usual way wakes the runtime's monitor thread (sysmon) if it is in its
// deep sleep, and on a server that falls idle between requests it is there
// every time: each request then cost a thread wake-up and some 20 µs
// sleeps of the monitor, a quarter of the server's CPU time per request on
// one connection (measured with perf, docs/BENCHMARKS.md).
func rawRead(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
