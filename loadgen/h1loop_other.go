//go:build !linux

package loadgen

import (
	"context"
	"errors"
)

// Elsewhere than Linux the HTTP engine runs a goroutine per connection
// (h1Session) in every model: the event loop is built on epoll.
const loopSupported = false

type h1Loop struct{}

func newH1Loops(*runState, *dialer, *h1Engine, int, int) ([]*h1Loop, error) {
	return nil, errors.New("loadgen: no event loop on this platform")
}

func (*h1Loop) setup(context.Context) (int, error) { return 0, errors.ErrUnsupported }
func (*h1Loop) run(context.Context)                {}
func (*h1Loop) close()                             {}
