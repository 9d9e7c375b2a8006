package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/netkit-dev/netkit/netclass"
)

// chatMarker starts the text of every message the generator sends, so
// that receivers tell load messages from welcome lines and notices.
const chatMarker = "nkb"

// chatSession is one client in the chat room. Its reader goroutine
// records, for every message from another client, the latency from the
// send time written in the message to the receipt; the sending side
// records nothing but errors. The chat protocol delivers each line to
// everyone in the room, sender included, as "[HH:MM:SS] NAME: message".
type chatSession struct {
	connSlot
	d     *dialer
	id    int
	seq   uint64
	wbuf  []byte
	own   chan uint64   // sequence numbers of our own messages coming back
	done  chan struct{} // closed when the current reader ends
	err   error
	timer *time.Timer
}

func newChatSession(st *runState, d *dialer, id int) *chatSession {
	return &chatSession{connSlot: connSlot{st: st}, d: d, id: id}
}

func (s *chatSession) connect(ctx context.Context) error {
	c, err := s.d.dial(ctx, s.st.cfg.Addr)
	if err != nil {
		return err
	}
	if !s.set(c) {
		return net.ErrClosed
	}
	br := bufio.NewReaderSize(c, 4096)
	// The server greets each client with one line before anything else.
	c.SetReadDeadline(time.Now().Add(s.st.cfg.timeout()))
	if _, err := readLine(br, s.st.cfg.maxReply()); err != nil {
		s.drop()
		return reqErr("read", fmt.Errorf("welcome line: %w", err))
	}
	c.SetReadDeadline(time.Time{})
	s.own = make(chan uint64, 16)
	s.done = make(chan struct{})
	go s.readLoop(c, br, s.own, s.done)
	return nil
}

func (s *chatSession) readLoop(c net.Conn, br *bufio.Reader, own chan<- uint64, done chan<- struct{}) {
	defer close(done)
	sh := s.st.rec.shard(s.id)
	max := s.st.cfg.maxReply()
	for {
		line, err := readLine(br, max)
		if err != nil {
			s.err = err
			return
		}
		now := time.Now()
		from, seq, intended, sent, ok := parseChatLine(line)
		if !ok {
			continue // a notice, or another client's traffic
		}
		if from == s.id {
			select {
			case own <- seq:
			default:
			}
			continue
		}
		if !s.st.stopped.Load() {
			sh.success(now.Sub(intended), now.Sub(sent))
		}
	}
}

// parseChatLine finds "nkb FROM SEQ INTENDED SENT" (times in Unix
// nanoseconds) at the end of a delivered line.
func parseChatLine(line []byte) (from int, seq uint64, intended, sent time.Time, ok bool) {
	i := bytes.LastIndex(line, []byte(": "+chatMarker+" "))
	if i < 0 {
		return
	}
	f := bytes.Fields(line[i+2+len(chatMarker):])
	if len(f) != 4 {
		return
	}
	id, err1 := strconv.Atoi(string(f[0]))
	sq, err2 := strconv.ParseUint(string(f[1]), 10, 64)
	in, err3 := strconv.ParseInt(string(f[2]), 10, 64)
	sn, err4 := strconv.ParseInt(string(f[3]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return
	}
	return id, sq, time.Unix(0, in), time.Unix(0, sn), true
}

func (s *chatSession) do(ctx context.Context, now, intended time.Time) error {
	if s.get() == nil {
		if err := s.connect(ctx); err != nil {
			return err
		}
	}
	c := s.get()
	select {
	case <-s.done:
		return reqErr("read", s.err)
	default:
	}
	s.seq++
	b := append(s.wbuf[:0], chatMarker+" "...)
	b = strconv.AppendInt(b, int64(s.id), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, s.seq, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, intended.UnixNano(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, now.UnixNano(), 10)
	b = append(b, '\n')
	s.wbuf = b
	timeout := s.st.cfg.timeout()
	c.SetWriteDeadline(now.Add(timeout))
	if _, err := c.Write(b); err != nil {
		return reqErr("write", err)
	}
	if s.st.cfg.Rate > 0 {
		return nil // the open model does not wait for delivery
	}
	// The closed model sends the next message once this one has come back
	// to its sender, that is once the room has had it.
	if s.timer == nil {
		s.timer = time.NewTimer(timeout)
	} else {
		s.timer.Reset(timeout)
	}
	defer s.timer.Stop()
	for {
		select {
		case seq := <-s.own:
			if seq == s.seq {
				return nil
			}
		case <-s.done:
			return reqErr("read", s.err)
		case <-s.timer.C:
			return &RequestError{Op: "read", Class: netclass.Timeout, Err: fmt.Errorf("message %d not delivered back within %v", s.seq, timeout)}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// reset drops the connection and waits for its reader.
func (s *chatSession) reset() {
	s.drop()
	if s.done != nil {
		<-s.done
		s.done = nil
	}
}

func (s *chatSession) close() { s.reset() }
