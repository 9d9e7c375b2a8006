package tcpserver

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// parker holds connections that wait for a request without a goroutine:
// their descriptors sit in an epoll set of the server's own (level
// triggered, one-shot), and a readable descriptor gets a new goroutine that
// calls the Handler again. Go's runtime poller keeps its own registration
// of the same descriptors; it only records readiness nobody waits for.
type parker struct {
	epfd         int
	wakeR, wakeW int // a pipe that wakes the poll loop to stop it

	mu     sync.Mutex
	conns  map[int32]*Conn // parked connections by descriptor
	closed bool
	gauge  *atomic.Int64 // Stats.Parked
}

func newParker(gauge *atomic.Int64) (*parker, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
		syscall.Close(epfd)
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, err
	}
	return &parker{epfd: epfd, wakeR: p[0], wakeW: p[1], conns: make(map[int32]*Conn), gauge: gauge}, nil
}

// park adds c to the epoll set; it reports false (and c stays with its
// goroutine) if the parker is closed or the kernel refuses.
func (p *parker) park(c *Conn) bool {
	if c.fd < 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(c.fd)}
	op := syscall.EPOLL_CTL_MOD
	if !c.inEpoll {
		op = syscall.EPOLL_CTL_ADD
	}
	if err := syscall.EpollCtl(p.epfd, op, c.fd, &ev); err != nil {
		return false
	}
	c.inEpoll = true
	p.conns[int32(c.fd)] = c
	p.gauge.Add(1)
	return true
}

// take removes c from the parked set; it reports false if c was not parked
// (the poll loop or another caller took it first). The descriptor stays in
// the epoll set, disarmed, until it is closed, which removes it.
func (p *parker) take(c *Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns[int32(c.fd)] != c {
		return false
	}
	delete(p.conns, int32(c.fd))
	p.gauge.Add(-1)
	return true
}

// drop removes c from the epoll set before its descriptor is closed, so a
// later connection reusing the number is not confused with it.
func (p *parker) drop(c *Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !c.inEpoll {
		return
	}
	if p.conns[int32(c.fd)] == c {
		delete(p.conns, int32(c.fd))
		p.gauge.Add(-1)
	}
	if !p.closed {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	}
	c.inEpoll = false
}

// run waits for parked connections to become readable and hands each to
// ready, until stop is called.
func (p *parker) run(ready func(*Conn)) {
	defer func() {
		p.mu.Lock()
		p.closed = true
		syscall.Close(p.epfd)
		syscall.Close(p.wakeR)
		syscall.Close(p.wakeW)
		p.mu.Unlock()
	}()
	var events [128]syscall.EpollEvent
	for {
		n, err := syscall.EpollWait(p.epfd, events[:], -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		for i := 0; i < n; i++ {
			fd := events[i].Fd
			if int(fd) == p.wakeR {
				return
			}
			p.mu.Lock()
			c := p.conns[fd]
			if c != nil {
				delete(p.conns, fd)
				p.gauge.Add(-1)
			}
			p.mu.Unlock()
			if c != nil {
				ready(c)
			}
		}
	}
}

// stop wakes run so that it returns. It may be called more than once
// (Shutdown, then Close): once run has closed the pipe, its descriptor
// number may belong to another file, which must not get the byte.
func (p *parker) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		syscall.Write(p.wakeW, []byte{0})
	}
}
