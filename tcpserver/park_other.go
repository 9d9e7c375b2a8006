//go:build !linux

package tcpserver

import (
	"errors"
	"sync/atomic"
)

// parker is Linux-only (epoll); elsewhere ParkIdle has no effect.
type parker struct{}

func newParker(*atomic.Int64) (*parker, error) {
	return nil, errors.New("tcpserver: parking needs epoll (Linux)")
}

func (p *parker) park(c *Conn) bool     { return false }
func (p *parker) take(c *Conn) bool     { return false }
func (p *parker) drop(c *Conn)          {}
func (p *parker) run(ready func(*Conn)) {}
func (p *parker) stop()                 {}
