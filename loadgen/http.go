package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/netkit-dev/netkit/netclass"
)

// httpSession sends one method and URL on its own keep-alive connection:
// each session has its own Transport holding one connection, so Conns is
// the number of connections, as in wrk.
type httpSession struct {
	st     *runState
	client *http.Client
	tr     *http.Transport
}

func newHTTPSession(st *runState, d *dialer) *httpSession {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return d.dial(ctx, addr)
		},
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		// Verified like any client unless the configuration says
		// otherwise (netkit bench --insecure).
		TLSClientConfig:       st.cfg.TLS,
		ForceAttemptHTTP2:     st.cfg.HTTP2,
		ResponseHeaderTimeout: st.cfg.timeout(),
	}
	if tr.TLSClientConfig == nil {
		tr.TLSClientConfig = &tls.Config{}
	}
	return &httpSession{st: st, tr: tr, client: &http.Client{
		Transport: tr,
		Timeout:   st.cfg.timeout(),
		// Redirects are answers too: count them, do not follow them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (s *httpSession) connect(context.Context) error { return nil }

func (s *httpSession) do(ctx context.Context, _, _ time.Time) error {
	cfg := s.st.cfg
	method := cfg.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if len(cfg.Body) > 0 {
		body = bytes.NewReader(cfg.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, cfg.URL, body)
	if err != nil {
		return &RequestError{Op: "http", Class: netclass.Other, Err: err}
	}
	for k, vs := range cfg.Header {
		req.Header[k] = vs
	}
	if cfg.Host != "" {
		req.Host = cfg.Host
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return reqErr("http", err)
	}
	defer resp.Body.Close()
	// Read the body, bounded, so the connection can be reused.
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, int64(cfg.maxReply())+1))
	if err != nil {
		return reqErr("read", err)
	}
	if n > int64(cfg.maxReply()) {
		return reqErr("read", errReplyTooLong)
	}
	// Every status is an answer, counted by code: a server that answers
	// 404 fast is measured as fast, on connections kept open.
	if c := resp.StatusCode; c > 0 && c < len(s.st.statuses) {
		s.st.statuses[c].Add(1)
	}
	return nil
}

func (s *httpSession) reset()     {}
func (s *httpSession) interrupt() { s.tr.CloseIdleConnections() }
func (s *httpSession) close()     { s.tr.CloseIdleConnections() }
