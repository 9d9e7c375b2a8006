package tcpserver

import (
	"errors"
	"net"
	"os"
	"time"
)

// markBusy ends a wait for a request: the connection is busy from now.
// data reports that the wait read the request's first bytes: they are
// served even if Shutdown or the sweeper set a deadline meanwhile, which is
// lifted. It returns the state the wait ended in and what the wakers set.
func (c *Conn) markBusy(data bool) (wasIdle, interrupted bool, expired int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wasIdle = c.state.Load() == stateIdle
	c.state.Store(stateBusy)
	c.since.Store(c.srv.now())
	interrupted, expired = c.interrupted, c.expired
	if data && (interrupted || expired != 0) {
		c.expired = 0
		c.nc.SetReadDeadline(time.Time{})
	}
	return wasIdle, interrupted, expired
}

// waitError tells why a wait for data failed with err: nil when Shutdown
// closed the idle connection (interrupted) or the sweeper asks it to park
// (serve parks it once the handler returns), a timeout error when the
// sweeper expired it, else err.
func (c *Conn) waitError(err error, interrupted bool, expired int) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	switch {
	case interrupted:
		return nil
	case expired == expiredPark:
		c.mu.Lock()
		c.expired = 0
		c.parkReq = true
		c.mu.Unlock()
		return nil
	case expired != 0:
		return c.timeoutError(expired)
	}
	return err
}

// timeoutError describes the expiry in bits.
func (c *Conn) timeoutError(bits int) error {
	bits &^= expiredPark
	err := ErrIdleTimeout
	switch {
	case bits&expiredRead != 0:
		err = ErrReadTimeout
	case bits&expiredWrite != 0:
		err = ErrWriteTimeout
	}
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// checkExpired reports whether the sweeper expired the connection during
// the request that just ended, recording the error for Err.
func (c *Conn) checkExpired() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired&^expiredPark == 0 {
		c.expired = 0
		return false
	}
	c.err = c.timeoutError(c.expired)
	return true
}

// begin starts a request already buffered.
func (c *Conn) begin() {
	c.since.Store(c.srv.now())
	c.srv.st.requests.Add(1)
}

// setIdle marks the connection idle unless the server is shutting down.
func (c *Conn) setIdle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv.ShuttingDown() {
		return false
	}
	c.since.Store(c.srv.now())
	c.state.Store(stateIdle)
	return true
}

// interruptIfIdle wakes a Next waiting for a request; called by Shutdown.
func (c *Conn) interruptIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state.Load() {
	case stateIdle:
		c.interrupted = true
		c.nc.SetReadDeadline(aLongTimeAgo)
	case stateParked:
		if c.srv.parker.take(c) {
			go c.srv.closeParked(c)
		}
	}
}

// sweep applies the timeouts at server clock now; called by the sweeper
// every few milliseconds to a second (see Server.sweepEvery).
func (c *Conn) sweep(now int64, idle, read, write time.Duration) {
	since := c.since.Load()
	switch c.state.Load() {
	case stateIdle:
		if idle > 0 && now-since > int64(idle) {
			c.expire(stateIdle, since, expiredIdle)
		} else if park := c.srv.ParkIdle; park > 0 && c.fd >= 0 && now-since > int64(park) {
			c.expire(stateIdle, since, expiredPark)
		}
	case stateParked:
		if idle > 0 && now-since > int64(idle) && c.srv.parker.take(c) {
			c.srv.st.timeouts.Add(1)
			go c.srv.closeParked(c)
		}
	case stateBusy:
		if read > 0 && now-since > int64(read) {
			c.expire(stateBusy, since, expiredRead)
		}
	}
	if w := c.writing.Load(); w != 0 && write > 0 && now-w > int64(write) {
		c.mu.Lock()
		if c.expired&expiredWrite == 0 {
			c.expired |= expiredWrite
			c.srv.st.timeouts.Add(1)
			c.nc.SetWriteDeadline(aLongTimeAgo)
		}
		c.mu.Unlock()
	}
}

// expire wakes the connection's reads if it is still in state since since.
func (c *Conn) expire(state connState, since int64, bit int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state.Load() != state || c.since.Load() != since || c.expired&bit != 0 || c.interrupted {
		return
	}
	c.expired |= bit
	if bit != expiredPark {
		c.srv.st.timeouts.Add(1)
	}
	c.nc.SetReadDeadline(aLongTimeAgo)
}

// forceClose closes the connection at once, for Close and for Shutdown
// at its deadline.
func (c *Conn) forceClose() {
	c.mu.Lock()
	c.closed = true
	parked := c.state.Load() == stateParked && c.srv.parker.take(c)
	c.mu.Unlock()
	if parked {
		go c.srv.closeParked(c)
		return
	}
	// Not under mu: Close waits for a RawConn.Read callback in progress to
	// return, and serveBytes's callback takes mu (markBusy, setIdle).
	c.nc.Close()
}
