// Command pingpong is the minimal hand-written Go load loop that netkit
// bench is measured against: N connections, each writing a line and
// reading the reply line in a tight loop, no deadlines, no histograms.
// It prints {"requests":N,"seconds":S,"rps":R}.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7001", "line service address")
	conns := flag.Int("conns", 100, "connections")
	dur := flag.Duration("duration", 5*time.Second, "how long to run (at most 10m)")
	msg := flag.String("message", "ping", "line to send")
	flag.Parse()
	if *dur <= 0 || *dur > 10*time.Minute || *conns < 1 || *conns > 100000 {
		fmt.Fprintln(os.Stderr, "pingpong: -duration must be in (0, 10m], -conns in [1, 100000]")
		os.Exit(2)
	}

	cs := make([]net.Conn, *conns)
	for i := range cs {
		c, err := net.DialTimeout("tcp", *addr, 5*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pingpong:", err)
			os.Exit(1)
		}
		cs[i] = c
	}
	req := []byte(*msg + "\n")
	var stop atomic.Bool
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReader(c)
			n := int64(0)
			for !stop.Load() {
				if _, err := c.Write(req); err != nil {
					break
				}
				if _, err := br.ReadSlice('\n'); err != nil {
					break
				}
				n++
			}
			total.Add(n)
		}()
	}
	time.Sleep(*dur) // the measured interval itself, not a readiness wait
	stop.Store(true)
	elapsed := time.Since(start)
	for _, c := range cs {
		c.SetDeadline(time.Now()) // unblock a read in progress
	}
	wg.Wait()
	for _, c := range cs {
		c.Close()
	}
	n := total.Load()
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"requests": n, "seconds": elapsed.Seconds(), "rps": float64(n) / elapsed.Seconds(),
	})
}
