// Command fasthttp is the closed-model load loop of bench/compare-http.sh
// on valyala/fasthttp's client: the alternative the HTTP engine of netkit
// bench was measured against before it was written on net. It lives in
// its own module so that netkit does not depend on fasthttp.
//
//	fasthttp -c 100 -d 10s URL
//
// It prints the requests answered and the requests per second.
package main

import (
	"flag"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

func main() {
	conns := flag.Int("c", 100, "connections (one goroutine each)")
	dur := flag.Duration("d", 10*time.Second, "duration")
	flag.Parse()
	url := flag.Arg(0)
	c := &fasthttp.HostClient{Addr: hostOf(url), MaxConns: *conns}
	var n, errs atomic.Int64
	end := time.Now().Add(*dur)
	var wg sync.WaitGroup
	start := time.Now()
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			req.SetRequestURI(url)
			for time.Now().Before(end) {
				if err := c.Do(req, resp); err != nil {
					errs.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	if errs.Load() > 0 {
		log.Printf("%d errors", errs.Load())
	}
	fmt.Printf("%d requests in %v\nRequests/sec: %.2f\n", n.Load(), el, float64(n.Load())/el.Seconds())
}

func hostOf(url string) string {
	var u fasthttp.URI
	u.Parse(nil, []byte(url))
	return string(u.Host())
}
