// Package loadpool spreads a load run over many machines: workers join a
// pool on a NATS server or cluster, and a coordinator splits a run's
// connections, rate and request budget across the workers it needs, starts
// them together, and merges their results exactly (loadgen.Merge, from
// their HDR histograms).
//
// A worker that dies or falls silent during a run is named in the result,
// which is then marked partial: a smaller run is never reported as whole.
//
// The protocol is core NATS request and publish on subjects under
// "netkit.bench.":
//
//	discover              coordinator → every idle worker: hello with ID and name
//	worker.ID.assign      coordinator → worker: the job; the worker sets up its connections
//	run.RUN.ready.ID      worker: set up, waiting
//	run.RUN.go            coordinator: start now (every worker at once)
//	run.RUN.beat.ID       worker: alive, once a second (with its progress)
//	run.RUN.result.ID     worker: its result, histogram included, or its error
//	run.RUN.abort         coordinator: give up the run
//
// A worker that hears no start within the job's start_within of its
// assignment gives the run up by itself: its coordinator is gone, or the
// abort was lost (core NATS delivers at most once).
package loadpool

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/netkit-dev/netkit/loadgen"
)

const prefix = "netkit.bench."

func subjDiscover() string             { return prefix + "discover" }
func subjAssign(id string) string      { return prefix + "worker." + id + ".assign" }
func subjRun(run string) string        { return prefix + "run." + run + "." }
func subjReady(run, id string) string  { return subjRun(run) + "ready." + id }
func subjGo(run string) string         { return subjRun(run) + "go" }
func subjBeat(run, id string) string   { return subjRun(run) + "beat." + id }
func subjResult(run, id string) string { return subjRun(run) + "result." + id }
func subjAbort(run string) string      { return subjRun(run) + "abort" }

// Errors of Coordinator.Run.
var (
	// ErrWorkers is matched when fewer workers than asked for answered
	// in time, or when every worker was lost.
	ErrWorkers = errors.New("loadpool: workers")
	// ErrAborted is matched by a worker's run that its coordinator gave
	// up, or never started.
	ErrAborted = errors.New("loadpool: run aborted by its coordinator")
)

type hello struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TLSJob is the TLS a job's connections use: nil is plaintext for TCP
// targets (an https URL still uses TLS, verified against the system's
// roots); otherwise verified against CAPEM (or the system's roots), unless
// Insecure.
type TLSJob struct {
	Insecure   bool   `json:"insecure,omitempty"`
	ServerName string `json:"server_name,omitempty"`
	CAPEM      []byte `json:"ca_pem,omitempty"`
}

func (t *TLSJob) config() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{InsecureSkipVerify: t.Insecure, ServerName: t.ServerName,
		ClientSessionCache: tls.NewLRUClientSessionCache(0)}
	if len(t.CAPEM) > 0 {
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(t.CAPEM) {
			return nil, errors.New("loadpool: no certificate in the job's CA")
		}
	}
	return c, nil
}

// job is one worker's share of a run: the loadgen.Config fields that can
// travel.
type job struct {
	Run          string                `json:"run"`
	Target       loadgen.Target        `json:"target"`
	Addr         string                `json:"addr,omitempty"`
	URL          string                `json:"url,omitempty"`
	Method       string                `json:"method,omitempty"`
	Header       http.Header           `json:"header,omitempty"`
	Host         string                `json:"host,omitempty"`
	HTTP2        bool                  `json:"http2,omitempty"`
	NetHTTP      bool                  `json:"net_http,omitempty"`
	HTTPRequests []loadgen.HTTPRequest `json:"http_requests,omitempty"`
	Body         []byte                `json:"body,omitempty"`
	TLS          *TLSJob               `json:"tls,omitempty"`
	Message      string                `json:"message,omitempty"`
	Expect       string                `json:"expect,omitempty"`
	Conns        int                   `json:"conns"`
	FirstClient  int                   `json:"first_client"`
	Pipeline     int                   `json:"pipeline,omitempty"`
	Duration     time.Duration         `json:"duration"`
	Requests     int64                 `json:"requests,omitempty"`
	Rate         float64               `json:"rate,omitempty"`
	Timeout      time.Duration         `json:"timeout,omitempty"`
	MaxReply     int                   `json:"max_reply,omitempty"`
	Interval     time.Duration         `json:"interval,omitempty"`
	// StartWithin bounds the worker's wait, from its assignment, for the
	// start: past it the coordinator is gone, or its abort was lost, and
	// the worker frees itself. 0 means defaultStartWithin.
	StartWithin time.Duration `json:"start_within,omitempty"`
}

// defaultStartWithin is the start's bound for a job that gives none: the
// coordinator's default waits for the assignments and the set-up, twice.
const defaultStartWithin = 2 * (2*DefaultWaitTimeout + loadgen.DefaultSetupTimeout)

func (j *job) config() (loadgen.Config, error) {
	tc, err := j.TLS.config()
	if err != nil {
		return loadgen.Config{}, err
	}
	return loadgen.Config{
		Target: j.Target, Addr: j.Addr, URL: j.URL, Method: j.Method, Header: j.Header, Host: j.Host,
		HTTP2: j.HTTP2, NetHTTP: j.NetHTTP, HTTPRequests: j.HTTPRequests, Body: j.Body, TLS: tc,
		Message: j.Message, Expect: j.Expect, Conns: j.Conns, FirstClient: j.FirstClient,
		Pipeline: j.Pipeline, Duration: j.Duration, Requests: j.Requests, Rate: j.Rate,
		Timeout: j.Timeout, MaxReply: j.MaxReply, Interval: j.Interval, EncodeHistogram: true,
	}, nil
}

// split divides cfg among n workers: connections and the request budget
// as evenly as they go, and the rate in proportion to the connections.
// Every worker gets at least one request of a budget, since a job's zero
// budget would mean none at all: a budget smaller than n is refused.
func split(cfg loadgen.Config, tlsJob *TLSJob, run string, n int) ([]job, error) {
	conns := cfg.Conns
	if conns <= 0 {
		conns = loadgen.DefaultConns
	}
	if conns < n {
		return nil, fmt.Errorf("%w: %d connections cannot be split over %d workers", ErrWorkers, conns, n)
	}
	if cfg.Requests > 0 && cfg.Requests < int64(n) {
		return nil, fmt.Errorf("%w: a budget of %d requests cannot be split over %d workers", ErrWorkers, cfg.Requests, n)
	}
	jobs := make([]job, n)
	first := 0
	for i := range jobs {
		c := conns / n
		if i < conns%n {
			c++
		}
		j := job{
			Run: run, Target: cfg.Target, Addr: cfg.Addr, URL: cfg.URL, Method: cfg.Method, Header: cfg.Header,
			Host: cfg.Host, HTTP2: cfg.HTTP2, NetHTTP: cfg.NetHTTP, HTTPRequests: cfg.HTTPRequests, Body: cfg.Body,
			TLS: tlsJob, Message: cfg.Message, Expect: cfg.Expect, Conns: c, FirstClient: first,
			Pipeline: cfg.Pipeline, Duration: cfg.Duration, Timeout: cfg.Timeout, MaxReply: cfg.MaxReply,
			Interval: cfg.Interval,
		}
		if cfg.Rate > 0 {
			j.Rate = cfg.Rate * float64(c) / float64(conns)
		}
		if cfg.Requests > 0 {
			// The workers' connections differ by one at most, so an even
			// split of the budget keeps the load per connection even too.
			j.Requests = cfg.Requests / int64(n)
			if int64(i) < cfg.Requests%int64(n) {
				j.Requests++
			}
		}
		first += c
		jobs[i] = j
	}
	return jobs, nil
}

// message is what a worker publishes during a run.
type message struct {
	Requests int64           `json:"requests,omitempty"`
	Result   *loadgen.Result `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
}
