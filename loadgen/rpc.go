package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netkit-dev/netkit/frame"
	"github.com/netkit-dev/netkit/netclass"
)

// rpcHolder owns one RPC connection shared by Pipeline slots, each with
// one call in flight; it redials when the connection breaks.
type rpcHolder struct {
	st       *runState
	d        *dialer
	pipeline int

	mu  sync.Mutex
	cur *rpcConn
}

// rpcConn is one framed connection with its reader goroutine, which hands
// each response to the slot waiting for its id.
type rpcConn struct {
	c     net.Conn
	wmu   sync.Mutex
	wbuf  []byte
	wdl   time.Time
	slots []chan rpcReply
	want  []atomic.Uint64 // id each slot waits for
	done  chan struct{}   // closed when the reader ends
	err   error           // why the reader ended; read after done
}

type rpcReply struct {
	id     uint64
	result json.RawMessage
	err    json.RawMessage
}

// get returns the live connection, dialing a new one if there is none.
func (h *rpcHolder) get(ctx context.Context) (*rpcConn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil {
		select {
		case <-h.cur.done:
			h.cur = nil
		default:
			return h.cur, nil
		}
	}
	c, err := h.d.dial(ctx, h.st.cfg.Addr)
	if err != nil {
		return nil, err
	}
	rc := &rpcConn{
		c:     c,
		slots: make([]chan rpcReply, h.pipeline),
		want:  make([]atomic.Uint64, h.pipeline),
		done:  make(chan struct{}),
	}
	for i := range rc.slots {
		rc.slots[i] = make(chan rpcReply, 1)
	}
	if !h.st.track(rc, true) {
		c.Close()
		return nil, net.ErrClosed
	}
	go rc.readLoop(h.st.cfg.maxReply(), h.pipeline)
	h.cur = rc
	return rc, nil
}

// drop closes the current connection if it is still rc.
func (h *rpcHolder) drop(rc *rpcConn) {
	h.mu.Lock()
	if h.cur == rc {
		h.cur = nil
	}
	h.mu.Unlock()
	rc.c.Close()
	h.st.track(rc, false)
}

func (h *rpcHolder) close() {
	h.mu.Lock()
	rc := h.cur
	h.cur = nil
	h.mu.Unlock()
	if rc != nil {
		rc.c.Close()
		<-rc.done
		h.st.track(rc, false)
	}
}

func (rc *rpcConn) interrupt() { rc.c.SetDeadline(time.Unix(1, 0)) }

func (rc *rpcConn) readLoop(max, pipeline int) {
	defer close(rc.done)
	fr := frame.NewReader(bufio.NewReaderSize(rc.c, 16<<10), max)
	for {
		msg, err := fr.ReadFrame()
		if err != nil {
			rc.err = err
			rc.c.Close()
			return
		}
		var resp struct {
			ID     json.Number     `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(msg, &resp); err != nil {
			rc.err = fmt.Errorf("%w: response is not JSON: %v", ErrProtocol, err)
			rc.c.Close()
			return
		}
		id, err := strconv.ParseUint(string(resp.ID), 10, 64)
		if err != nil {
			rc.err = fmt.Errorf("%w: response id %q is not one of ours", ErrProtocol, resp.ID)
			rc.c.Close()
			return
		}
		slot := int(id % uint64(pipeline))
		if rc.want[slot].Load() != id {
			continue // the answer to a call that timed out
		}
		select {
		case rc.slots[slot] <- rpcReply{id: id, result: resp.Result, err: resp.Error}:
		default:
		}
	}
}

// rpcSlot is one call-in-flight position on a shared connection.
type rpcSlot struct {
	h      *rpcHolder
	slot   int
	client int
	seq    uint64
	cur    *rpcConn
	timer  *time.Timer
}

func (s *rpcSlot) connect(ctx context.Context) error {
	_, err := s.h.get(ctx)
	return err
}

func (s *rpcSlot) do(ctx context.Context, now, _ time.Time) error {
	rc, err := s.h.get(ctx)
	if err != nil {
		return err
	}
	s.cur = rc
	p := uint64(s.h.pipeline)
	s.seq++
	id := s.seq*p + uint64(s.slot)
	a, b := uint64(s.client), s.seq
	rc.want[s.slot].Store(id)

	timeout := s.h.st.cfg.timeout()
	rc.wmu.Lock()
	if now.Add(timeout / 2).After(rc.wdl) {
		rc.wdl = now.Add(timeout)
		rc.c.SetWriteDeadline(rc.wdl)
	}
	rc.wbuf = appendAddCall(rc.wbuf[:0], id, a, b)
	_, err = rc.c.Write(rc.wbuf)
	rc.wmu.Unlock()
	if err != nil {
		return reqErr("write", err)
	}

	if s.timer == nil {
		s.timer = time.NewTimer(timeout)
	} else {
		s.timer.Reset(timeout)
	}
	defer s.timer.Stop()
	for {
		select {
		case r := <-rc.slots[s.slot]:
			if r.id != id {
				continue
			}
			if len(r.err) > 0 && string(r.err) != "null" {
				return reqErr("read", fmt.Errorf("%w: error response %.80s", ErrProtocol, r.err))
			}
			if got, err := strconv.ParseUint(string(r.result), 10, 64); err != nil || got != a+b {
				return reqErr("read", fmt.Errorf("%w: add(%d, %d) returned %.40s", ErrProtocol, a, b, r.result))
			}
			return nil
		case <-rc.done:
			return reqErr("read", rc.err)
		case <-s.timer.C:
			return &RequestError{Op: "read", Class: netclass.Timeout, Err: fmt.Errorf("no response to call %d within %v", id, timeout)}
		}
	}
}

// appendAddCall appends a framed JSON-RPC 2.0 request for add(a, b).
func appendAddCall(dst []byte, id, a, b uint64) []byte {
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, `{"jsonrpc":"2.0","id":`...)
	dst = strconv.AppendUint(dst, id, 10)
	dst = append(dst, `,"method":"add","params":{"a":`...)
	dst = strconv.AppendUint(dst, a, 10)
	dst = append(dst, `,"b":`...)
	dst = strconv.AppendUint(dst, b, 10)
	dst = append(dst, `}}`...)
	n := len(dst) - frame.HeaderLen
	dst[0], dst[1], dst[2], dst[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return dst
}

// reset drops the shared connection only when it is broken: a timed-out
// call leaves it to the other slots (its late answer is ignored).
func (s *rpcSlot) reset() {
	if rc := s.cur; rc != nil {
		select {
		case <-rc.done:
			s.h.drop(rc)
		default:
		}
	}
}

func (s *rpcSlot) interrupt() {
	s.h.mu.Lock()
	rc := s.h.cur
	s.h.mu.Unlock()
	if rc != nil {
		rc.interrupt()
	}
}

func (s *rpcSlot) close() {
	if s.slot == 0 {
		s.h.close()
	}
}
