package httpclient

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Result is the outcome of one request of a batch.
type Result struct {
	Index    int           // position in the batch
	URL      string        // the URL as given
	Response *Response     // nil when no response arrived
	Err      error         // nil on success; an *Error otherwise
	Latency  time.Duration // from the start of the request to its end, retries included
}

// Batch sends many requests at once, as asyncio.gather does in Python: at most
// Concurrency at a time, each bounded by Timeout (asyncio.wait_for) on top
// of the client's own per-attempt timeout and retries, the whole batch by
// the context.
type Batch struct {
	// Client sends the requests; nil means a zero Client.
	Client *Client

	// Concurrency caps the requests in flight; 0 means 10.
	Concurrency int

	// Timeout bounds each request, its retries included; 0 means no bound
	// besides the context's.
	Timeout time.Duration
}

// GetAll fetches the URLs with GET and returns their results in input
// order, as gather does. When each is not nil it is called with every
// result as it completes, one call at a time. GetAll returns when every
// request has finished or failed; canceling ctx makes the rest fail fast.
func (b *Batch) GetAll(ctx context.Context, urls []string, each func(Result)) []Result {
	c := b.Client
	if c == nil {
		c = &Client{}
	}
	n := b.Concurrency
	if n <= 0 {
		n = 10
	}
	results := make([]Result, len(urls))
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, n)
	)
	for i, u := range urls {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rctx := ctx
			if b.Timeout > 0 {
				var cancel context.CancelFunc
				rctx, cancel = context.WithTimeout(ctx, b.Timeout)
				defer cancel()
			}
			start := time.Now()
			resp, err := c.Do(rctx, &Request{Method: http.MethodGet, URL: u})
			r := Result{Index: i, URL: u, Response: resp, Err: err, Latency: time.Since(start)}
			results[i] = r
			if each != nil {
				mu.Lock()
				each(r)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}
