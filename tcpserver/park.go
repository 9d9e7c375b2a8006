package tcpserver

import "time"

// park hands an idle connection to the server's parker; its goroutine then
// ends, and a new one calls the Handler when data arrives. It reports
// false when the connection must be closed instead.
func (c *Conn) park() bool {
	s := c.srv
	if c.rd.Buffered() > 0 || s.parker == nil {
		return false
	}
	c.rd.Release()
	c.nc.SetReadDeadline(time.Time{})
	c.mu.Lock()
	if s.ShuttingDown() || c.closed {
		c.mu.Unlock()
		return false
	}
	c.since.Store(s.now())
	c.state.Store(stateParked)
	c.mu.Unlock()
	return s.parkOrClose(c)
}

// parkOrClose hands c, in state parked, to the parker. It reports false,
// with c busy again, when the parker refused it. Shutdown may have begun
// while c was being parked and found it in neither state: then c is taken
// back and closed, rather than left to Shutdown's deadline.
func (s *Server) parkOrClose(c *Conn) bool {
	if !s.parker.park(c) {
		c.state.Store(stateBusy)
		return false
	}
	if s.ShuttingDown() && s.parker.take(c) {
		c.state.Store(stateBusy)
		go s.closeParked(c)
	}
	return true
}

// unpark starts a goroutine for a parked connection that became readable
// (or was closed by the client); the Handler is called again.
func (s *Server) unpark(c *Conn) {
	c.mu.Lock()
	c.since.Store(s.now())
	c.state.Store(stateBusy)
	c.mu.Unlock()
	go c.serve(s.ctx)
}

// closeParked closes a connection taken from the parker.
func (s *Server) closeParked(c *Conn) {
	c.finish()
	s.trackConn(c, false)
}
