package httpclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/netkit-dev/netkit/retry"
)

// BenchmarkClient compares a GET through Client (retries configured, none
// needed: the per-attempt timeout, the retry loop, the body cap, Content-Type
// parsing) with the same GET through a plain *http.Client, against a local
// server. Both read the whole body into memory, as a caller of net/http
// does with io.ReadAll, and reuse connections.
func BenchmarkClient(b *testing.B) {
	body := strings.Repeat("x", 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, body)
	}))
	defer srv.Close()

	b.Run("nethttp", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := hc.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || len(body) != 1024 {
				b.Fatalf("read %d bytes: %v", len(body), err)
			}
		}
	})
	b.Run("netkit", func(b *testing.B) {
		c := &Client{Retry: retry.Policy{MaxAttempts: 4}}
		defer c.CloseIdleConnections()
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.Get(ctx, srv.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(resp.Body) != 1024 {
				b.Fatalf("read %d bytes", len(resp.Body))
			}
		}
	})
	b.Run("transport", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: &Transport{Base: tr, Policy: retry.Policy{MaxAttempts: 4}}, Timeout: 30 * time.Second}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := hc.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	// paired alternates the two clients call by call, so that load from
	// elsewhere on the machine slows both alike, and reports their ratio.
	b.Run("paired", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
		c := &Client{Retry: retry.Policy{MaxAttempts: 4}}
		defer c.CloseIdleConnections()
		ctx := context.Background()
		var plain, netkit time.Duration
		for b.Loop() {
			t0 := time.Now()
			resp, err := hc.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadAll(resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			t1 := time.Now()
			if _, err := c.Get(ctx, srv.URL, nil); err != nil {
				b.Fatal(err)
			}
			plain += t1.Sub(t0)
			netkit += time.Since(t1)
		}
		b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "nethttp-ns/op")
		b.ReportMetric(float64(netkit.Nanoseconds())/float64(b.N), "netkit-ns/op")
		b.ReportMetric(float64(netkit)/float64(plain), "ratio")
	})
}
