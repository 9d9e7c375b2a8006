package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/netkit-dev/netkit/httpclient"
	"github.com/netkit-dev/netkit/httpie"
	"github.com/netkit-dev/netkit/netclass"
)

// errIncomplete is a download that ended before its Content-Length.
var errIncomplete = errors.New("incomplete download")

// download saves the response body to a file, as HTTPie's --download
// does: named from Content-Disposition or the URL (never overwriting), or
// --output; resumed with a Range request under --continue; a progress bar
// on a terminal; a body shorter than its Content-Length is an error, and
// the partial file stays for --continue.
func (o *httpOptions) download(ctx context.Context, c *httpclient.Client, req *httpclient.Request) error {
	if o.Continue && o.Output == "" {
		return errors.New("--continue needs --output FILE: the file to resume")
	}
	var offset int64
	if o.Continue {
		if fi, err := os.Stat(o.Output); err == nil && fi.Size() > 0 {
			offset = fi.Size()
			req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
		}
	}
	resp, guard, stop, err := o.openStream(ctx, c, req)
	if err != nil {
		return err
	}
	defer stop()
	defer resp.Body.Close()
	errOut := o.Streams.ErrOut
	switch {
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		fmt.Fprintf(errOut, "%s is already complete (%d bytes)\n", o.Output, offset)
		return nil
	case resp.StatusCode >= 400:
		return &exitError{Code: exitForClass(netclass.ForStatus(resp.StatusCode)), Err: fmt.Errorf("download: %s %s: HTTP %s", req.Method, resp.Request.URL, resp.Status)}
	}
	appending := false
	if resp.StatusCode == http.StatusPartialContent {
		start, ok := httpie.ContentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			return fmt.Errorf("download: the server resumed at %q, not at byte %d", resp.Header.Get("Content-Range"), offset)
		}
		appending = true
	}
	name := o.Output
	if name == "" && !o.Streams.OutTTY {
		// Output redirected: the body goes there, as HTTPie sends it.
		_, err := io.Copy(o.Streams.Out, guard(resp.Body))
		return err
	}
	if name == "" {
		if name, err = httpie.UniquePath(".", httpie.DownloadName(resp.Header.Get("Content-Disposition"), resp.Request.URL.String(), resp.Header.Get("Content-Type"))); err != nil {
			return err
		}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appending {
		flags = os.O_WRONLY | os.O_APPEND
	} else if o.Output == "" {
		flags |= os.O_EXCL // the name was free a moment ago: never overwrite
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	total := resp.ContentLength // of this response's body; -1 when unknown
	what := "bytes"
	if total >= 0 {
		what = humanizeBytes(total)
	}
	if appending {
		fmt.Fprintf(errOut, "Resuming %s at byte %d: %s more\n", name, offset, what)
	} else {
		fmt.Fprintf(errOut, "Downloading %s to %q\n", what, name)
	}
	var w io.Writer = f
	if o.Streams.ErrTTY {
		bar := progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(errOut),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		w = io.MultiWriter(f, bar)
	}
	start := time.Now()
	n, err := io.Copy(w, guard(resp.Body))
	if err == nil && total >= 0 && n < total {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return &exitError{Code: exitForClass(netclass.Of(err)), Err: fmt.Errorf("%w: %d of %d bytes written to %s (%v); run again with --continue --output %s to resume", errIncomplete, n, total, name, err, name)}
	}
	el := time.Since(start)
	fmt.Fprintf(errOut, "Done. %s in %v (%s/s)\n", humanizeBytes(n), el.Round(time.Millisecond), humanizeBytes(int64(float64(n)/max(el.Seconds(), 1e-3))))
	return nil
}

// humanizeBytes writes a size as HTTPie's download messages do
// (httpie.utils.humanize_bytes with one decimal): "1 B", "512.0 B",
// "2.0 kB", "12.1 MB", with units of 1024.
func humanizeBytes(n int64) string {
	if n == 1 {
		return "1 B"
	}
	units := []struct {
		factor int64
		suffix string
	}{{1 << 50, "PB"}, {1 << 40, "TB"}, {1 << 30, "GB"}, {1 << 20, "MB"}, {1 << 10, "kB"}, {1, "B"}}
	u := units[len(units)-1]
	for _, c := range units {
		if n >= c.factor {
			u = c
			break
		}
	}
	return fmt.Sprintf("%.1f %s", float64(n)/float64(u.factor), u.suffix)
}
