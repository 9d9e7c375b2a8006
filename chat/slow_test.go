package chat_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/netkit-dev/netkit/chat"
	"github.com/netkit-dev/netkit/internal/testnet"
)

// dialSmallWindow connects with a 4 KiB receive buffer, so that a client
// that does not read fills its TCP window quickly and the server's queue
// for it has to hold the rest.
func dialSmallWindow(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// One client never reads while 50 others chat at full speed: the others
// receive every message, the silent one is disconnected when its queue
// (96 KiB) is full, and the bytes queued in the server stay under 51
// queues' worth.
func TestSlowConsumer(t *testing.T) {
	const (
		senders   = 50
		perSender = 40
		window    = 200 // messages sent and not yet read by the slowest reader
		total     = senders * perSender
	)
	addr, cs, _ := start(t, chat.Config{Rate: -1, SendBuffer: 16 << 10}, nil)

	slow := dialSmallWindow(t, addr)
	if !testnet.Eventually(5*time.Second, func() bool { return cs.Stats().Clients == 1 }) {
		t.Fatal("the slow client was not registered")
	}
	clients := make([]*tclient, senders)
	for i := range clients {
		clients[i] = join(t, addr, i+2)
	}

	var heapBefore runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&heapBefore)

	// Watch the server's queued bytes while the room is busy.
	var maxQueued atomic.Int64
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if q := cs.Stats().QueuedBytes; q > maxQueued.Load() {
				maxQueued.Store(q)
			}
			select {
			case <-stopWatch:
				return
			case <-tick.C:
			}
		}
	}()

	// Senders go as fast as the 50 readers let them: at most window
	// messages the slowest reader has not read yet, as clients waiting for
	// their acknowledgements would. The silent client is not waited for.
	var (
		mu   sync.Mutex
		cond = sync.NewCond(&mu)
		got  = make([]int, senders)
		sent int
	)
	minGot := func() int {
		m := total
		for _, g := range got {
			m = min(m, g)
		}
		return m
	}
	pad := strings.Repeat("x", 160)
	start := time.Now()
	hists := make([]*hdrhistogram.Histogram, senders)
	errs := make(chan error, 2*senders)
	var wg sync.WaitGroup
	for i, c := range clients {
		hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
		wg.Add(2)
		go func() { // reader
			defer wg.Done()
			defer func() { // let the senders finish even after an error
				mu.Lock()
				got[i] = total
				cond.Broadcast()
				mu.Unlock()
			}()
			br := bufio.NewReaderSize(c.conn, 64<<10)
			c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			for n := 0; n < total; {
				s, err := br.ReadString('\n')
				if err != nil {
					errs <- fmt.Errorf("client %d after %d messages: %v", i, n, err)
					return
				}
				// "[T] NAME: s<i> <unix nanoseconds> <padding>"
				_, msg, ok := strings.Cut(s, ": s")
				if !ok {
					continue // a join notice
				}
				f := strings.Fields(msg)
				sentAt, _ := strconv.ParseInt(f[1], 10, 64)
				hists[i].RecordValue(max(1, time.Since(time.Unix(0, sentAt)).Microseconds()))
				n++
				if n%8 == 0 {
					mu.Lock()
					got[i] = n
					cond.Broadcast()
					mu.Unlock()
				}
			}
		}()
		go func() { // sender
			defer wg.Done()
			w := bufio.NewWriter(c.conn)
			for range perSender {
				mu.Lock()
				for sent-minGot() >= window {
					cond.Wait()
				}
				sent++
				mu.Unlock()
				fmt.Fprintf(w, "s%d %d %s\n", i, time.Now().UnixNano(), pad)
				if err := w.Flush(); err != nil {
					errs <- fmt.Errorf("client %d send: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stopWatch)
	<-watched
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var heapAfter runtime.MemStats
	runtime.ReadMemStats(&heapAfter)
	all := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	for _, h := range hists {
		all.Merge(h)
	}
	st := cs.Stats()
	t.Logf("%d messages to %d readers in %v (%.0f deliveries/s): delivery p50 %v, p99 %v, max %v",
		total, senders, elapsed.Round(time.Millisecond), float64(total*senders)/elapsed.Seconds(),
		time.Duration(all.ValueAtQuantile(50))*time.Microsecond, time.Duration(all.ValueAtQuantile(99))*time.Microsecond,
		time.Duration(all.Max())*time.Microsecond)
	t.Logf("max queued bytes in the server %d (bound %d); heap in use %d KiB before, %d KiB after; stats %+v",
		maxQueued.Load(), (senders+1)*chat.DefaultMaxQueue, heapBefore.HeapInuse>>10, heapAfter.HeapInuse>>10, st)

	if st.DroppedSlow != 1 {
		t.Errorf("Stats().DroppedSlow = %d, want 1", st.DroppedSlow)
	}
	if q := maxQueued.Load(); q > int64((senders+1)*chat.DefaultMaxQueue) {
		t.Errorf("queued bytes reached %d, over %d queues of %d", q, senders+1, chat.DefaultMaxQueue)
	}
	// The silent client finds what the kernel had buffered, maybe the
	// disconnection notice, then the end of the stream.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, slow)
	if err != nil && !isReset(err) {
		t.Errorf("slow client: read %d bytes, then %v; want the end of the stream", n, err)
	}
	t.Logf("slow client read %d bytes before the end", n)
	for _, c := range clients {
		c.conn.Close()
	}
}
