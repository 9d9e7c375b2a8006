package tcpserver

import "sync/atomic"

// Stats is a snapshot of a server's counters.
type Stats struct {
	Accepted int64 // connections accepted, rejected ones included
	Active   int64 // connections being served now, parked ones included
	Parked   int64 // connections waiting without a goroutine (ParkIdle)
	Rejected int64 // connections closed at once because of MaxConns or shutdown
	Requests int64 // requests begun (Conn.Next returning true)
	Errors   int64 // handlers that returned an error or panicked
	Panics   int64 // handler panics recovered
	Timeouts int64 // connections closed by the idle timeout
	BytesIn  int64 // bytes read from clients
	BytesOut int64 // bytes written to clients
	// RefusedPerIP counts connections closed at once for the per-address
	// limits (Server.PerIP): too many open, and opened too fast.
	RefusedPerIP, RefusedRate int64
}

type counters struct {
	accepted, active, parked, rejected, requests, errors, panics, timeouts atomic.Int64
	bytesIn, bytesOut                                                      atomic.Int64
	tls                                                                    tlsCounters
}

// Stats returns the current counters. Each is read atomically; the set is
// not one atomic snapshot.
func (s *Server) Stats() Stats {
	s.init() // for s.ipl: Stats may be read before Serve
	st := Stats{
		Accepted: s.st.accepted.Load(),
		Active:   s.st.active.Load(),
		Parked:   s.st.parked.Load(),
		Rejected: s.st.rejected.Load(),
		Requests: s.st.requests.Load(),
		Errors:   s.st.errors.Load(),
		Panics:   s.st.panics.Load(),
		Timeouts: s.st.timeouts.Load(),
		BytesIn:  s.st.bytesIn.Load(),
		BytesOut: s.st.bytesOut.Load(),
	}
	if s.ipl != nil {
		st.RefusedPerIP, st.RefusedRate = s.ipl.Refused()
	}
	return st
}
