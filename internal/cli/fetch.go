package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/netclass"
	"github.com/netkit-dev/netkit/retry"
)

// Limits on the URL list read from stdin.
const (
	maxFetchURLLen = 8 << 10 // longer than any URL a server accepts (RFC 9110, 4.1: at least 8000 octets)
	maxFetchURLs   = 100_000
)

type fetchOptions struct {
	Streams *IOStreams

	URLs        []string // none: read from stdin, one per line
	Concurrency int
	Timeout     time.Duration // per URL, retries included (wait_for)
	Deadline    time.Duration // the whole batch (wait_for around gather); 0 none
	Retries     int
	MaxBody     int64
	JSON        bool
	TLS         httpTLSFlags
}

func newFetchCmd(streams *IOStreams, runF func(context.Context, *fetchOptions) error) *cobra.Command {
	opts := &fetchOptions{Streams: streams}
	cmd := &cobra.Command{
		Use:   "fetch [URL...]",
		Short: "Fetch many URLs at once and report each and the speed-up",
		Long: `Fetch the URLs concurrently with GET (as asyncio.gather does), at most
--concurrency at a time, each within --timeout (asyncio.wait_for) and the
whole batch within --deadline. Without arguments, URLs are read from standard
input, one per line; blank lines and lines starting with # are skipped.

A line is printed per URL as it completes (status, bytes, latency, or the
error class), then a summary: succeeded, failed, wall time, and the speed-up
over fetching one after the other (the sum of latencies over the wall time).
The exit status is 0 when every URL succeeded. When URLs failed and all for
the same class of error, it is that class's status, as netkit http gives it
(2 timeout; 6 dns, refused, reset; 7 TLS; 1 the others); for failures of
several classes, 1.

Each URL is retried up to --retries times on timeouts, resets, refused
connections and 429/5xx, but all URLs draw their retries from one budget
(a burst of 10, then one retry for every 5 URLs), so that a failing server
is not flooded.`,
		Example: `  netkit fetch https://example.org/a https://example.org/b
  netkit fetch --concurrency 50 --timeout 2s --json < urls.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.URLs = args
			if runF == nil {
				runF = runFetch
			}
			return runF(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&opts.Concurrency, "concurrency", "c", 10, "requests in flight at most")
	f.Var(newDurationValue(&opts.Timeout, 10*time.Second), "timeout", "limit for each URL, retries included (0: none)")
	f.Var(newDurationValue(&opts.Deadline, 0), "deadline", "limit for the whole batch (0: none)")
	f.IntVar(&opts.Retries, "retries", 1, "retries after the first attempt, for each URL")
	f.Var(newSizeValue(&opts.MaxBody, httpclient.DefaultMaxBody), "max-body", "largest response body accepted")
	f.BoolVar(&opts.JSON, "json", false, "print JSON lines: one per URL, then {\"summary\":...}")
	opts.TLS.addFlags(f)
	return cmd
}

// readURLs reads one URL per line, bounded in line length and count.
func readURLs(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxFetchURLLen)
	var urls []string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(urls) == maxFetchURLs {
			return nil, fmt.Errorf("more than %d URLs", maxFetchURLs)
		}
		urls = append(urls, line)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, fmt.Errorf("reading URLs: a line is longer than %d bytes", maxFetchURLLen)
	}
	return urls, sc.Err()
}

type fetchLineJSON struct {
	URL       string         `json:"url"`
	Status    int            `json:"status,omitempty"`
	Bytes     int            `json:"bytes"`
	LatencyMS float64        `json:"latency_ms"`
	Attempts  int            `json:"attempts"`
	Error     *httpErrorJSON `json:"error,omitempty"`
}

type fetchSummary struct {
	Succeeded    int     `json:"succeeded"`
	Failed       int     `json:"failed"`
	WallMS       float64 `json:"wall_ms"`
	LatencySumMS float64 `json:"latency_sum_ms"`
	Speedup      float64 `json:"speedup"`
}

func runFetch(ctx context.Context, opts *fetchOptions) error {
	if opts.Concurrency < 1 {
		return fmt.Errorf("--concurrency %d: want 1 or more", opts.Concurrency)
	}
	if opts.Retries < 0 {
		return fmt.Errorf("--retries %d: want 0 or more", opts.Retries)
	}
	urls := opts.URLs
	if len(urls) == 0 {
		var err error
		if urls, err = readURLs(opts.Streams.In); err != nil {
			return err
		}
	}
	for i, u := range urls {
		urls[i] = httpie.NormalizeURL(u)
	}
	c := &httpclient.Client{
		UserAgent: "netkit/" + Version,
		MaxBody:   opts.MaxBody,
		Retry:     retry.Policy{MaxAttempts: opts.Retries + 1},
	}
	if opts.Timeout > 0 {
		c.Timeout = opts.Timeout
	}
	if err := opts.TLS.apply(c); err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	if opts.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Deadline)
		defer cancel()
	}

	out, enc := opts.Streams.Out, json.NewEncoder(opts.Streams.Out)
	var sum fetchSummary
	var latencies time.Duration
	var writeErr error
	failed := map[netclass.Class]bool{} // the classes of the failures
	b := &httpclient.Batch{Client: c, Concurrency: opts.Concurrency, Timeout: opts.Timeout}
	start := time.Now()
	b.GetAll(ctx, urls, func(r httpclient.Result) {
		latencies += r.Latency
		line := fetchLineJSON{URL: r.URL, LatencyMS: ms(r.Latency)}
		if r.Response != nil {
			line.Status, line.Bytes, line.Attempts = r.Response.StatusCode, len(r.Response.Body), r.Response.Attempts
		}
		var herr *httpclient.Error
		if errors.As(r.Err, &herr) {
			line.Attempts = herr.Attempts
			line.Error = &httpErrorJSON{Class: string(herr.Class), Message: herr.Error(), Retryable: herr.Retryable()}
			sum.Failed++
			failed[herr.Class] = true
			fmt.Fprintf(opts.Streams.ErrOut, "netkit: %v\n", herr)
		} else if r.Err != nil {
			line.Error = &httpErrorJSON{Class: string(netclass.Of(r.Err)), Message: r.Err.Error()}
			sum.Failed++
			failed[netclass.Of(r.Err)] = true
			fmt.Fprintf(opts.Streams.ErrOut, "netkit: %v\n", r.Err)
		} else {
			sum.Succeeded++
		}
		var err error
		if opts.JSON {
			err = enc.Encode(line)
		} else {
			status, size := "ERR", "-"
			if line.Status != 0 {
				status, size = fmt.Sprint(line.Status), formatBytes(line.Bytes)
			}
			_, err = fmt.Fprintf(out, "%-3s %9s %-14s %8s  %s\n", status, size, line.Error.classOr("ok"), r.Latency.Round(time.Millisecond), r.URL)
		}
		if writeErr == nil {
			writeErr = err
		}
	})
	wall := time.Since(start)
	sum.WallMS, sum.LatencySumMS = ms(wall), ms(latencies)
	if wall > 0 {
		sum.Speedup = float64(int(float64(latencies)/float64(wall)*10+0.5)) / 10
	}
	if opts.JSON {
		if err := enc.Encode(struct {
			Summary fetchSummary `json:"summary"`
		}{sum}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "%d succeeded, %d failed in %v; sum of latencies %v, speed-up %.1fx\n",
			sum.Succeeded, sum.Failed, wall.Round(time.Millisecond), latencies.Round(time.Millisecond), sum.Speedup)
	}
	if writeErr != nil {
		return writeErr
	}
	if len(failed) == 1 {
		// Every failure was reported above; the status names their class.
		for class := range failed {
			return &exitError{Code: exitForClass(class)}
		}
	}
	if sum.Failed > 0 {
		return errSilent
	}
	return nil
}

func (e *httpErrorJSON) classOr(def string) string {
	if e == nil {
		return def
	}
	return e.Class
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// formatBytes prints a byte count the way people read it: 512B, 1.5KiB.
func formatBytes(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%dB", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
}
